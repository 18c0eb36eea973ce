import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { benchConfig, verifySize } from '../../../../src/bench/bench-config.js';
import { benchFeatures } from '../../../../src/bench/bench-features.js';
import { verifyAgainstCpu } from '../../../../src/bench/verify-backend.js';
import { setupBackend } from '../../../../src/core/engine/backend.js';
import { adamScalars, adamUpdate } from '../../../../src/core/engine/shared/adam-update.js';
import { splitPlan, tileShapeFor } from '../../../../src/core/engine/webgpu/conv2d-backprop-filter.js';
import { webgpuKernelNames } from '../../../../src/core/engine/webgpu/kernels.js';

/**
 * Our WGSL kernels (src/core/engine/webgpu/*.ts) against the cpu backend. They need a WebGPU
 * adapter: on a machine without a GPU, Mesa's software Vulkan (llvmpipe, Debian's
 * mesa-vulkan-drivers >= 24; .ci/run installs it) serves, and `auto` must not pick it. CI sets
 * PCONV_REQUIRE_WEBGPU=1, so a missing adapter fails there instead of skipping.
 */
// These tests are about our kernels: whatever the environment says, use them all.
delete process.env.PCONV_WEBGPU_KERNELS;
const autoInfo = await setupBackend('auto');
const webgpu = await setupBackend('webgpu').then(
  (info) => info,
  (error: unknown) => (error instanceof Error ? error.message : String(error)),
);
const available = typeof webgpu !== 'string';
const software = available && webgpu.notes.some((note) => note.includes('software adapter'));

/** The shader keys of the webgpu programs that `run` dispatched: which kernels really ran. */
async function programsOf(run: () => Promise<unknown>): Promise<string[]> {
  const backend = tf.backend() as unknown as { runWebGPUProgram: (program: { shaderKey: string }, ...rest: unknown[]) => unknown };
  const original = backend.runWebGPUProgram;
  const keys: string[] = [];
  backend.runWebGPUProgram = function (this: unknown, program, ...rest) {
    keys.push(program.shaderKey);
    return original.call(this, program, ...rest);
  };
  try {
    await run();
  } finally {
    backend.runWebGPUProgram = original;
  }
  return keys;
}

test.runIf(process.env.PCONV_REQUIRE_WEBGPU === '1')('a WebGPU adapter is found (PCONV_REQUIRE_WEBGPU=1)', () => {
  expect(webgpu).not.toBeTypeOf('string');
});

describe('split-K plan of the filter gradient (pure)', () => {
  test('thin layers split the reduction so that ~1024 workgroups run; chunks are multiples of 16 and cover every row', () => {
    for (const [rows, tiles] of [
      [4 * 512 * 512, 5],
      [4 * 256 * 256, 27],
      [4 * 32 * 32, 1152],
      [17, 3],
      [1, 1],
    ] as const) {
      const { splits, chunk } = splitPlan(rows, tiles);
      expect(chunk % 16).toBe(0);
      expect(splits * chunk).toBeGreaterThanOrEqual(rows);
      expect((splits - 1) * chunk).toBeLessThan(rows);
      expect(splits).toBeLessThanOrEqual(Math.max(1, Math.ceil(1024 / tiles)));
    }
    expect(splitPlan(4 * 512 * 512, 5).splits).toBeGreaterThan(100);
    expect(splitPlan(4 * 32 * 32, 1152).splits).toBe(1);
  });

  test('few output channels take the narrow tile', () => {
    expect(tileShapeFor(3)).toEqual({ tm: 128, tn: 16 });
    expect(tileShapeFor(64)).toEqual({ tm: 64, tn: 64 });
  });

  test('PCONV_WEBGPU_KERNELS: all by default, stock for none, a list, and a clear error for an unknown name', () => {
    expect(webgpuKernelNames({})).toEqual(['filter', 'input', 'adam']);
    expect(webgpuKernelNames({ PCONV_WEBGPU_KERNELS: 'stock' })).toEqual([]);
    expect(webgpuKernelNames({ PCONV_WEBGPU_KERNELS: 'filter, adam' })).toEqual(['filter', 'adam']);
    expect(webgpuKernelNames({ PCONV_WEBGPU_KERNELS: 'filter,' })).toEqual(['filter']);
    expect(webgpuKernelNames({ PCONV_WEBGPU_KERNELS: ' ' })).toEqual(['filter', 'input', 'adam']);
    expect(() => webgpuKernelNames({ PCONV_WEBGPU_KERNELS: 'filtre' })).toThrow(/PCONV_WEBGPU_KERNELS: unknown kernel "filtre"/);
  });
});

