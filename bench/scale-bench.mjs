#!/usr/bin/env node
// Paper-scale evaluation (issue 15): `pconv-bench eval` at 512x512 with a tiny model on synthetic
// test images, for each pair count and scoring-thread count asked: wall time, peak RSS, the time
// from the eval stage starting to its first progress line and to its first scored pair, pairs/s
// per model. Then the throughput of Telea + metrics alone through the score pool with 1 and 2
// workers, beside bench/peers/scale_peer.py doing the same work with multiprocessing, in turns.
// Usage: npm run bench:scale -- [--pairs 1200,12000] [--workers 1,2] [--images 1200]
//   [--pool-pairs 200] [--pool-reps 2] [--skip-eval] [--skip-pool] [--keep DIR] [--out FILE]
// The smallest pair count runs with every --workers count, larger ones with the largest only
// (the RSS comparison across pair counts needs the same thread count). --keep DIR works in DIR
// and leaves it; data, training and mask sets already there are reused. --out FILE also writes
// the markdown there.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { splitImages } from '../dist/core/data/image-list.js';
import { CENTRE_CROP, loadImageCrop } from '../dist/core/data/load-image.js';
import { createScorePool } from '../dist/eval/score-pool.js';
import { mulberry32 } from './mulberry32.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(repo, 'bin/pconv-bench.js');
const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '1200,12000' },
    workers: { type: 'string', default: '1,2' },
    images: { type: 'string', default: '1200' },
    'pool-pairs': { type: 'string', default: '200' },
    'pool-reps': { type: 'string', default: '2' },
    'skip-eval': { type: 'boolean', default: false },
    'skip-pool': { type: 'boolean', default: false },
    // Telea is ~90% of the per-pair scoring time: without it a 12,000-pair run fits in minutes.
    'no-classical': { type: 'boolean', default: false },
    // The issue's "a tiny model": PConv alone (the baseline's checkpoints left out of the run).
    'pconv-only': { type: 'boolean', default: false },
    keep: { type: 'string' },
    out: { type: 'string' },
  },
});

const list = (name, text) => {
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`--${name} ${text}: give whole numbers of at least 1, comma-separated`);
  return [...new Set(values)].sort((a, b) => a - b);
};
const whole = (name, text) => list(name, text)[0];
const pairCounts = list('pairs', args.pairs);
const workerCounts = list('workers', args.workers);
const imageCount = whole('images', args.images);
const poolPairs = whole('pool-pairs', args['pool-pairs']);
const poolReps = whole('pool-reps', args['pool-reps']);
for (const p of pairCounts) if (p % 12 !== 0) throw new Error(`--pairs ${p}: the masks come as 6 bins x 2 border subsets, so give a multiple of 12`);

const SIZE = 512;
const SEED = 15;
const TRAIN_IMAGES = 32;
const VALIDATION_IMAGES = 4;
const DATA = { testFraction: 0.5, validationFraction: 0.05 };
const GB = 1e9;

const work = args.keep ? resolve(args.keep) : mkdtempSync(join(tmpdir(), 'pconv-bench-scale-'));
mkdirSync(work, { recursive: true });
const dataDir = join(work, 'data');
const log = (message) => process.stderr.write(`[scale-bench] ${message}\n`);
const loads = () => loadavg().map((v) => v.toFixed(2)).join(' / ');
const loadNotes = [`start: ${loads()}`];

/**
 * A test picture with what makes Telea and SSIM work: smooth gradients, a wave texture, hard-edged
 * shapes and noise (flat areas would let both finish early and flatter the rates).
 */
