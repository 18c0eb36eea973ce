#!/usr/bin/env node
// Per-pair metrics benchmark: imageMetrics (hole L1, L1, PSNR, SSIM) at 512x512x3, the current
// implementation (dist/eval/metrics.js) against the previous arithmetic (kept below, verbatim in
// substance: three separate difference passes and SSIM over five full float64 planes per channel),
// alternated call by call in the same process; then both with two worker threads at once (the
// evaluator runs one metrics worker per core), and scikit-image's structural_similarity + L1/PSNR
// on the same sizes when /usr/bin/python3 has it.
// Usage: npm run bench:metrics -- [--size 512] [--reps 21] [--no-python]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { imageMetrics } from '../dist/eval/metrics.js';
import { mulberry32 } from './mulberry32.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// ---- The previous implementation, for the A/B ----------------------------------------------
const KERNEL = (() => {
  const k = new Float64Array(11);
  let sum = 0;
  for (let i = -5; i <= 5; i++) {
    k[i + 5] = Math.exp(-(i * i) / (2 * 1.5 * 1.5));
    sum += k[i + 5];
  }
  for (let i = 0; i < 11; i++) k[i] /= sum;
  return k;
})();

function filterValidOld(plane, width, height, rows, out) {
  const ow = width - 10;
  const oh = height - 10;
  for (let y = 0; y < height; y++) {
    const base = y * width;
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k <= 10; k++) s += KERNEL[k] * plane[base + x + k];
      rows[y * ow + x] = s;
    }
  }
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k <= 10; k++) s += KERNEL[k] * rows[(y + k) * ow + x];
      out[y * ow + x] = s;
    }
  }
}

function ssimOld(a, b, width, height, channels = 3) {
  const n = width * height;
  const ow = width - 10;
  const oh = height - 10;
  const planes = Array.from({ length: 5 }, () => new Float64Array(n));
  const filtered = Array.from({ length: 5 }, () => new Float64Array(ow * oh));
  const rows = new Float64Array(height * ow);
  let total = 0;
  for (let c = 0; c < channels; c++) {
    const [x, y, xx, yy, xy] = planes;
    for (let p = 0; p < n; p++) {
      const u = a[p * channels + c];
      const v = b[p * channels + c];
      x[p] = u;
      y[p] = v;
      xx[p] = u * u;
      yy[p] = v * v;
      xy[p] = u * v;
    }
    for (let i = 0; i < 5; i++) filterValidOld(planes[i], width, height, rows, filtered[i]);
    const [mx, my, mxx, myy, mxy] = filtered;
    let sum = 0;
    for (let i = 0; i < ow * oh; i++) {
      const ux = mx[i];
      const uy = my[i];
      const vx = mxx[i] - ux * ux;
      const vy = myy[i] - uy * uy;
      const cxy = mxy[i] - ux * uy;
      sum += ((2 * ux * uy + 1e-4) * (2 * cxy + 9e-4)) / ((ux * ux + uy * uy + 1e-4) * (vx + vy + 9e-4));
    }
    total += sum / (ow * oh);
  }
  return total / channels;
}

function imageMetricsOld(output, target, width, height, mask) {
  let abs = 0;
  for (let i = 0; i < output.length; i++) abs += Math.abs(output[i] - target[i]);
  let squares = 0;
  for (let i = 0; i < output.length; i++) squares += (output[i] - target[i]) ** 2;
  let hole;
  if (mask) {
    let sum = 0;
    let holes = 0;
    for (let p = 0; p < mask.length; p++) {
      if (mask[p] >= 0.5) continue;
      holes++;
      for (let c = 0; c < 3; c++) sum += Math.abs(output[p * 3 + c] - target[p * 3 + c]);
    }
    hole = holes === 0 ? undefined : (sum / (holes * 3)) * 100;
  }
  const mse = squares / output.length;
  return {
    l1Hole: hole,
    l1: (abs / output.length) * 100,
    psnr: Math.min(100, 10 * Math.log10(1 / Math.max(mse, 1e-300))),
    ssim: ssimOld(output, target, width, height),
  };
}

const implementations = { before: imageMetricsOld, after: imageMetrics };

// ---- Inputs ----------------------------------------------------------------------------------
/** A mask with about a quarter of the pixels in rectangular holes (1 = valid). */
function holeMask(size, random) {
  const mask = new Float32Array(size * size).fill(1);
  for (let r = 0; r < 12; r++) {
    const w = Math.floor(size * (0.1 + 0.15 * random()));
    const h = Math.floor(size * (0.1 + 0.15 * random()));
    const x0 = Math.floor(random() * (size - w));
    const y0 = Math.floor(random() * (size - h));
    for (let y = y0; y < y0 + h; y++) mask.fill(0, y * size + x0, y * size + x0 + w);
  }
  return mask;
}

