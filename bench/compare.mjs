#!/usr/bin/env node
// Issue 7's comparison: `pconv-bench bench` (ours, on the wasm backend by default) and the PyTorch
// peer (bench/peers/pytorch_pconv.py) on the same UNet, loss and sizes, in one go; prints the
// ratio table and rewrites the marked section of BENCHMARKS.md. On a shared machine the load
// drifts within minutes, so each setting runs in rounds in ABBA order (ours, peer, peer, ours, ...)
// and each side's timed steps of all rounds are pooled before taking the median.
// Usage: npm run bench:compare [-- --sizes 64,128 --losses l1,full --batch 4 --backend wasm
//        --rounds 2 --warmup 1 --repeats 3 --threads 2,1 --verify-sizes 64 --dry-run]
// Needs Debian's python3-torch (apt-get install python3-torch).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summarizeTimings } from '../dist/bench/timing.js';
import { BenchResultSchema, VerifyResultSchema } from '../dist/protocol/bench.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '64,128' },
    losses: { type: 'string', default: 'l1,full' },
    batch: { type: 'string', default: '4' },
    backend: { type: 'string', default: 'wasm' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '1' },
    repeats: { type: 'string', default: '3' },
    // The peer runs at each thread count and the faster one is the reference: on a shared 2-core
    // machine torch's 2 OpenMP threads can be several times slower than 1 (they wait for a busy core).
    threads: { type: 'string', default: [...new Set([availableParallelism(), 1])].join(',') },
    // The cpu backend needs minutes per check at the UNet's smallest size; 128 px adds only one
    // more 3x3 512-channel level of the same layer types, so by default the 64 px models are checked.
    'verify-sizes': { type: 'string', default: '64' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'dry-run': { type: 'boolean', default: false },
  },
});
const list = (flag) =>
  args[flag].split(',').map((item) => {
    const value = flag === 'losses' ? item.trim() : Number(item);
    if (flag === 'losses' ? !['l1', 'full'].includes(value) : !(Number.isInteger(value) && value > 0))
      throw new Error(`--${flag}: "${item}" is not ${flag === 'losses' ? 'l1 or full' : 'a positive integer'}`);
    return value;
  });
