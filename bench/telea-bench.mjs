#!/usr/bin/env node
// Telea inpainting benchmark at 512x512 on the paper's hole-ratio bins: our TypeScript port
// (dist/eval/telea-fmm.js) against OpenCV 4.13's cv.inpaint through @opencvjs/node (WebAssembly),
// alternated call by call in one process, with a byte-for-byte check on every pair. Both run
// through the evaluator's Inpainter contract (float RGB + validity mask in, float RGB out); the
// cv.inpaint call alone (Mats filled beforehand) is timed too, since the OpenCV Inpainter also
// spends time converting. Then two worker threads at once, as the scoring pool runs them: one of
// each, and two of the same kind (pairs per second on both cores). Then, when /usr/bin/python3 has
// cv2, OpenCV's native build on the same inputs (its version may differ from 4.13, so its bytes
// are not compared).
// Usage: npm run bench:telea -- [--rounds 5] [--per-bin 2] [--no-workers] [--no-python]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { generateBinnedMask } from '../dist/core/masks/binned-mask.js';
import { binsFromEdges, PAPER_BIN_EDGES } from '../dist/core/masks/bins.js';
import { HOLE } from '../dist/core/masks/mask-image.js';
import { shapeSourceFor } from '../dist/core/masks/shape-source-for.js';
import { teleaFmmInpainter } from '../dist/eval/telea-fmm.js';
import { teleaInpainterOpenCv } from '../dist/eval/telea.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SIZE = 512;
const RADIUS = 3;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function openCvModule() {
  const m = await import('@opencvjs/node');
  return (m.loadOpenCV ?? m.default.loadOpenCV)();
}

/** The three timed variants, each a function of a pair. */
async function implementations() {
  const ours = teleaFmmInpainter(RADIUS);
  const openCv = await teleaInpainterOpenCv(RADIUS);
  const cv = await openCvModule();
  const src = new cv.Mat(SIZE, SIZE, cv.CV_8UC3);
  const mask = new cv.Mat(SIZE, SIZE, cv.CV_8UC1);
  const dst = new cv.Mat(SIZE, SIZE, cv.CV_8UC3);
  return {
    ours: (p) => ours(p.image, p.valid, SIZE, SIZE),
    opencv: (p) => openCv(p.image, p.valid, SIZE, SIZE),
    // cv.inpaint alone: the Mats are filled outside the timed call.
    prepare: (p) => {
      src.data.set(p.rgb);
      mask.data.set(p.mask);
    },
    'cv.inpaint': () => cv.inpaint(src, mask, dst, RADIUS, cv.INPAINT_TELEA),
  };
}

function timeCall(impls, name, pair) {
  if (name === 'cv.inpaint') impls.prepare(pair);
  const t0 = performance.now();
  impls[name](pair);
  return performance.now() - t0;
}