describe.skipIf(!available)(`webgpu kernels against cpu (${available ? webgpu.device : webgpu})`, () => {
  test.runIf(software)('auto does not take a software adapter (webgpu, asked for by name, runs on one here)', () => {
    expect(autoInfo.name).not.toBe('webgpu');
    expect(autoInfo.notes.join(' ')).toMatch(/only webgpu adapter is a software one/);
  });

  /**
   * max |webgpu - cpu| / max |cpu| of one kernel on the same inputs; checks too that the webgpu run
   * dispatched a program whose shader key matches `ours` and none matching `notTheirs`.
   */
  async function againstCpu(run: (inputs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], ours: RegExp, notTheirs?: RegExp): Promise<number> {
    await tf.setBackend('webgpu');
    const onGpu = inputs.map((t) => tf.tensor(t.dataSync(), t.shape));
    let got: Float32Array = new Float32Array();
    const programs = await programsOf(async () => {
      got = (await run(onGpu).data()) as Float32Array;
    });
    expect(programs.filter((key) => ours.test(key)).length, programs.join(', ')).toBeGreaterThan(0);
    if (notTheirs) expect(programs.filter((key) => notTheirs.test(key))).toEqual([]);
    await tf.setBackend('cpu');
    const want = await run(inputs).data();
    await tf.setBackend('webgpu');
    expect(got.length).toBe(want.length);
    let err = 0;
    let scale = 0;
    for (let i = 0; i < want.length; i++) {
      err = Math.max(err, Math.abs((want[i] ?? 0) - (got[i] ?? 0)));
      scale = Math.max(scale, Math.abs(want[i] ?? 0));
    }
    return err / scale;
  }

  // [x shape], kernel, stride, output channels, padding: the UNet's layer types (7/5/3 stride 2,
  // 3x3 stride 1 over a concat ending at 3 channels), odd sizes that leave partial tiles, and a
  // thin layer large enough to be split into several chunks, the last one short (23x23, 40x33).
  const layers = [
    [[2, 16, 16, 3], 7, 2, 64, 'same'],
    [[1, 8, 8, 32], 5, 2, 80, 'same'],
    [[1, 4, 4, 256], 3, 1, 128, 'same'],
    [[2, 24, 24, 67], 3, 1, 3, 'same'],
    [[2, 23, 23, 67], 3, 1, 3, 'same'],
    [[3, 40, 33, 5], 3, 1, 17, 'same'],
    [[1, 11, 13, 6], 3, 2, 5, 'valid'],
    [[3, 9, 7, 5], 3, 1, 7, 'same'],
  ] as const;

  test.each(layers)('Conv2DBackpropFilter, x %o, kernel %i, stride %i -> %i channels, %s', async (xShape, k, s, o, pad) => {
    const filterShape = [k, k, xShape[3], o] as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo([...xShape], filterShape, s, 1, pad);
    await tf.setBackend('cpu');
    const x = tf.randomNormal([...xShape], 0, 1, 'float32', 1);
    const dy = tf.randomNormal([xShape[0], info.outHeight, info.outWidth, o], 0, 1, 'float32', 2);
    const run = ([xi, dyi]: tf.Tensor[]) =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x: xi as tf.Tensor, dy: dyi as tf.Tensor },
          { strides: [s, s], pad, dataFormat: 'NHWC', filterShape },
        ) as tf.Tensor;
    expect(await againstCpu(run, [x, dy], /^pconvFilterGrad/, /^conv2DDerFilter/)).toBeLessThan(1e-5);
  });

  test.each(layers)('Conv2DBackpropInput, x %o, kernel %i, stride %i -> %i channels, %s', async (xShape, k, s, o, pad) => {
    const filterShape = [k, k, xShape[3], o] as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo([...xShape], filterShape, s, 1, pad);
    await tf.setBackend('cpu');
    const w = tf.randomNormal(filterShape, 0, 1, 'float32', 3);
    const dy = tf.randomNormal([xShape[0], info.outHeight, info.outWidth, o], 0, 1, 'float32', 4);
    const run = ([dyi, wi]: tf.Tensor[]) =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropInput',
          { dy: dyi as tf.Tensor, filter: wi as tf.Tensor },
          { strides: [s, s], pad, dataFormat: 'NHWC', inputShape: [...xShape] },
        ) as tf.Tensor;
    // Ours runs tfjs' forward convolution (conv2dBackpropInputByForwardConv: its tiled conv2DMM, or
    // a matrix product or the naive kernel for some shapes), never its conv2DDerInput.
    expect(await againstCpu(run, [dy, w], /^(conv2DMM|conv2dnaive|matMul)/i, /^conv2DDerInput/)).toBeLessThan(1e-5);
  });

  test("the fused Adam step: w - w', m' and v' as the cpu kernel computes them", async () => {
    await tf.setBackend('cpu');
    const shape = [3, 3, 16, 8];
    const [w, g, m, v0] = [1, 2, 3, 4].map((seed) => tf.randomNormal(shape, 0, 1, 'float32', seed)) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const v = tf.abs(v0);
    const scalars = adamScalars(7, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, learningRate: 2e-4 });
    // The update w - w' (2e-4 against weights near 1) would hide in a comparison of w' itself.
    const step = ([wi, gi, mi, vi]: tf.Tensor[]) =>
      tf.sub(wi as tf.Tensor, adamUpdate(wi as tf.Tensor, gi as tf.Tensor, mi as tf.Tensor, vi as tf.Tensor, scalars)[0]);
    expect(await againstCpu(step, [w, g, m, v], /^pconvAdam_w/)).toBeLessThan(1e-5);
    for (const [k, key] of [
      [1, /^pconvAdam_m/],
      [2, /^pconvAdam_v/],
    ] as const) {
      const moment = (t: tf.Tensor[]) => adamUpdate(t[0] as tf.Tensor, t[1] as tf.Tensor, t[2] as tf.Tensor, t[3] as tf.Tensor, scalars)[k] as tf.Tensor;
      expect(await againstCpu(moment, [w, g, m, v], key)).toBeLessThan(1e-6);
    }
    await tf.setBackend('webgpu');
  });

  test('a training step of a small UNet (output, every loss term, every gradient) agrees with cpu, loss full', async () => {
    const config = benchConfig({ size: verifySize(3), batch: 1, loss: 'full', levels: 3, baseChannels: 8, maxChannels: 16, head: 'none', seed: 3 });
    const result = await verifyAgainstCpu({ config, backend: 'webgpu', makeFeatures: () => benchFeatures(config, 3) });
    expect(tf.getBackend()).toBe('webgpu');
    for (const check of result.checks) expect(check.maxRelativeDifference, check.name).toBeLessThan(check.tolerance);
    expect(result.ok).toBe(true);
  });
});