const sizes = list('sizes');
const losses = list('losses');
const rounds = Number(args.rounds);
if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--rounds must be a positive integer, not ${args.rounds}`);
const verifySizes = new Set(args['verify-sizes'] ? list('verify-sizes') : []);
const threadCounts = list('threads');
const common = ['--batch', args.batch, '--warmup', args.warmup, '--repeats', args.repeats];

function run(command, argv, what) {
  const started = performance.now();
  const child = spawnSync(command, argv, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (child.error) throw new Error(`${what}: cannot start ${command}: ${child.error.message}`);
  return { ...child, seconds: (performance.now() - started) / 1000 };
}

function ours(size, loss, withVerify) {
  const argv = ['bin/pconv-bench.js', 'bench', '--json', '--backend', args.backend, '--size', String(size), '--loss', loss, ...common, ...(withVerify ? ['--verify'] : [])];
  const child = run(process.execPath, argv, 'pconv-bench bench');
  // Lines that are not JSON (a dependency's stray print, a torn last line) are not events.
  const events = child.stdout
    .trim()
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });
  const result = events.find((e) => e.type === 'result');
  if (!result) {
    const error = events.find((e) => e.type === 'error');
    throw new Error(`pconv-bench bench ${argv.slice(2).join(' ')} failed (exit ${child.status}): ${error ? `${error.message} ${error.details.join('; ')}` : child.stderr.slice(-2000)}`);
  }
  const { verify, ...figures } = result.data;
  return { result: BenchResultSchema.parse(figures), verify: verify === undefined ? undefined : VerifyResultSchema.parse(verify), exitCode: child.status };
}

function peer(size, loss, threads) {
  const argv = [join(root, 'bench/peers/pytorch_pconv.py'), '--size', String(size), '--loss', loss, ...common, '--threads', String(threads)];
  const child = run(args.python, argv, 'PyTorch peer');
  if (child.status !== 0) throw new Error(`the PyTorch peer failed (exit ${child.status}; apt-get install python3-torch): ${child.stderr.slice(-2000)}`);
  return BenchResultSchema.parse(JSON.parse(child.stdout));
}

/** Short names of bench --verify's checks for the table cell. */
function checkLabel(name) {
  if (name === 'inference output') return 'output';
  if (name.startsWith('inference output (')) return 'engine output';
  return name.split(' ')[0];
}

/** One side's results of several rounds as one: timed steps pooled, figures recomputed from them. */
function pool(results) {
  const [first] = results;
  const steps = summarizeTimings(results.flatMap((r) => r.train.msPerStep.samples));
  const batches = summarizeTimings(results.flatMap((r) => r.inference.msPerBatch.samples));
  const batch = first.settings.batch;
  return BenchResultSchema.parse({
    ...first,
    settings: { ...first.settings, repeats: steps.samples.length },
    train: { ...results.at(-1).train, msPerStep: steps, stepsPerSecond: 1000 / steps.median, imagesPerSecond: (1000 * batch) / steps.median },
    inference: { ...(first.inference.engine ? { engine: first.inference.engine } : {}), msPerBatch: batches, imagesPerSecond: (1000 * batch) / batches.median },
    memory: { ...first.memory, peakRssBytes: Math.max(...results.map((r) => r.memory.peakRssBytes)) },
    seconds: results.reduce((sum, r) => sum + r.seconds, 0),
  });
}

const started = performance.now();
const load = loadavg()[0];
const rows = [];
for (const size of sizes) {
  for (const loss of losses) {
    const oursRounds = [];
    const peerRounds = new Map(threadCounts.map((t) => [t, []]));
    let verify;
    for (let round = 0; round < rounds; round++) {
      // ABBA: even rounds ours first, odd rounds the peer first.
      const order = round % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours'];
      for (const side of order) {
        console.error(
          `${size}x${size}, loss ${loss}, round ${round + 1}/${rounds}: ${side === 'ours' ? `ours (${args.backend})` : `PyTorch peer, ${threadCounts.join(' and ')} thread(s)`}${side === 'ours' && round === 0 && verifySizes.has(size) ? ' + verify against cpu' : ''} ...`,
        );
        if (side === 'peer') {
          for (const t of threadCounts) peerRounds.get(t).push(peer(size, loss, t));
          continue;
        }
        const o = ours(size, loss, round === 0 && verifySizes.has(size));
        oursRounds.push(o.result);
        if (o.verify) verify = o.verify;
        if (o.exitCode !== 0) console.error(`warning: pconv-bench bench exited ${o.exitCode} (verification failed); its figures are in the table, marked`);
      }
    }
    const o = pool(oursRounds);
    const peers = threadCounts.map((t) => pool(peerRounds.get(t)));
    const p = peers.reduce((best, q) => (q.train.msPerStep.median < best.train.msPerStep.median ? q : best));
    const pInference = peers.reduce((best, q) => (q.inference.msPerBatch.median < best.inference.msPerBatch.median ? q : best));
    // Same network: the parameter counts must agree exactly, or the comparison is void.
    if (o.parameters.trainable !== p.parameters.trainable || o.parameters.total !== p.parameters.total) {
      throw new Error(`parameter counts differ at ${size} px: ours ${JSON.stringify(o.parameters)}, peer ${JSON.stringify(p.parameters)}; the peer's UNet no longer matches src/core/model`);
    }
    rows.push({ size, loss, ours: o, verify, peer: p, peerInference: pInference, peers });
  }
}
const seconds = (performance.now() - started) / 1000;

const first = rows[0];
if (!first) throw new Error('nothing to compare: --sizes and --losses are empty');
const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const spread = (t) => `${fmt(t.min)}-${fmt(t.max)}`;
const verifyCell = (v) =>
  v
    ? `${v.ok ? 'ok' : '**FAILED**'}: ${v.checks.map((c) => `${checkLabel(c.name)} ${c.maxRelativeDifference.toExponential(0)}`).join(', ')} (${v.size} px, batch ${v.batch})`
    : `not verified at this size (--verify-sizes ${args['verify-sizes']}: same layer types)`;
