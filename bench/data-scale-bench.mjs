#!/usr/bin/env node
// Training data at scale: time and peak memory of listing (discoverImages), splitting
// (splitImages) and the stage fingerprint (filesFingerprint) on a synthetic ImageNet-shaped tree
// of empty .JPEG files (none is decoded), beside fast-glob (what listImages used before) as a
// baseline. Each measurement runs in a fresh child process, which reads its own peak RSS (VmHWM).
// Usage: npm run bench:data -- [--files 200000] [--per-folder 200] [--reps 3] [--keep DIR]
// --keep DIR builds the tree in DIR (or reuses it if it is already there) and leaves it.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '200000' },
    'per-folder': { type: 'string', default: '200' },
    reps: { type: 'string', default: '3' },
    keep: { type: 'string' },
    child: { type: 'string' },
    root: { type: 'string' },
  },
});

const peakKiB = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? Number.NaN);
const mib = (kib) => kib / 1024;
const now = () => performance.now();

async function child(part, root) {
  const data = { root, include: ['**/*.{jpg,jpeg,png,webp,tif,tiff}'], exclude: [], imageSize: 512, testFraction: 0.01, validationFraction: 0.01 };
  const out = { baseline: mib(peakKiB()) };
  if (part === 'fast-glob') {
    const { default: fg } = await import('fast-glob');
    let t = now();
    const files = (await fg([...data.include], { cwd: root, ignore: [], absolute: true, onlyFiles: true, caseSensitiveMatch: false })).sort();
    out.list = { ms: now() - t, peak: mib(peakKiB()), count: files.length };
    return out;
  }
  const { discoverImages, splitImages } = await import(join(repo, 'dist/core/data/image-list.js'));
  const { filesFingerprint } = await import(join(repo, 'dist/pipeline/files-fingerprint.js'));
  let t = now();
  const { files, skipped } = await discoverImages(data);
  out.list = { ms: now() - t, peak: mib(peakKiB()), count: files.length, skipped: skipped.length };
  t = now();
  const splits = splitImages(files, data, 1);
  out.split = { ms: now() - t, peak: mib(peakKiB()), count: splits.train.length + splits.validation.length + splits.test.length };
  // As run-experiment does: one fingerprint of the training data, one of the test split.
  t = now();
  await filesFingerprint([...splits.train, ...splits.validation], root);
  await filesFingerprint(splits.test, root);
  out.fingerprint = { ms: now() - t, peak: mib(peakKiB()), count: files.length };
  out.heapUsed = process.memoryUsage().heapUsed / 2 ** 20;
  return out;
}

if (args.child) {
  process.stdout.write(`${JSON.stringify(await child(args.child, args.root))}\n`);
  process.exit(0);
}

const total = Number(args.files);
const perFolder = Number(args['per-folder']);
const reps = Number(args.reps);
const base = args.keep ? resolve(args.keep) : mkdtempSync(join(tmpdir(), 'pconv-bench-data-'));
const root = join(base, 'train');
const folders = Math.ceil(total / perFolder);

if (!existsSync(join(root, '.complete'))) {
  const started = now();
  rmSync(root, { recursive: true, force: true });
  for (let f = 0; f < folders; f++) {
    const name = `n${String(f).padStart(8, '0')}`;
    mkdirSync(join(root, name), { recursive: true });
    const count = Math.min(perFolder, total - f * perFolder);
    for (let i = 0; i < count; i++) closeSync(openSync(join(root, name, `${name}_${i}.JPEG`), 'w'));
  }
  closeSync(openSync(join(root, '.complete'), 'w'));
  console.error(`synthesised ${total} files in ${folders} folders under ${root} in ${((now() - started) / 1000).toFixed(1)} s`);
}

const run = (part) => JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', part, '--root', root], { encoding: 'utf8' }));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const ours = Array.from({ length: reps }, () => run('ours'));
  const glob = Array.from({ length: reps }, () => run('fast-glob'));
  for (const r of ours) if (r.list.count !== total) throw new Error(`listed ${r.list.count} files, expected ${total}`);
  if (glob[0].list.count !== total) throw new Error(`fast-glob listed ${glob[0].list.count} files, expected ${total}`);
  const row = (label, results, pick) => {
    const parts = results.map(pick);
    const ms = median(parts.map((p) => p.ms));
    const peak = median(parts.map((p) => p.peak));
    return `| ${label} | ${(ms / 1000).toFixed(2)} | ${Math.round(total / (ms / 1000)).toLocaleString('en-US')} | ${Math.round(peak)} |`;
  };
  console.log(`${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}; ${total.toLocaleString('en-US')} files in ${folders} folders; median of ${reps} fresh processes, warm page cache`);
  console.log('');
  console.log('| part | seconds | files/s | peak RSS after it (MiB) |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(`| node process, before (baseline) | | | ${Math.round(median(ours.map((r) => r.baseline)))} |`);
  console.log(row('list: fast-glob (listImages before)', glob, (r) => r.list));
  console.log(row('list: discoverImages', ours, (r) => r.list));
  console.log(row('split: splitImages', ours, (r) => r.split));
  console.log(row('fingerprint: filesFingerprint, train+validation and test', ours, (r) => r.fingerprint));
  console.log('');
  console.log(`heap used at the end (list + split + fingerprint held): ${Math.round(median(ours.map((r) => r.heapUsed)))} MiB`);
} finally {
  if (!args.keep) rmSync(base, { recursive: true, force: true });
}
