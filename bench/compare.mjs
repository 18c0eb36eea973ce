#!/usr/bin/env node
// Issue 7's comparison: `pconv-bench bench` (ours, on the wasm backend by default) and the PyTorch
// peer (bench/peers/pytorch_pconv.py) on the same UNet, loss and sizes, run back to back per
// setting in one go; prints the ratio table and rewrites the marked section of BENCHMARKS.md.
// Usage: npm run bench:compare [-- --sizes 64,128 --losses l1,full --batch 4 --backend wasm
//        --warmup 2 --repeats 5 --threads 2 --verify-sizes 64 --dry-run]
// Needs Debian's python3-torch (apt-get install python3-torch).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BenchResultSchema, VerifyResultSchema } from '../dist/protocol/bench.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '64,128' },
    losses: { type: 'string', default: 'l1,full' },
    batch: { type: 'string', default: '4' },
    backend: { type: 'string', default: 'wasm' },
    warmup: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '5' },
    threads: { type: 'string', default: String(availableParallelism()) },
    // The cpu backend needs minutes per check at the UNet's smallest size; 128 px adds only one
    // more 3x3 512-channel level of the same layer types, so by default the 64 px models are checked.
    'verify-sizes': { type: 'string', default: '64' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'dry-run': { type: 'boolean', default: false },
  },
});
const list = (text, what) =>
  text.split(',').map((item) => {
    const value = what === 'loss' ? item.trim() : Number(item);
    if (what === 'loss' ? !['l1', 'full'].includes(value) : !(Number.isInteger(value) && value > 0))
      throw new Error(`--${what === 'loss' ? 'losses' : 'sizes'}: "${item}" is not ${what === 'loss' ? 'l1 or full' : 'a positive integer'}`);
    return value;
  });
const sizes = list(args.sizes, 'size');
const losses = list(args.losses, 'loss');
const verifySizes = new Set(args['verify-sizes'] ? list(args['verify-sizes'], 'size') : []);
const common = ['--batch', args.batch, '--warmup', args.warmup, '--repeats', args.repeats];