const date = new Date().toISOString().slice(0, 10);
const command = `npm run bench:compare -- --sizes ${args.sizes} --losses ${args.losses} --batch ${args.batch} --backend ${args.backend} --rounds ${rounds} --warmup ${args.warmup} --repeats ${args.repeats} --threads ${args.threads}`;
const o0 = first.ours;
const p0 = first.peer;
const table = [
  `Machine: ${o0.machine.cpu}, ${o0.machine.cores} cores, ${o0.machine.runtime}, ${p0.machine.runtime}. Date: ${date}. Command: \`${command}\` (${(seconds / 60).toFixed(1)} min in all; load average ${load.toFixed(1)} at the start${load >= 0.5 * o0.machine.cores ? ': other work shared the machine' : ''}).`,
  `Ours: training on ${o0.framework}, backend ${o0.backend.name} (${o0.backend.device}); inference on ${o0.inference.engine ?? `the same backend`} (what inpaint and eval run by default). Peer: ${p0.framework}, run with torch.set_num_threads at ${threadCounts.join(' and ')}; the faster count's figures are the reference (its count in the PyTorch column). Model: PConv UNet, ${o0.settings.baseChannels}..${o0.settings.maxChannels} channels, depth by the paper rule (2x2 bottleneck), same parameter count in both (checked). Batch ${o0.settings.batch}; per side ${rounds} round(s) in ABBA order, each ${o0.settings.warmup} warm-up + ${args.repeats} timed steps; medians of the ${o0.settings.repeats} pooled timed steps (range in brackets; best = ratio of the fastest steps, less sensitive to the load). Loss l1 = valid + 6 x hole; full = eq. 7 with VGG16 block1-3 at random weights (same FLOPs as ImageNet weights). Ratio = our time / PyTorch's, same run; targets: training <= 3, inference <= 2.`,
  '',
  '| size | loss | params | train ms/step, ours | train ms/step, PyTorch | train ratio (<= 3), best | inference img/s, ours | inference img/s, PyTorch | inference ratio (<= 2), best | peak RSS ours / PyTorch | outputs vs cpu backend |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(({ size, loss, ours: o, peer: p, peerInference: q, peers, verify }) => {
    const others = peers.filter((r) => r !== p).map((r) => `; ${r.backend.threads} thread(s): ${fmt(r.train.msPerStep.median)}`);
    const trainRatio = o.train.msPerStep.median / p.train.msPerStep.median;
    const inferRatio = o.inference.msPerBatch.median / q.inference.msPerBatch.median;
    const trainBest = o.train.msPerStep.min / p.train.msPerStep.min;
    const inferBest = o.inference.msPerBatch.min / q.inference.msPerBatch.min;
    return `| ${size}x${size} | ${loss} | ${(o.parameters.trainable / 1e6).toFixed(2)} M | ${fmt(o.train.msPerStep.median)} (${spread(o.train.msPerStep)}) | ${fmt(p.train.msPerStep.median)} (${spread(p.train.msPerStep)}), ${p.backend.threads} thread(s)${others.join('')} | ${trainRatio.toFixed(1)}, ${trainBest.toFixed(1)} | ${o.inference.imagesPerSecond.toFixed(1)} | ${q.inference.imagesPerSecond.toFixed(1)}, ${q.backend.threads} thread(s) | ${inferRatio.toFixed(1)}, ${inferBest.toFixed(1)} | ${(o.memory.peakRssBytes / 2 ** 20).toFixed(0)} / ${(p.memory.peakRssBytes / 2 ** 20).toFixed(0)} MiB | ${verifyCell(verify)} |`;
  }),
].join('\n');
console.log(table);
console.log(JSON.stringify({ seconds, rows: rows.map(({ size, loss, ours: o, peer: p }) => ({ size, loss, ours: o.train.msPerStep.median, peer: p.train.msPerStep.median })) }));
if (!args['dry-run']) {
  const file = join(root, 'BENCHMARKS.md');
  const text = readFileSync(file, 'utf8');
  const [start, end] = ['<!-- pconv-train:start -->', '<!-- pconv-train:end -->'];
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file} lacks the ${start} ... ${end} markers: restore them around the training-speed table (git show HEAD:BENCHMARKS.md)`);
  writeFileSync(file, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
  console.error(`updated ${file}`);
}