function synthesise(index, width, height) {
  const rnd = mulberry32(SEED * 1_000_003 + index);
  const corner = () => [rnd() * 255, rnd() * 255, rnd() * 255];
  const [c00, c10, c01, c11] = [corner(), corner(), corner(), corner()];
  const wave = { fx: 0.01 + rnd() * 0.08, fy: 0.01 + rnd() * 0.08, amp: 10 + rnd() * 30, phase: rnd() * 6.28 };
  const shapes = Array.from({ length: 6 + Math.floor(rnd() * 10) }, () => ({
    circle: rnd() < 0.5,
    x: rnd() * width,
    y: rnd() * height,
    r: 15 + rnd() * 90,
    w: 20 + rnd() * 180,
    h: 20 + rnd() * 180,
    colour: corner(),
    alpha: 0.4 + rnd() * 0.6,
  }));
  const out = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const v = y / (height - 1);
    for (let x = 0; x < width; x++) {
      const u = x / (width - 1);
      const texture = wave.amp * Math.sin(wave.fx * x + wave.phase) * Math.cos(wave.fy * y);
      const noise = (rnd() - 0.5) * 24;
      let px = [0, 1, 2].map((c) => (1 - u) * (1 - v) * c00[c] + u * (1 - v) * c10[c] + (1 - u) * v * c01[c] + u * v * c11[c] + texture);
      for (const s of shapes) {
        const inside = s.circle ? (x - s.x) ** 2 + (y - s.y) ** 2 <= s.r * s.r : Math.abs(x - s.x) <= s.w / 2 && Math.abs(y - s.y) <= s.h / 2;
        if (inside) px = px.map((p, c) => (1 - s.alpha) * p + s.alpha * s.colour[c]);
      }
      for (let c = 0; c < 3; c++) out[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(px[c] + noise)));
    }
  }
  return out;
}

/**
 * Names that land in the test, validation and train splits as pconv-bench splits them (a hash of
 * each name, see splitImages), so the test split holds exactly --images pictures.
 */
function pickNames() {
  const want = { test: imageCount, validation: VALIDATION_IMAGES, train: TRAIN_IMAGES };
  const picked = { test: [], validation: [], train: [] };
  for (let start = 0; Object.keys(want).some((s) => picked[s].length < want[s]); start += 1000) {
    const names = Array.from({ length: 1000 }, (_, i) => `img-${String(start + i).padStart(6, '0')}.jpg`);
    const splits = splitImages(
      names.map((n) => join(dataDir, n)),
      { root: dataDir, ...DATA },
      SEED,
    );
    for (const split of Object.keys(want)) {
      for (const file of splits[split]) if (picked[split].length < want[split]) picked[split].push(file);
    }
  }
  return [...picked.test, ...picked.validation, ...picked.train];
}

async function makeData() {
  const stampFile = join(dataDir, '.scale-bench.json');
  const stamp = JSON.stringify({ images: imageCount, train: TRAIN_IMAGES, validation: VALIDATION_IMAGES, seed: SEED, ...DATA });
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return log(`reusing the images in ${dataDir}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const files = pickNames();
  const t = performance.now();
  for (const [i, file] of files.entries()) {
    const index = Number(/img-(\d+)/.exec(file)[1]);
    // 512 px and larger, some not square, so that eval's centre crop does real work.
    const rnd = mulberry32(index + 7);
    const width = SIZE + 32 * Math.floor(rnd() * 5);
    const height = SIZE + 32 * Math.floor(rnd() * 3);
    await sharp(synthesise(index, width, height), { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 90 })
      .toFile(file);
    if ((i + 1) % 200 === 0) log(`images: ${i + 1}/${files.length}`);
  }
  writeFileSync(stampFile, stamp);
  log(`${files.length} images written in ${((performance.now() - t) / 1000).toFixed(0)} s`);
}

function configFile(pairs) {
  const file = join(work, `scale-${pairs}.yaml`);
  writeFileSync(
    file,
    [
      `# Written by bench/scale-bench.mjs: ${pairs} pairs at ${SIZE} px, a tiny UNet.`,
      'name: scale-bench',
      `seed: ${SEED}`,
      'data:',
      `  root: ${JSON.stringify(dataDir)}`,
      `  imageSize: ${SIZE}`,
      `  testFraction: ${DATA.testFraction}`,
      `  validationFraction: ${DATA.validationFraction}`,
      'masks:',
      `  perBin: ${pairs / 12}`,
      'model:',
      '  levels: 4',
      '  baseChannels: 4',
      '  maxChannels: 8',
      'loss:',
      '  perceptual: 0',
      '  style: 0',
      'train:',
      '  batchSize: 1',
      '  phase1: { learningRate: 2.0e-4, steps: 2, freezeEncoderBatchNorm: false }',
      '  phase2: { learningRate: 5.0e-5, steps: 1, freezeEncoderBatchNorm: true }',
      '  checkpointEvery: 1000',
      '  validateEvery: 1000',
      'output:',
      `  dir: ${JSON.stringify(join(work, 'reports'))}`,
      '',
    ].join('\n'),
  );
  return file;
}