// ---- Worker side: one implementation over all pairs, started on a signal -------------------
if (!isMainThread) {
  const { pairs, rounds, name } = workerData;
  const impls = await implementations();
  for (const p of pairs.slice(0, 2)) timeCall(impls, name, p);
  parentPort.postMessage({ ready: true });
  parentPort.once('message', () => {
    const ms = [];
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) for (const p of pairs) ms.push(timeCall(impls, name, p));
    parentPort.postMessage({ ms, wall: performance.now() - t0 });
  });
} else {
  const { values: args } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      'per-bin': { type: 'string', default: '2' },
      'no-workers': { type: 'boolean', default: false },
      'no-python': { type: 'boolean', default: false },
    },
  });
  const rounds = Number(args.rounds);
  const perBin = Number(args['per-bin']);
  console.log(`telea bench: ${SIZE}x${SIZE}, radius ${RADIUS}, node ${process.version}, ${cpus()[0]?.model ?? '?'} x${availableParallelism()}`);

  // Pairs: bundled photos scaled to 512, masks from the project's generator in each paper bin.
  const photos = readFileSync(join(root, 'data/photos/LICENSES.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')[0]);
  const targets = binsFromEdges(PAPER_BIN_EDGES);
  const source = shapeSourceFor({ kind: 'pconv-keras', sizeFactor: 0.03, minThickness: 3, lines: true, circles: true, ellipses: true }, SIZE, SIZE);
  const pairs = [];
  for (const [b, bin] of targets.entries()) {
    for (let k = 0; k < perBin; k++) {
      const target = { bin, rule: '(lo,hi]', subset: k % 2 ? 'border' : 'no-border', margin: 8 };
      const { mask, holeRatio } = generateBinnedMask(source, SIZE, SIZE, target, 1000 + b * 10 + k, { maxShapes: 5000, maxAttempts: 20 });
      const file = photos[(b * perBin + k) % photos.length];
      const raw = await sharp(join(root, 'data/photos', `${file}.png`)).resize(SIZE, SIZE).removeAlpha().toColourspace('srgb').raw().toBuffer();
      const valid = Float32Array.from(mask.data, (v) => (v === HOLE ? 0 : 1));
      const image = Float32Array.from(raw, (v) => v / 255);
      // What the Inpainters hand OpenCV: holes zeroed, mask 255 on holes.
      const rgb = Uint8Array.from(raw);
      const cvMask = new Uint8Array(SIZE * SIZE);
      for (let p = 0; p < SIZE * SIZE; p++) {
        if (valid[p] === 0) {
          cvMask[p] = 255;
          rgb.fill(0, p * 3, p * 3 + 3);
        }
      }
      pairs.push({ image, valid, rgb, mask: cvMask, holeRatio, bin: b });
    }
  }
  console.log(`${pairs.length} pairs, hole ratios ${pairs.map((p) => p.holeRatio.toFixed(3)).join(' ')}`);

  // ---- Same process, alternating -----------------------------------------------------------
  const impls = await implementations();
  let mismatched = 0;
  for (const p of pairs) {
    const a = impls.ours(p);
    const b = impls.opencv(p);
    for (let q = 0; q < a.length; q++) if (a[q] !== b[q]) mismatched++;
  }
  console.log(`byte check: ${mismatched} mismatching bytes over ${pairs.length} pairs`);
  const names = ['ours', 'opencv', 'cv.inpaint'];
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const perBinTimes = Object.fromEntries(names.map((n) => [n, targets.map(() => [])]));
  for (let r = 0; r < rounds; r++) {
    for (const p of pairs) {
      // Rotate the order so that no variant always runs first.
      for (let i = 0; i < names.length; i++) {
        const n = names[(i + r) % names.length];
        const ms = timeCall(impls, n, p);
        times[n].push(ms);
        perBinTimes[n][p.bin].push(ms);
      }
    }
  }
  console.log('\nsame process, alternating (median ms per call):');
  console.log(`  bin            ${names.map((n) => n.padStart(11)).join('')}   opencv/ours  cv.inpaint/ours`);
  const row = (label, m) => console.log(`  ${label.padEnd(13)}  ${m.map((v) => v.toFixed(1).padStart(11)).join('')}   ${`${(m[1] / m[0]).toFixed(2)}x`.padStart(11)}  ${`${(m[2] / m[0]).toFixed(2)}x`.padStart(15)}`);
  for (const [b, t] of targets.entries()) row(`(${t.lo.toFixed(2)}, ${t.hi.toFixed(2)}]`, names.map((n) => median(perBinTimes[n][b])));
  const all = names.map((n) => median(times[n]));
  row('all', all);

  // ---- Two worker threads at once --------------------------------------------------------------
  if (!args['no-workers']) {
    const workerRounds = Math.max(1, Math.ceil(rounds / 2));
    const runWorkers = async (kinds) => {
      const workerPairs = pairs.map(({ image, valid, rgb, mask, bin }) => ({ image, valid, rgb, mask, bin }));
      const workers = kinds.map((name) => new Worker(fileURLToPath(import.meta.url), { workerData: { pairs: workerPairs, rounds: workerRounds, name } }));
      await Promise.all(workers.map((w) => new Promise((ok, fail) => w.once('message', ok).once('error', fail))));
      const results = await Promise.all(
        workers.map((w) => {
          const done = new Promise((ok, fail) => w.once('message', ok).once('error', fail));
          w.postMessage('go');
          return done;
        }),
      );
      await Promise.all(workers.map((w) => w.terminate()));
      return results;
    };
    console.log('\ntwo worker threads at once (median ms per call; pairs/s over both):');
    for (const kinds of [
      ['ours', 'opencv'],
      ['ours', 'ours'],
      ['opencv', 'opencv'],
    ]) {
      const results = await runWorkers(kinds);
      const perCall = results.map((r) => median(r.ms).toFixed(1));
      const rate = results.reduce((s, r) => s + r.ms.length / (r.wall / 1000), 0);
      console.log(`  ${kinds.join(' + ').padEnd(16)} ${kinds.map((k, i) => `${k} ${perCall[i]}`).join(', ')}; ${rate.toFixed(2)} pairs/s`);
    }
  }

  // ---- OpenCV native (Python cv2), same inputs ----------------------------------------------
  if (!args['no-python'] && spawnSync('/usr/bin/python3', ['-c', 'import cv2'], { encoding: 'utf8' }).status === 0) {
    const dir = mkdtempSync(join(tmpdir(), 'telea-bench-'));
    try {
      for (const [i, p] of pairs.entries()) {
        writeFileSync(join(dir, `${i}.rgb`), p.rgb);
        writeFileSync(join(dir, `${i}.mask`), p.mask);
      }
      const script = `
import sys, time, statistics, numpy as np, cv2
d, n, rounds, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cv2.setNumThreads(1)
pairs = [(np.fromfile(f"{d}/{i}.rgb", np.uint8).reshape(size, size, 3), np.fromfile(f"{d}/{i}.mask", np.uint8).reshape(size, size)) for i in range(n)]
for img, mask in pairs[:2]: cv2.inpaint(img, mask, 3, cv2.INPAINT_TELEA)
ms = []
for _ in range(rounds):
    for img, mask in pairs:
        t0 = time.perf_counter(); cv2.inpaint(img, mask, 3, cv2.INPAINT_TELEA); ms.append((time.perf_counter() - t0) * 1000)
print(cv2.__version__, statistics.median(ms))
`;
      const run = spawnSync('/usr/bin/python3', ['-c', script, dir, String(pairs.length), String(rounds), String(SIZE)], { encoding: 'utf8' });
      if (run.status !== 0) console.log(`\ncv2: failed: ${run.stderr.trim().split('\n').pop()}`);
      else {
        const [version, ms] = run.stdout.trim().split(' ');
        console.log(`\nOpenCV native (Python cv2 ${version}, one thread), same pairs: median ${Number(ms).toFixed(1)} ms per call; ours ${(all[0] / Number(ms)).toFixed(2)}x its time`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