function run(command, argv, what) {
  const started = performance.now();
  const child = spawnSync(command, argv, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (child.error) throw new Error(`${what}: cannot start ${command}: ${child.error.message}`);
  return { ...child, seconds: (performance.now() - started) / 1000 };
}

function ours(size, loss, withVerify) {
  const argv = ['bin/pconv-bench.js', 'bench', '--json', '--backend', args.backend, '--size', String(size), '--loss', loss, ...common, ...(withVerify ? ["--verify"] : [])];
  const child = run(process.execPath, argv, 'pconv-bench bench');
  const events = child.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
  const result = events.find((e) => e.type === 'result');
  if (!result) {
    const error = events.find((e) => e.type === 'error');
    throw new Error(`pconv-bench bench ${argv.slice(2).join(' ')} failed (exit ${child.status}): ${error ? `${error.message} ${error.details.join('; ')}` : child.stderr.slice(-2000)}`);
  }
  const { verify, ...figures } = result.data;
  return { result: BenchResultSchema.parse(figures), verify: verify === undefined ? undefined : VerifyResultSchema.parse(verify), exitCode: child.status };
}

function peer(size, loss) {
  const argv = [join(root, 'bench/peers/pytorch_pconv.py'), '--size', String(size), '--loss', loss, ...common, '--threads', args.threads];
  const child = run(args.python, argv, 'PyTorch peer');
  if (child.status !== 0) throw new Error(`the PyTorch peer failed (exit ${child.status}; apt-get install python3-torch): ${child.stderr.slice(-2000)}`);
  return BenchResultSchema.parse(JSON.parse(child.stdout));
}

const started = performance.now();
const load = loadavg()[0];
const rows = [];
for (const size of sizes) {
  for (const loss of losses) {
    console.error(`${size}x${size}, loss ${loss}: ours (${args.backend})${verifySizes.has(size) ? ' + verify against cpu' : ''} ...`);
    const o = ours(size, loss, verifySizes.has(size));
    console.error(`${size}x${size}, loss ${loss}: PyTorch peer ...`);
    const p = peer(size, loss);
    // Same network: the parameter counts must agree exactly, or the comparison is void.
    if (o.result.parameters.trainable !== p.parameters.trainable || o.result.parameters.total !== p.parameters.total) {
      throw new Error(`parameter counts differ at ${size} px: ours ${JSON.stringify(o.result.parameters)}, peer ${JSON.stringify(p.parameters)}; the peer's UNet no longer matches src/core/model`);
    }
    rows.push({ size, loss, ours: o.result, verify: o.verify, peer: p });
    if (o.exitCode !== 0) console.error(`warning: pconv-bench bench exited ${o.exitCode} (verification failed); its figures are in the table, marked`);
  }
}
const seconds = (performance.now() - started) / 1000;

const first = rows[0];
if (!first) throw new Error('nothing to compare: --sizes and --losses are empty');
const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const spread = (t) => `${fmt(t.min)}-${fmt(t.max)}`;
const verifyCell = (v) =>
  v
    ? `${v.ok ? 'ok' : '**FAILED**'}: ${v.checks.map((c) => `${c.name.split(' ')[0]} ${c.maxRelativeDifference.toExponential(0)}`).join(', ')} (${v.size} px, batch ${v.batch})`
    : 'same layer types as the 64 px row';
const date = new Date().toISOString().slice(0, 10);
const command = `npm run bench:compare -- --sizes ${args.sizes} --losses ${args.losses} --batch ${args.batch} --backend ${args.backend} --warmup ${args.warmup} --repeats ${args.repeats} --threads ${args.threads}`;
const o0 = first.ours;
const p0 = first.peer;
const table = [
  `Machine: ${o0.machine.cpu}, ${o0.machine.cores} cores, ${o0.machine.runtime}, ${p0.machine.runtime}. Date: ${date}. Command: \`${command}\` (${(seconds / 60).toFixed(1)} min in all; load average ${load.toFixed(1)} at the start: other work shared the machine).`,
  `Ours: ${o0.framework}, backend ${o0.backend.name} (${o0.backend.device}${o0.backend.threads ? `, ${o0.backend.threads} thread(s)` : ''}). Peer: ${p0.framework}, ${p0.backend.threads} threads (torch.set_num_threads). Model: PConv UNet, ${o0.settings.baseChannels}..${o0.settings.maxChannels} channels, depth by the paper rule (2x2 bottleneck), same parameter count in both (checked). Batch ${o0.settings.batch}; ${o0.settings.warmup} warm-up + ${o0.settings.repeats} timed steps, medians (range in brackets). Loss l1 = valid + 6 x hole; full = eq. 7 with VGG16 block1-3 at random weights (same FLOPs as ImageNet weights). Ratio = our time / PyTorch's, same run; targets: training <= 3, inference <= 2.`,
  '',
  '| size | loss | params | train ms/step, ours | train ms/step, PyTorch | train ratio (<= 3) | inference img/s, ours | inference img/s, PyTorch | inference ratio (<= 2) | peak RSS ours / PyTorch | outputs vs cpu backend |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(({ size, loss, ours: o, peer: p, verify }) => {
    const trainRatio = o.train.msPerStep.median / p.train.msPerStep.median;
    const inferRatio = o.inference.msPerBatch.median / p.inference.msPerBatch.median;
    return `| ${size}x${size} | ${loss} | ${(o.parameters.trainable / 1e6).toFixed(2)} M | ${fmt(o.train.msPerStep.median)} (${spread(o.train.msPerStep)}) | ${fmt(p.train.msPerStep.median)} (${spread(p.train.msPerStep)}) | ${trainRatio.toFixed(1)} | ${o.inference.imagesPerSecond.toFixed(1)} | ${p.inference.imagesPerSecond.toFixed(1)} | ${inferRatio.toFixed(1)} | ${(o.memory.peakRssBytes / 2 ** 20).toFixed(0)} / ${(p.memory.peakRssBytes / 2 ** 20).toFixed(0)} MiB | ${verifyCell(verify)} |`;
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
