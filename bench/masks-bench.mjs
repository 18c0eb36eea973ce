#!/usr/bin/env node
// Mask-generation benchmark: pconv-bench's binned generator (the real CLI, PNG files and manifest
// included) against the Python/OpenCV peer of the same recipe, measured in the same run.
// Usage: npm run bench:masks -- [--size 512] [--per-bin 1000] [--reps 3] [--write]
// --write puts the table into BENCHMARKS.md between the masks markers.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '512' },
    'per-bin': { type: 'string', default: '1000' },
    reps: { type: 'string', default: '3' },
    'rejection-count': { type: 'string', default: '60' },
    write: { type: 'boolean', default: false },
  },
});
const size = Number(args.size);
const perBin = Number(args['per-bin']);
const reps = Number(args.reps);
const total = perBin * 6 * 2;
const python = '/usr/bin/python3';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function ours(workers) {
  const dir = mkdtempSync(join(tmpdir(), 'pconv-bench-masks-'));
  try {
    const config = join(dir, 'bench.yaml');
    writeFileSync(config, `name: bench\nseed: 1\ndata: { root: ., imageSize: ${size} }\nmasks: { perBin: ${perBin} }\nloss: { perceptual: 0, style: 0 }\nmodel: { levels: 2 }\n`);
    const extra = workers === undefined ? [] : ['--workers', String(workers)];
    const started = process.hrtime.bigint();
    const out = execFileSync(process.execPath, [join(root, 'bin/pconv-bench.js'), 'masks', config, '--out', join(dir, 'out'), '--json', ...extra], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const result = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .find((e) => e.type === 'result');
    return { masksPerSecond: total / result.data.seconds, processMasksPerSecond: total / wall };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function peer(mode, count) {
  const run = spawnSync(python, [join(root, 'bench/peers/opencv_masks.py'), '--size', String(size), '--count', String(count), '--mode', mode], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`peer failed (install python3-opencv): ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const rows = [];
const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
console.error(`machine: ${cpuModel}, ${availableParallelism()} cores; ${size}x${size}, ${total} masks (6 bins x 2 border subsets x ${perBin})`);
const oursWorkers = Array.from({ length: reps }, () => ours(undefined));
const oursOne = Array.from({ length: reps }, () => ours(0));
const peerRuns = Array.from({ length: reps }, () => peer('unbinned', total));
const rejection = peer('rejection', Number(args['rejection-count']));
const peerRate = median(peerRuns.map((r) => r.masksPerSecond));
const add = (what, rate, note) => rows.push({ what, rate, ratio: rate / peerRate, note });
add(`pconv-bench masks, binned, ${availableParallelism()} worker threads`, median(oursWorkers.map((r) => r.masksPerSecond)), `whole process incl. start-up: ${median(oursWorkers.map((r) => r.processMasksPerSecond)).toFixed(0)}/s`);
add('pconv-bench masks, binned, 1 thread (--workers 0)', median(oursOne.map((r) => r.masksPerSecond)), `whole process: ${median(oursOne.map((r) => r.processMasksPerSecond)).toFixed(0)}/s`);
add(`peer: Python + OpenCV ${peerRuns[0].opencv}, unbinned, 1 process`, peerRate, 'PConv-Keras recipe, cv2.imwrite');
add('peer: Python + OpenCV, binned by rejection, 1 process', rejection.masksPerSecond, `${rejection.drawsPerMask.toFixed(0)} draws per mask; ${rejection.failed} of ${rejection.masks + rejection.failed} masks not found in 3,000 draws`);

const date = new Date().toISOString().slice(0, 10);
const command = `npm run bench:masks -- --size ${size} --per-bin ${perBin} --reps ${reps}`;
const table = [
  `Machine: ${cpuModel}, ${availableParallelism()} cores, Node ${process.version}. Date: ${date}. Command: \`${command}\`.`,
  `Masks: ${size}x${size}, pconv-keras recipe, 6 paper bins x {no-border, border} x ${perBin} = ${total} PNG files plus manifest. Median of ${reps} runs; ratio = masks/s over the unbinned peer's, same run.`,
  '',
  '| generator | masks/s | ratio to peer | note |',
  '|---|---|---|---|',
  ...rows.map((r) => `| ${r.what} | ${r.rate.toFixed(r.rate < 10 ? 2 : 0)} | ${r.ratio.toFixed(r.ratio < 0.1 ? 4 : 2)} | ${r.note} |`),
].join('\n');
console.log(table);

if (args.write) {
  const file = join(root, 'BENCHMARKS.md');
  const text = readFileSync(file, 'utf8');
  const start = '<!-- masks:start -->';
  const end = '<!-- masks:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`BENCHMARKS.md lacks the ${start} ... ${end} markers`);
  writeFileSync(file, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
  console.error(`updated ${file}`);
}
