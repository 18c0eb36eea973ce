import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { registerWasmKernels } from '../../../../src/core/engine/wasm/kernels.js';
import {
  createThreadedWasmBackend,
  MAX_WASM_THREADS,
  prepareWasmThreads,
  WASM_THREADS_ENV,
  wasmBackendThreads,
  wasmThreadCount,
  wasmThreadsForModel,
} from '../../../../src/core/engine/wasm/threads.js';
import { InpaintingUNet } from '../../../../src/core/model/unet.js';
import { Rng } from '../../../../src/core/rng.js';
import { type CliRun, repoRoot, runNode as runNodeProcess } from '../../../helpers/run-cli.js';

/** tfjs' own single-threaded build runs as `wasm`; the threaded build with 2 threads as this. */
const THREADED = 'wasm-threads-test';

function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

/**
 * Runs `f` on one backend inside tidy and reads its tensors back there. (Reading inside tidy and
 * returning typed arrays would make tidy walk every element looking for tensors: seconds.)
 */
async function on(backend: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const tensors = tf.tidy(f);
  const read = tensors.map((t) => t.dataSync() as Float32Array);
  tf.dispose(tensors);
  return read;
}

/** Largest |a - b| / max(|a|, 1e-6); 0 when bitwise equal. */
function maxRelativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(b.length).toBe(a.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (Object.is(x, y)) continue;
    worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(x), 1e-6), Number.isNaN(x - y) ? Number.POSITIVE_INFINITY : 0);
  }
  return worst;
}

describe('wasmThreadCount', () => {
  test('one thread (tfjs` own build) unless PCONV_WASM_THREADS says a number or auto (one per core, at most 4)', () => {
    expect(wasmThreadCount({})).toBe(1);
    expect(wasmThreadCount({ [WASM_THREADS_ENV]: '' })).toBe(1);
    expect(wasmThreadCount({ [WASM_THREADS_ENV]: '1' })).toBe(1);
    expect(wasmThreadCount({ [WASM_THREADS_ENV]: ' 3 ' })).toBe(3);
    expect(wasmThreadCount({ [WASM_THREADS_ENV]: String(MAX_WASM_THREADS) })).toBe(MAX_WASM_THREADS);
    expect(wasmThreadCount({ [WASM_THREADS_ENV]: 'auto' })).toBe(Math.max(1, Math.min(availableParallelism(), 4)));
  });

  test("the caller's request counts when PCONV_WASM_THREADS is unset, and the variable overrides it", () => {
    const auto = Math.max(1, Math.min(availableParallelism(), 4));
    expect(wasmThreadCount({}, 'auto')).toBe(auto);
    expect(wasmThreadCount({}, 3)).toBe(3);
    expect(wasmThreadCount({ [WASM_THREADS_ENV]: '' }, 'auto')).toBe(auto);
    expect(wasmThreadCount({ [WASM_THREADS_ENV]: '1' }, 'auto')).toBe(1);
    expect(wasmThreadCount({ [WASM_THREADS_ENV]: '2' }, 1)).toBe(2);
  });

  test('threads for wide models, one thread for narrow ones (measured: README "Backends")', () => {
    expect(wasmThreadsForModel({ maxChannels: 512 })).toBe('auto');
    expect(wasmThreadsForModel({ maxChannels: 256 })).toBe('auto');
    expect(wasmThreadsForModel({ maxChannels: 128 })).toBe(1);
  });

  test.each(['0', '-2', '1.5', 'two', 'Auto', String(MAX_WASM_THREADS + 1)])(
    'PCONV_WASM_THREADS=%s is a user error naming the variable and the range',
    (raw) => {
      expect(() => wasmThreadCount({ [WASM_THREADS_ENV]: raw })).toThrow(
        expect.objectContaining({
          code: 'INVALID_ENV',
          message: expect.stringContaining(`${WASM_THREADS_ENV}=${raw}`),
          hint: expect.stringContaining('1 to 8'),
        }),
      );
    },
  );
});