/** Resident set of a process and its descendants (ONNX Runtime and worker threads share the first). */
function sampleTree(pid) {
  let rssKiB = 0;
  let hwmKiB = 0;
  let cpuTicks = 0;
  const visit = (p) => {
    let status;
    let stat;
    try {
      status = readFileSync(`/proc/${p}/status`, 'utf8');
      stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      return;
    }
    rssKiB += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    hwmKiB += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    cpuTicks += Number(fields[11]) + Number(fields[12]);
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {}
    for (const tid of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim();
      } catch {}
      for (const child of children.split(/\s+/).filter(Boolean)) visit(child);
    }
  };
  visit(pid);
  return { rssKiB, hwmKiB, cpuTicks };
}

/**
 * Runs a command, hands each stdout line to onLine, samples its memory every 100 ms; rejects with
 * the tail of stderr when it fails.
 */
function runMeasured(command, argv, { onLine, env } = {}) {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(command, argv, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    const stderr = [];
    let peak = { hwmKiB: 0, maxRssKiB: 0, cpuTicks: 0 };
    let latest = { rssKiB: 0 };
    const poll = () => {
      const s = sampleTree(child.pid);
      if (s.hwmKiB === 0 && s.rssKiB === 0) return;
      latest = s;
      peak = { hwmKiB: Math.max(peak.hwmKiB, s.hwmKiB), maxRssKiB: Math.max(peak.maxRssKiB, s.rssKiB), cpuTicks: Math.max(peak.cpuTicks, s.cpuTicks) };
    };
    const timer = setInterval(poll, 100);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (onLine) onLine(line, latest);
      else stdout += `${line}\n`;
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderr.push(line);
      if (stderr.length > 40) stderr.shift();
    });
    child.on('error', fail);
    child.on('close', (code) => {
      clearInterval(timer);
      const wallMs = performance.now() - t0;
      if (code !== 0) fail(new Error(`${command} ${argv.join(' ')} exited with ${code}:\n${stderr.join('\n')}`));
      else done({ wallMs, stdout, ...peak });
    });
  });
}

const node = (...argv) => runMeasured(process.execPath, [cli, ...argv]);

async function prepareRuns() {
  await makeData();
  const trainDir = join(work, 'train');
  const trainConfig = configFile(pairCounts[0]);
  if (existsSync(join(trainDir, 'checkpoints/pconv/phase2')) && existsSync(join(trainDir, 'checkpoints/conv/phase2'))) log('reusing the trained models');
  else {
    log('training both tiny models (3 steps each)');
    const { wallMs } = await node('train', trainConfig, '--run', trainDir, '--backend', 'wasm');
    log(`trained in ${(wallMs / 1000).toFixed(0)} s`);
  }
  const runs = new Map();
  for (const pairs of pairCounts) {
    const config = configFile(pairs);
    const runDir = join(work, `run-${pairs}`);
    const manifest = join(runDir, 'masks/manifest.json');
    const have = existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).masks?.length : 0;
    if (have !== pairs) {
      log(`making ${pairs} masks`);
      const { wallMs } = await node('masks', config, '--out', runDir, '--force');
      log(`masks in ${(wallMs / 1000).toFixed(0)} s`);
    }
    rmSync(join(runDir, 'checkpoints'), { recursive: true, force: true });
    cpSync(join(trainDir, 'checkpoints'), join(runDir, 'checkpoints'), { recursive: true });
    if (args['pconv-only']) rmSync(join(runDir, 'checkpoints', 'conv'), { recursive: true, force: true });
    runs.set(pairs, { config, runDir });
  }
  const testImages = readdirSync(dataDir).filter((f) => f.endsWith('.jpg')).length - TRAIN_IMAGES - VALIDATION_IMAGES;
  return { runs, testImages };
}