async function inputs(size) {
  const random = mulberry32(1);
  const mask = holeMask(size, random);
  const uniform = Float32Array.from({ length: size * size * 3 }, random);
  const noisy = Float32Array.from(uniform, (v) => Math.min(1, Math.max(0, v + (random() - 0.5) * 0.3)));
  // Photo-like: a bundled photo scaled to size, against itself blurred in the holes (an inpainting's look).
  const photo = join(root, 'data/photos', readdirSync(join(root, 'data/photos')).filter((f) => f.endsWith('.png')).sort()[0]);
  const rgb = async (pipeline) => Float32Array.from(await pipeline.removeAlpha().raw().toBuffer(), (v) => v / 255);
  const truth = await rgb(sharp(photo).resize(size, size, { fit: 'cover' }));
  const blurred = await rgb(sharp(photo).resize(size, size, { fit: 'cover' }).blur(6));
  const output = Float32Array.from(truth, (v, i) => (mask[Math.floor(i / 3)] < 0.5 ? blurred[i] : v));
  return { mask, pairs: { random: [noisy, uniform], photo: [output, truth] } };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(fn) {
  const started = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Median ms of each implementation, calls alternated A, B, A, B... after two warm-up calls each. */
function alternate(names, pair, mask, size, reps) {
  const [output, target] = pair;
  const times = Object.fromEntries(names.map((name) => [name, []]));
  for (let r = 0; r < reps + 2; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      const ms = time(() => implementations[name](output, target, size, size, mask));
      if (r >= 2) times[name].push(ms);
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(times[name])]));
}

// ---- Worker side: one implementation, timed while the other worker runs ---------------------
if (!isMainThread) {
  const { size, reps, name, kind } = workerData;
  const { mask, pairs } = await inputs(size);
  parentPort.postMessage({ ready: true });
  parentPort.once('message', () => {
    const result = alternate([name], pairs[kind], mask, size, reps);
    parentPort.postMessage({ ms: result[name] });
  });
} else {
  const { values: args } = parseArgs({
    options: { size: { type: 'string', default: '512' }, reps: { type: 'string', default: '21' }, 'no-python': { type: 'boolean', default: false } },
  });
  const size = Number(args.size);
  const reps = Number(args.reps);
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; Node ${process.version}; ${size}x${size}x3, ${reps} reps, median`);
  const { mask, pairs } = await inputs(size);

  for (const [kind, [output, target]] of Object.entries(pairs)) {
    const a = imageMetricsOld(output, target, size, size, mask);
    const b = imageMetrics(output, target, size, size, mask);
    const gap = Math.max(...['l1Hole', 'l1', 'psnr', 'ssim'].map((k) => Math.abs(a[k] - b[k])));
    console.log(`${kind}: ssim ${b.ssim}, largest |before - after| over the four metrics ${gap.toExponential(2)}`);
  }

  const single = {};
  console.log('\none thread                 before ms   after ms   ratio');
  for (const [kind, pair] of Object.entries(pairs)) {
    single[kind] = alternate(['before', 'after'], pair, mask, size, reps);
    const { before, after } = single[kind];
    console.log(`  ${kind.padEnd(24)} ${before.toFixed(1).padStart(9)} ${after.toFixed(1).padStart(10)} ${(before / after).toFixed(2).padStart(7)}`);
  }

  // Two workers running the same implementation at once; each reports its own median per call.
  async function twoThreads(name, kind) {
    const workers = [0, 1].map(() => new Worker(fileURLToPath(import.meta.url), { workerData: { size, reps, name, kind } }));
    const message = (w) => new Promise((done, fail) => (w.once('message', done), w.once('error', fail)));
    await Promise.all(workers.map(message));
    const results = workers.map(message);
    for (const w of workers) w.postMessage('go');
    const ms = (await Promise.all(results)).map((r) => r.ms);
    await Promise.all(workers.map((w) => w.terminate()));
    return ms;
  }
  console.log('\ntwo threads at once        ms per call (each worker)   pairs/s (both)   vs one thread');
  for (const name of ['before', 'after']) {
    const ms = await twoThreads(name, 'random');
    const both = ms.reduce((sum, t) => sum + 1000 / t, 0);
    const one = 1000 / single.random[name];
    console.log(`  ${`${name}, random`.padEnd(24)} ${ms.map((t) => t.toFixed(1)).join(' / ').padStart(25)} ${both.toFixed(1).padStart(16)} ${`${(both / one).toFixed(2)}x`.padStart(15)}`);
  }

  if (!args['no-python']) {
    const script = `
import json, sys, time
import numpy as np
from skimage.metrics import structural_similarity, peak_signal_noise_ratio
n = ${size}; reps = ${reps}
rng = np.random.default_rng(1)
x = rng.random((n, n, 3))
y = np.clip(x + (rng.random((n, n, 3)) - 0.5) * 0.3, 0, 1)
hole = (rng.random((n, n)) < 0.25)[..., None]
def metrics():
    d = np.abs(x - y)
    l1 = d.mean(); l1_hole = (d * hole).sum() / (hole.sum() * 3)
    return l1, l1_hole, peak_signal_noise_ratio(x, y, data_range=1.0), structural_similarity(x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0, channel_axis=-1)
def timed(f):
    t = time.perf_counter(); f(); return (time.perf_counter() - t) * 1000
for _ in range(2): metrics()
ssim = sorted(timed(lambda: structural_similarity(x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0, channel_axis=-1)) for _ in range(reps))
full = sorted(timed(metrics) for _ in range(reps))
import skimage
print(json.dumps({"ssim": ssim[reps // 2], "all": full[reps // 2], "version": skimage.__version__}))
`;
    const run = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
    if (run.status === 0) {
      const peer = JSON.parse(run.stdout);
      console.log(`\nscikit-image ${peer.version}, float64 ${size}x${size}x3, one thread: structural_similarity ${peer.ssim.toFixed(1)} ms; + L1, hole L1, PSNR ${peer.all.toFixed(1)} ms`);
    } else {
      console.log(`\nscikit-image: not timed (${(run.stderr || run.error?.message || '').trim().split('\n').at(-1)})`);
    }
  }
}