describe('threaded wasm build against the single-threaded one, same process', () => {
  beforeAll(async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmKernels();
    await tf.setBackend('wasm');
    const threaded = await createThreadedWasmBackend(2);
    // The same kernels (tfjs' and every one setupBackend adds) under a second name, so both builds
    // run side by side.
    for (const kernel of tf.getKernelsForBackend('wasm')) tf.registerKernel({ ...kernel, backendName: THREADED });
    tf.registerBackend(THREADED, () => threaded, 0);
  });

  test('the threaded build runs 2 threads, tfjs` own 1', () => {
    expect(wasmBackendThreads(tf.findBackend('wasm') as tf.KernelBackend)).toBe(1);
    expect(wasmBackendThreads(tf.findBackend(THREADED) as tf.KernelBackend)).toBe(2);
  });

  test('once wasm runs, prepareWasmThreads leaves it alone and reports its threads', async () => {
    const before = tf.findBackend('wasm');
    await expect(prepareWasmThreads({ [WASM_THREADS_ENV]: '1' })).resolves.toEqual({ threads: 1, notes: [] });
    await expect(prepareWasmThreads({ [WASM_THREADS_ENV]: '2' })).resolves.toEqual({
      threads: 1,
      notes: ['the wasm backend was already running with one thread before the backend was set up; it keeps that'],
    });
    expect(tf.findBackend('wasm')).toBe(before);
  });

  const convCases = [
    { name: '3x3/s1 same, 1x64x64x32 -> 32', xShape: [1, 64, 64, 32], wShape: [3, 3, 32, 32], stride: 1 },
    { name: '5x5/s2 same, 2x48x40x16 -> 24', xShape: [2, 48, 40, 16], wShape: [5, 5, 16, 24], stride: 2 },
    { name: '7x7/s2 same, 2x64x64x4 -> 32', xShape: [2, 64, 64, 4], wShape: [7, 7, 4, 32], stride: 2 },
  ] as const;

  test.each(convCases)('conv2d forward and both gradients are bitwise equal: $name', async ({ xShape, wShape, stride }) => {
    const xValues = values(tf.util.sizeFromShape([...xShape]), 1);
    const wValues = values(tf.util.sizeFromShape([...wShape]), 2);
    const run = () => {
      const x = tf.tensor4d(xValues, [...xShape]);
      const w = tf.tensor4d(wValues, [...wShape]);
      const y = tf.conv2d(x, w, stride, 'same');
      const dy = tf.tensor(values(y.size, 3), y.shape);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, 'same'), dy)))([x, w]);
      return [y, dx as tf.Tensor, dw as tf.Tensor];
    };
    const single = await on('wasm', run);
    const threaded = await on(THREADED, run);
    for (const [i, out] of single.entries()) expect(maxRelativeDifference(out, threaded[i] as Float32Array), ['y', 'dx', 'dw'][i]).toBe(0);
  });

  test('a PConv UNet forward pass and the gradients of its loss (batch norm in training mode) are bitwise equal', async () => {
    const size = 32;
    const batch = 2;
    const images = values(batch * size * size * 3, 4);
    const masks = Float32Array.from(values(batch * size * size, 5), (v) => (v > -0.4 ? 1 : 0));
    const nets: InpaintingUNet[] = [];
    /** [inference output, loss, gradient of every variable]; a fresh net (same seed) per backend. */
    const run = () => {
      const net = new InpaintingUNet({ kind: 'pconv', levels: 3, baseChannels: 16, maxChannels: 32, head: 'none', seed: 7 });
      nets.push(net);
      const x = tf.tensor4d(images, [batch, size, size, 3]);
      const mask = tf.tile(tf.tensor4d(masks, [batch, size, size, 1]), [1, 1, 1, 3]) as tf.Tensor4D;
      const input = tf.mul(x, mask) as tf.Tensor4D;
      const inference = net.predict(input, mask, false);
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.abs(tf.sub(net.predict(input, mask, true), x))) as tf.Scalar);
      return [inference, value, ...Object.values(grads)];
    };
    try {
      const single = await on('wasm', run);
      const threaded = await on(THREADED, run);
      expect(threaded.length).toBe(single.length);
      expect(single.length).toBeGreaterThan(10);
      expect(single[1]?.[0]).toBeGreaterThan(0);
      for (const [i, out] of single.entries())
        expect(maxRelativeDifference(out, threaded[i] as Float32Array), i === 0 ? 'output' : i === 1 ? 'loss' : `gradient #${i - 2}`).toBe(0);
    } finally {
      for (const net of nets) net.dispose();
    }
  });
});

/**
 * Runs an ES module script (written to a temp file: workers inherit node's flags, and an
 * `--input-type` flag would stop our mask workers) in a fresh Node against the built package
 * (dist/), with extra env and node flags; kills it after `limitMs`, so a worker that keeps Node
 * alive shows up as SIGKILL.
 */