/** One `eval --json` run: timings from its events, memory and CPU from /proc. */
async function measureEval({ config, runDir }, pairs, workers) {
  const events = [];
  const loadBefore = loadavg()[0];
  const result = await runMeasured(process.execPath, [cli, 'eval', config, '--run', runDir, '--json', '--backend', 'wasm', '--workers', String(workers), '--restart', ...(args['no-classical'] ? ['--no-classical'] : [])], {
    onLine: (line, sample) => {
      if (!line.startsWith('{')) return;
      try {
        events.push({ ...JSON.parse(line), rssKiB: sample.rssKiB });
      } catch {}
    },
  });
  const at = (e) => Date.parse(e.time);
  const started = events.find((e) => e.type === 'stage' && e.stage === 'eval' && e.status === 'started');
  if (!started) throw new Error('eval sent no "stage eval started" event');
  const progress = events.filter((e) => e.type === 'progress');
  const firstProgress = progress[0];
  const firstPair = progress.find((e) => e.stage === 'eval' && e.done > 0);
  const last = (stage) => progress.filter((e) => e.stage === stage).at(-1);
  const models = {};
  for (const stage of new Set(progress.map((e) => e.stage).filter((s) => s.startsWith('eval ') && s !== 'eval test images'))) {
    const mine = progress.filter((e) => e.stage === stage);
    const end = mine.at(-1);
    const firstDone = mine.find((e) => e.done > 0);
    models[stage.slice(5)] = {
      done: end.done,
      rate: end.ratePerSecond,
      // Between its first scored pair and its last: model loading and the first batch left out.
      steady: firstDone && end !== firstDone ? (end.done - firstDone.done) / ((at(end) - at(firstDone)) / 1000) : undefined,
    };
  }
  const end = last('eval');
  if (!end || end.done !== pairs) throw new Error(`eval scored ${end?.done} of ${pairs} pairs`);
  return {
    pairs,
    workers,
    wallS: result.wallMs / 1000,
    hwmMiB: result.hwmKiB / 1024,
    maxRssMiB: result.maxRssKiB / 1024,
    cpuS: result.cpuTicks / 100,
    firstProgressS: firstProgress ? (at(firstProgress) - at(started)) / 1000 : undefined,
    firstPairS: firstPair ? (at(firstPair) - at(started)) / 1000 : undefined,
    // Resident memory when the first pairs were scored and at the last progress event: growth in
    // between, at a fixed batch, would be memory held per pair.
    rssStartMiB: firstProgress ? firstProgress.rssKiB / 1024 : undefined,
    rssFirstMiB: firstPair ? firstPair.rssKiB / 1024 : undefined,
    rssEndMiB: end.rssKiB / 1024,
    stageS: (at(end) - at(started)) / 1000,
    overall: pairs / ((at(end) - at(started)) / 1000),
    models,
    load: `${loadBefore.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`,
  };
}

