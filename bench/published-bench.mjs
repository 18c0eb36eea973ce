#!/usr/bin/env node
// Published models at full size (issue 18): writes a full-size file of each layout with random
// weights (the fixture scripts' --full: PConv-Keras's 8-level pconv_imagenet .h5 and naoto0804's
// 7-level PConvUNet .pth) into a temporary folder, loads each with loadPublishedModel from dist/
// and runs predict at 512x512 on 1 and 4 images on the wasm backend (threads: one per core, as
// for any 512-channel model; PCONV_WASM_THREADS overrides), one child process per file
// (so that the peak RSS is the file's): load time, ms/image, peak RSS; fails when an output is
// not finite or not on [0, 1]. With PyTorch there it also times the same naoto network's forward
// in PyTorch (CPU, 2 threads) for a ratio.
// Needs /usr/bin/python3 with numpy, h5py and torch (Debian: python3-numpy python3-h5py python3-torch).
// Usage: npm run bench:published -- [--keep DIR] [--repeats 2] [--no-torch]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mulberry32 } from './mulberry32.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PYTHON = '/usr/bin/python3';
const SIZE = 512;
const COUNTS = [1, 4];
const { values: args } = parseArgs({
  options: {
    keep: { type: 'string' },
    repeats: { type: 'string', default: '2' },
    'no-torch': { type: 'boolean', default: false },
    child: { type: 'string' },
    file: { type: 'string' },
  },
});
const repeats = Number(args.repeats);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats ${args.repeats}: give a whole number of at least 1`);
const log = (message) => process.stderr.write(`[published-bench] ${message}\n`);

/** Random images and a valid mask per image with a rectangular hole (a different one per image). */
function inputs(count) {
  const rand = mulberry32(18);
  const images = Float32Array.from({ length: count * SIZE * SIZE * 3 }, rand);
  const valid = new Float32Array(count * SIZE * SIZE).fill(1);
  for (let n = 0; n < count; n++) {
    const y0 = 96 + 32 * n;
    const x0 = 128 + 16 * n;
    for (let y = y0; y < y0 + 200; y++) valid.fill(0, n * SIZE * SIZE + y * SIZE + x0, n * SIZE * SIZE + y * SIZE + x0 + 180);
  }
  return { images, valid };
}

/** The child: one file, one process; prints its figures as one JSON line. */
async function child(format, file) {
  const { setupBackend } = await import('../dist/core/engine/backend.js');
  const { loadPublishedModel } = await import('../dist/core/published/formats.js');
  // Started for inference, as inpaint starts it (and eval for a full-width model such as these,
  // 512 channels): threads, one per core up to the cap; PCONV_WASM_THREADS overrides.
  const backend = await setupBackend('wasm', { inference: true });
  let start = performance.now();
  const model = await loadPublishedModel(format, file);
  const loadMs = performance.now() - start;
  const rssAfterLoad = process.resourceUsage().maxRSS / 1e6;
  const runs = {};
  for (const count of COUNTS) {
    const { images, valid } = inputs(count);
    if (count === COUNTS[0]) await model.predict(images, valid, count, SIZE); // warm-up
    const times = [];
    for (let r = 0; r < repeats; r++) {
      start = performance.now();
      const out = await model.predict(images, valid, count, SIZE);
      times.push(performance.now() - start);
      if (out.length !== count * SIZE * SIZE * 3) throw new Error(`${format}: ${out.length} output values, expected ${count * SIZE * SIZE * 3}`);
      let min = Infinity;
      let max = -Infinity;
      for (const v of out) {
        if (!Number.isFinite(v)) throw new Error(`${format}: a non-finite output value at ${count} images`);
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (min < 0 || max > 1) throw new Error(`${format}: output range [${min}, ${max}] is not inside [0, 1]`);
      runs[count] = { min, max };
    }
    times.sort((a, b) => a - b);
    runs[count] = { ...runs[count], msPerImage: times[Math.floor((times.length - 1) / 2)] / count, minMsPerImage: times[0] / count };
    log(`${format}: ${count} image(s), ${runs[count].msPerImage.toFixed(0)} ms/image (median of ${repeats})`);
  }
  model.dispose();
  const result = {
    format,
    description: model.description,
    backend: `${backend.name} (${backend.device})`,
    loadMs,
    rssAfterLoadGB: rssAfterLoad,
    peakRssGB: process.resourceUsage().maxRSS / 1e6,
    runs,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** The same naoto network's forward in PyTorch, CPU, 2 threads: ms/image at 1 and 4 images. */
const TORCH_PEER = `
import json, sys, time
sys.path.insert(0, sys.argv[1])
import torch
import make_pytorch_pconv_fixture as fx
torch.set_num_threads(2)
model = fx.Unet(fx.PartialConvNew, fx.FULL_WIDTHS)
model.load_state_dict(torch.load(sys.argv[2])['model'])
model.eval()
repeats = int(sys.argv[3])
gen = torch.Generator().manual_seed(18)
result = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'runs': {}}
for count in (1, 4):
    images = torch.rand(count, 3, 512, 512, generator=gen)
    valid = torch.ones(count, 512, 512)
    valid[:, 96:296, 128:308] = 0
    if count == 1:
        fx.run(model, images, valid)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fx.run(model, images, valid)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    result['runs'][count] = {'msPerImage': times[(len(times) - 1) // 2] / count}
print(json.dumps(result))
`;

function python(argv, what) {
  const run = spawnSync(PYTHON, argv, { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.error) throw new Error(`${what}: cannot run ${PYTHON} (${run.error.message})`);
  if (run.status !== 0) throw new Error(`${what} failed (exit ${run.status}):\n${run.stderr}`);
  return run.stdout;
}

async function main() {
  const check = spawnSync(PYTHON, ['-c', 'import numpy, h5py, torch'], { encoding: 'utf8' });
  if (check.error || check.status !== 0) {
    log(`${PYTHON} with numpy, h5py and torch is needed to write the full-size files (Debian: apt-get install python3-numpy python3-h5py python3-torch).`);
    log((check.error?.message ?? check.stderr).trim());
    process.exit(1);
  }
  const work = args.keep ? resolve(args.keep) : mkdtempSync(join(tmpdir(), 'pconv-bench-published-'));
  mkdirSync(work, { recursive: true });
  try {
    const files = [
      { format: 'pconv-keras-h5', script: 'test/fixtures/pconv-keras/make_pconv_keras_fixture.py', file: join(work, 'pconv_keras_full.h5') },
      { format: 'pytorch-pconv', script: 'test/fixtures/pytorch-pconv/make_pytorch_pconv_fixture.py', file: join(work, 'naoto-7level-full.pth') },
    ];
    for (const f of files) {
      log(python([f.script, '--full', work], `${f.script} --full`).trim());
      f.mb = statSync(f.file).size / 1e6;
    }
    const results = [];
    for (const f of files) {
      log(`${f.format}: loading ${f.file} and predicting at ${SIZE}x${SIZE}`);
      const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', f.format, '--file', f.file, '--repeats', String(repeats)], {
        cwd: repo,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 24,
      });
      if (run.status !== 0) throw new Error(`${f.format}: the run failed (exit ${run.status ?? run.signal})`);
      results.push({ ...JSON.parse(run.stdout.trim().split('\n').at(-1)), mb: f.mb });
    }
    let peer;
    if (!args['no-torch']) {
      log('PyTorch: the same naoto network, CPU, 2 threads');
      peer = JSON.parse(python(['-c', TORCH_PEER, join(repo, 'test/fixtures/pytorch-pconv'), files[1].file, String(repeats)], 'the PyTorch forward').trim().split('\n').at(-1));
    }

    const date = new Date().toISOString().slice(0, 10);
    const lines = [
      `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}. Date: ${date}. Command: \`npm run bench:published${repeats === 2 ? '' : ` -- --repeats ${repeats}`}\`. Backend: ${results[0].backend}. ms/image: median of ${repeats} runs after a warm-up.`,
      '',
      `| file (random weights) | size | load | ms/image, 1 image | ms/image, 4 images | peak RSS after load / overall | output range (4 images) |${peer ? ' PyTorch ms/image, 1 / 4 | ratio, 1 / 4 |' : ''}`,
      `|---|---|---|---|---|---|---|${peer ? '---|---|' : ''}`,
    ];
    for (const r of results) {
      const cells = [
        r.description,
        `${r.mb.toFixed(0)} MB`,
        `${(r.loadMs / 1000).toFixed(2)} s`,
        r.runs[1].msPerImage.toFixed(0),
        r.runs[4].msPerImage.toFixed(0),
        `${r.rssAfterLoadGB.toFixed(2)} / ${r.peakRssGB.toFixed(2)} GB`,
        `[${r.runs[4].min.toFixed(3)}, ${r.runs[4].max.toFixed(3)}]`,
      ];
      if (peer) {
        if (r.format === 'pytorch-pconv') {
          const p1 = peer.runs[1].msPerImage;
          const p4 = peer.runs[4].msPerImage;
          cells.push(`${p1.toFixed(0)} / ${p4.toFixed(0)}`, `${(r.runs[1].msPerImage / p1).toFixed(2)} / ${(r.runs[4].msPerImage / p4).toFixed(2)}`);
        } else cells.push('', '');
      }
      lines.push(`| ${cells.join(' | ')} |`);
    }
    if (peer) lines.push('', `PyTorch ${peer.torch}, ${peer.threads} threads, the fixture script's network in eval mode under no_grad (normalise, forward, un-normalise).`);
    console.log(lines.join('\n'));
  } finally {
    if (!args.keep) rmSync(work, { recursive: true, force: true });
  }
}

if (args.child) await child(args.child, args.file);
else await main();