async function runNode(script: string, options: { env?: Record<string, string>; nodeArgs?: string[]; limitMs?: number } = {}): Promise<CliRun> {
  if (!existsSync(resolve(repoRoot, 'dist/core/engine/backend.js')))
    throw new Error('dist/ is missing: these tests start the built backend in a child process; run `npm run build` (npm test does)');
  const dir = await mkdtemp(join(tmpdir(), 'pconv-wasm-threads-'));
  const file = join(dir, 'script.mjs');
  await writeFile(file, script);
  try {
    return await runNodeProcess([...(options.nodeArgs ?? []), file], {
      env: { ...process.env, [WASM_THREADS_ENV]: '', ...options.env },
      limitMs: options.limitMs ?? 120_000,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Import specifiers for the script: files of dist/, and tfjs as dist/ resolves it (one instance). */
const tfjsUrl = JSON.stringify(pathToFileURL(createRequire(resolve(repoRoot, 'dist/core/engine/backend.js')).resolve('@tensorflow/tfjs')).href);
const dist = (path: string) => JSON.stringify(pathToFileURL(resolve(repoRoot, 'dist', path)).href);

/** Starts the wasm backend as every command does, runs a convolution and prints what it got. */
const setupScript = `
import * as tf from ${tfjsUrl};
const { setupBackend } = await import(${dist('core/engine/backend.js')});
const info = await setupBackend('wasm');
const x = tf.ones([1, 16, 16, 8]);
const y = tf.conv2d(x, tf.ones([3, 3, 8, 4]), 1, 'same');
console.log(JSON.stringify({ info, centre: y.dataSync()[(8 * 16 + 8) * 4] }));
`;

function parseLast(stdout: string): { info: { device: string; notes: string[] }; centre: number; masks?: number } {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line);
}

describe('the wasm backend as commands start it (child processes of the built package)', () => {
  test('uses the threaded build, says so in device, and the process still ends by itself with our own mask workers run after it', async () => {
    const script = `${setupScript}
const { writeMaskSet } = await import(${dist('core/masks/write-mask-set.js')});
const { binsFromEdges, PAPER_BIN_EDGES } = await import(${dist('core/masks/bins.js')});
const { mkdtempSync, rmSync } = await import('node:fs');
const { join } = await import('node:path');
const { tmpdir } = await import('node:os');
const out = mkdtempSync(join(tmpdir(), 'pconv-wasm-threads-'));
const spec = {
  width: 48, height: 48, seed: 11, bins: binsFromEdges(PAPER_BIN_EDGES), binRule: '(lo,hi]', margin: 3,
  subsets: ['no-border', 'border'], perBin: 6,
  generator: { kind: 'pconv-keras', sizeFactor: 0.03, minThickness: 3, lines: true, circles: true, ellipses: true },
  limits: { maxShapes: 5000, maxAttempts: 20 },
};
const result = await writeMaskSet(spec, { outDir: out, workers: 2 });
rmSync(out, { recursive: true, force: true });
console.log(JSON.stringify({ info, centre: y.dataSync()[(8 * 16 + 8) * 4], masks: result.manifest.masks.length }));
`;
    const run = await runNode(script, { env: { [WASM_THREADS_ENV]: '2' } });
    expect(run.signal, `the process did not end by itself\n${run.stderr}`).toBeNull();
    expect(run.code, run.stderr).toBe(0);
    const { info, centre, masks } = parseLast(run.stdout);
    expect(info.device).toBe('CPU, WebAssembly SIMD (XNNPACK), 2 threads');
    expect(info.notes).toEqual([]);
    expect(centre).toBe(72);
    expect(masks).toBe(6 * 6 * 2);
  });

  test.each([
    ['unset', ''],
    ['1', '1'],
  ])('PCONV_WASM_THREADS %s: tfjs` single-threaded build', async (_label, value) => {
    const run = await runNode(setupScript, { env: { [WASM_THREADS_ENV]: value } });
    expect(run.code, run.stderr).toBe(0);
    const { info, centre } = parseLast(run.stdout);
    expect(info.device).toBe('CPU, WebAssembly SIMD (XNNPACK), one thread');
    expect(info.notes).toEqual([]);
    expect(centre).toBe(72);
  });

  test('where workers may not start (Node permission model), it falls back to one thread with a note', async () => {
    const run = await runNode(setupScript, { env: { [WASM_THREADS_ENV]: '2' }, nodeArgs: ['--experimental-permission', '--allow-fs-read=*'] });
    expect(run.code, run.stderr).toBe(0);
    const { info, centre } = parseLast(run.stdout);
    expect(info.device).toBe('CPU, WebAssembly SIMD (XNNPACK), one thread');
    expect(info.notes).toEqual([expect.stringMatching(/^wasm threads could not start \(.+\); running one thread$/)]);
    expect(centre).toBe(72);
  });

  test('a bad PCONV_WASM_THREADS stops with the user error', async () => {
    const run = await runNode(setupScript, { env: { [WASM_THREADS_ENV]: 'many' } });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('PCONV_WASM_THREADS=many is not a thread count');
  });
});