/** The first `count` pairs of a run as PNGs (ground truth + white-hole mask), the files both sides read. */
async function writePoolPairs({ runDir }, count) {
  const dir = join(work, 'pool-pairs');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const manifest = JSON.parse(readFileSync(join(runDir, 'masks/manifest.json'), 'utf8'));
  const data = { root: dataDir, ...DATA };
  const files = readdirSync(dataDir)
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => join(dataDir, f))
    .sort();
  const test = splitImages(files, data, SEED).test;
  for (let k = 0; k < count; k++) {
    const id = `pair-${String(k).padStart(5, '0')}`;
    const image = await loadImageCrop(test[k % test.length], SIZE, CENTRE_CROP);
    await sharp(Buffer.from(Uint8Array.from(image, (v) => Math.round(v * 255))), { raw: { width: SIZE, height: SIZE, channels: 3 } })
      .png()
      .toFile(join(dir, `${id}.png`));
    const mask = await sharp(join(runDir, 'masks', manifest.masks[k % manifest.masks.length].file))
      .extractChannel(0)
      .raw()
      .toBuffer();
    await sharp(Buffer.from(mask.map((v) => (v >= 128 ? 0 : 255))), { raw: { width: SIZE, height: SIZE, channels: 1 } })
      .png()
      .toFile(join(dir, `${id}_mask000.png`));
  }
  return dir;
}

async function readPoolPairs(dir) {
  const ids = readdirSync(dir)
    .filter((f) => f.endsWith('.png') && !f.includes('_mask'))
    .map((f) => f.slice(0, -4))
    .sort();
  const pairs = [];
  for (const id of ids) {
    const rgb = await sharp(join(dir, `${id}.png`)).removeAlpha().raw().toBuffer();
    const hole = await sharp(join(dir, `${id}_mask000.png`)).extractChannel(0).raw().toBuffer();
    pairs.push({ image: Float32Array.from(rgb, (v) => v / 255), valid: Float32Array.from(hole, (v) => (v >= 128 ? 0 : 1)) });
  }
  return pairs;
}

/**
 * Our side of the pool cell: Telea + composite + metrics for every pair through createScorePool,
 * at most two jobs per worker in flight (as eval keeps it fed). One untimed job per worker first
 * loads OpenCV in each thread.
 */
async function ourPool(pairs, workers) {
  const pool = createScorePool(workers);
  if (pool.workers !== workers) throw new Error(`asked for ${workers} scoring threads, got ${pool.workers}: is dist/ built?`);
  // Buffers are transferred to the worker, so each job gets its own copies.
  const job = (k) => ({ k, size: SIZE, image: pairs[k].image.slice(), valid: pairs[k].valid.slice(), outputs: [], telea: 'Telea', keepComposites: [] });
  try {
    await Promise.all(Array.from({ length: Math.min(workers, pairs.length) }, (_, k) => pool.score(job(k))));
    const results = new Array(pairs.length);
    let next = 0;
    const t = performance.now();
    const feed = async () => {
      while (next < pairs.length) {
        const k = next++;
        results[k] = await pool.score(job(k));
      }
    };
    await Promise.all(Array.from({ length: 2 * workers }, feed));
    const seconds = (performance.now() - t) / 1000;
    const metric = (key) => results.reduce((sum, r) => sum + r.metrics[0].metrics[key], 0) / results.length;
    return { pairsPerSecond: pairs.length / seconds, seconds, meanPsnr: metric('psnr'), meanSsim: metric('ssim') };
  } finally {
    await pool.close();
  }
}

async function peerPool(dir, processes) {
  const { stdout } = await runMeasured('/usr/bin/python3', [join(repo, 'bench/peers/scale_peer.py'), dir, '--processes', String(processes)], {
    env: { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (v, digits = 1) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));
const met = (ok) => (ok === undefined ? 'not measured' : ok ? 'met' : '**not met**');

try {
  const started = new Date();
  const { runs, testImages } = await prepareRuns();
  const lines = [];

  let pool;
  if (!args['skip-pool']) {
    const poolDir = await writePoolPairs(runs.get(pairCounts[0]), poolPairs);
    const pairs = await readPoolPairs(poolDir);
    const cells = [];
    const sides = [1, 2].flatMap((w) => [
      ['ours', w],
      ['peer', w],
    ]);
    for (let rep = 1; rep <= poolReps; rep++) {
      for (const [side, w] of sides) {
        const r = side === 'ours' ? await ourPool(pairs, w) : await peerPool(poolDir, w);
        log(`pool ${side} x${w} rep ${rep}: ${r.pairsPerSecond.toFixed(2)} pairs/s (Telea PSNR ${r.meanPsnr.toFixed(3)} dB, SSIM ${r.meanSsim.toFixed(4)}); load ${loads()}`);
        cells.push({ side, workers: w, rep, ...r });
      }
    }
    loadNotes.push(`after the pool cell: ${loads()}`);
    const rate = (side, w) => median(cells.filter((c) => c.side === side && c.workers === w).map((c) => c.pairsPerSecond));
    const peerName = cells.find((c) => c.side === 'peer')?.peer;
    pool = { ours1: rate('ours', 1), ours2: rate('ours', 2), peer1: rate('peer', 1), peer2: rate('peer', 2), cells };
    const first = (side) => cells.find((c) => c.side === side);
    lines.push(
      `### Telea + metrics only (score pool), ${pairs.length} pairs, ${poolReps} turn${poolReps > 1 ? 's' : ''} of ours-1, peer-1, ours-2, peer-2`,
      '',
      `Per pair: Telea radius 3, composite, L1 holes + whole, PSNR, SSIM (Gaussian). Ours: createScorePool (our Telea, byte for byte OpenCV 4.13's, and the metrics, on worker threads); peer: ${peerName} with multiprocessing.Pool, pairs loaded before the pool forks. Median pairs/s over the turns (each turn in brackets).`,
      '',
      '| workers | ours pairs/s | peer pairs/s | ours / peer |',
      '|---|---|---|---|',
      ...[1, 2].map((w) => {
        const each = (side) => cells.filter((c) => c.side === side && c.workers === w).map((c) => c.pairsPerSecond.toFixed(2)).join(', ');
        return `| ${w} | ${f(rate('ours', w), 2)} (${each('ours')}) | ${f(rate('peer', w), 2)} (${each('peer')}) | ${f(rate('ours', w) / rate('peer', w), 2)} |`;
      }),
      `| 2 / 1 | ${f(pool.ours2 / pool.ours1, 2)}x | ${f(pool.peer2 / pool.peer1, 2)}x | |`,
      '',
      `Same work on both sides: mean Telea PSNR ${f(first('ours').meanPsnr, 3)} dB (ours) vs ${f(first('peer').meanPsnr, 3)} dB (peer), SSIM ${f(first('ours').meanSsim, 4)} vs ${f(first('peer').meanSsim, 4)}.`,
      '',
    );
  }

  const evals = [];
  if (!args['skip-eval']) {
    const maxWorkers = workerCounts.at(-1);
    for (const pairs of pairCounts) {
      for (const workers of pairs === pairCounts[0] ? workerCounts : [maxWorkers]) {
        log(`eval: ${pairs} pairs, ${workers} scoring thread${workers > 1 ? 's' : ''}`);
        const r = await measureEval(runs.get(pairs), pairs, workers);
        log(`  ${f(r.wallS)} s, peak RSS ${f(r.hwmMiB, 0)} MiB, ${f(r.overall, 2)} pairs/s, load ${r.load}`);
        evals.push(r);
      }
    }
    loadNotes.push(`after eval: ${loads()}`);
    const names = [...new Set(evals.flatMap((e) => Object.keys(e.models)))];
    lines.push(
      `### \`pconv-bench eval --json --backend wasm --workers W\`, ${SIZE}x${SIZE}, ${testImages} test images, tiny UNet (4 levels, 4..8 channels)`,
      '',
      'Peak RSS: VmHWM of the eval process (ONNX Runtime and the scoring threads live in it), read every 100 ms; "max sampled" is the largest VmRSS seen. Times are from the events: "first progress" and "first pair" count from the `stage eval started` event (progress events come at most every 5 s, so "first pair" is late by up to 5 s). Per model: the last progress event\'s ratePerSecond (from the stage start, model loading included), and in brackets the rate between its first scored pair and its last. CPU: user + system seconds of the process / wall.',
      '',
      `| pairs | workers | wall s | peak RSS MiB | max sampled RSS MiB | RSS MiB at first progress, first pair, last | first progress s | first pair s | ${names.map((n) => `${n} pairs/s`).join(' | ')} | all models pairs/s | cores busy | load avg (1 min) |`,
      `|---|---|---|---|---|---|---|---|${names.map(() => '---|').join('')}---|---|---|`,
      ...evals.map(
        (e) =>
          `| ${e.pairs} | ${e.workers} | ${f(e.wallS)} | ${f(e.hwmMiB, 0)} | ${f(e.maxRssMiB, 0)} | ${f(e.rssStartMiB, 0)}, ${f(e.rssFirstMiB, 0)}, ${f(e.rssEndMiB, 0)} | ${f(e.firstProgressS, 2)} | ${f(e.firstPairS, 2)} | ${names.map((n) => `${f(e.models[n]?.rate, 2)} (${f(e.models[n]?.steady, 2)})`).join(' | ')} | ${f(e.overall, 2)} | ${f(e.cpuS / e.wallS, 2)} | ${e.load} |`,
      ),
      '',
    );
  }

  // The targets of issue 15.
  const top = evals.filter((e) => e.workers === workerCounts.at(-1));
  const small = top.find((e) => e.pairs === pairCounts[0]);
  const large = top.length > 1 ? top.at(-1) : undefined;
  const peak = evals.length ? Math.max(...evals.map((e) => e.hwmMiB)) : undefined;
  const growth = small && large ? large.hwmMiB / small.hwmMiB - 1 : undefined;
  const firstLine = evals.length ? Math.max(...evals.map((e) => e.firstProgressS)) : undefined;
  const targets = [
    '### Targets (issue 15)',
    '',
    '| target | measured | |',
    '|---|---|---|',
    `| peak RSS <= 2 GB | ${peak === undefined ? '-' : `${f((peak * 2 ** 20) / GB, 2)} GB (${f(peak, 0)} MiB), largest of all runs`} | ${met(peak === undefined ? undefined : peak * 2 ** 20 <= 2 * GB)} |`,
    `| peak RSS within 10% between ${pairCounts[0]} and ${pairCounts.at(-1)} pairs | ${growth === undefined ? '-' : `${f(small.hwmMiB, 0)} -> ${f(large.hwmMiB, 0)} MiB (${growth >= 0 ? '+' : ''}${f(growth * 100)}%)`} | ${met(growth === undefined ? undefined : Math.abs(growth) <= 0.1)} |`,
    `| Telea + metrics, 2 workers >= 1.8x 1 worker | ${pool ? `${f(pool.ours2 / pool.ours1, 2)}x` : '-'} | ${met(pool ? pool.ours2 / pool.ours1 >= 1.8 : undefined)} |`,
    `| Telea + metrics >= the Python peer's pairs/s (2 workers / processes) | ${pool ? `${f(pool.ours2, 2)} vs ${f(pool.peer2, 2)} pairs/s (${f(pool.ours2 / pool.peer2, 2)}x)` : '-'} | ${met(pool ? pool.ours2 >= pool.peer2 : undefined)} |`,
    `| first progress line within 5 s of the eval stage starting | ${firstLine === undefined ? '-' : `${f(firstLine, 2)} s (slowest run)`} | ${met(firstLine === undefined ? undefined : firstLine <= 5)} |`,
    '',
  ];

  const command = `npm run bench:scale -- ${process.argv.slice(2).join(' ')}`.trim();
  const header = [
    `## Scale benchmark (${started.toISOString().slice(0, 10)})`,
    '',
    `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${process.platform} ${process.arch}. Node ${process.version}. Command: \`${command}\`.`,
    `Load average (1 / 5 / 15 min), other processes share the machine: ${loadNotes.join('; ')}.`,
    '',
  ];
  const text = [...header, ...lines, ...targets].join('\n');
  process.stdout.write(text);
  if (args.out) {
    writeFileSync(resolve(args.out), text);
    log(`wrote ${resolve(args.out)}`);
  }
} finally {
  if (args.keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
