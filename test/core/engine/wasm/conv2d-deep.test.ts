import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { maxRelativeDifference } from '../../../../src/bench/max-relative-difference.js';
import { setupBackend } from '../../../../src/core/engine/backend.js';
import { startKernelProfile } from '../../../../src/core/engine/kernel-profiler.js';
import { conv2dByMatMul, preferConv2dByMatMul } from '../../../../src/core/engine/wasm/conv2d-deep.js';
import { Rng } from '../../../../src/core/rng.js';

function tensor(shape: number[], seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)),
    shape as [number, number, number, number],
  );
}

async function convOn(backend: string, run: () => tf.Tensor): Promise<{ shape: number[]; values: Float32Array }> {
  await tf.setBackend(backend);
  const y = tf.tidy(run);
  const result = { shape: y.shape, values: y.dataSync() as Float32Array };
  y.dispose();
  return result;
}

beforeAll(async () => {
  await setupBackend('wasm');
});

// [x shape, filter shape, stride, padding]: the UNet's deep layers and odd cases around them.
const cases: [number[], number[], number, 'same' | 'valid' | number | tf.backend_util.ExplicitPadding][] = [
  [[4, 4, 4, 1024], [3, 3, 1024, 512], 1, 'same'],
  [[4, 8, 8, 256], [3, 3, 256, 512], 2, 'same'],
  [[2, 5, 7, 96], [3, 3, 96, 40], 1, 'same'],
  [[2, 9, 7, 24], [5, 5, 24, 32], 2, 'same'],
  [[1, 6, 6, 8], [3, 3, 8, 16], 2, 'valid'],
  [[3, 5, 5, 16], [3, 3, 16, 8], 1, 1],
  [[1, 8, 8, 12], [7, 7, 12, 5], 2, 'same'],
  // Explicit, uneven padding: what our Conv2DBackpropInput passes to tf.conv2d.
  [
    [2, 5, 5, 6],
    [3, 3, 6, 4],
    2,
    [
      [0, 0],
      [0, 2],
      [1, 0],
      [0, 0],
    ],
  ],
];

describe('Conv2D on wasm as im2col + one matrix product', () => {
  test.each(cases)('x %j, filter %j, stride %i, pad %j agrees with the cpu backend', async (xShape, wShape, stride, pad) => {
    const run = () => conv2dByMatMul(tensor(xShape, 1), tensor(wShape, 2), stride, pad);
    const ours = await convOn('wasm', run);
    const cpu = await convOn('cpu', () => tf.conv2d(tensor(xShape, 1), tensor(wShape, 2), stride, pad));
    expect(ours.shape).toEqual(cpu.shape);
    expect(maxRelativeDifference(ours.values, cpu.values)).toBeLessThan(1e-5);
  });

  test('the registered kernel takes it for the deep layers only, and tf.conv2d there agrees with cpu', async () => {
    expect(preferConv2dByMatMul(4 * 4 * 4, [3, 3, 1024, 512])).toBe(true);
    expect(preferConv2dByMatMul(4 * 64 * 64, [3, 3, 192, 64])).toBe(false);
    expect(preferConv2dByMatMul(4, [3, 3, 8, 16])).toBe(false);
    expect(preferConv2dByMatMul(0, [3, 3, 1024, 512])).toBe(false);
    await tf.setBackend('wasm');
    const profiler = startKernelProfile('wasm');
    let kernels: string[] = [];
    let ours: { values: Float32Array };
    try {
      ours = await convOn('wasm', () => tf.conv2d(tensor([4, 4, 4, 1024], 3), tensor([3, 3, 1024, 512], 4), 1, 'same'));
    } finally {
      kernels = profiler.stop().byName.map((r) => r.key);
    }
    // The product ran inside Conv2D (a plain convolution would call no BatchMatMul).
    expect(kernels).toContain('BatchMatMul');
    const cpu = await convOn('cpu', () => tf.conv2d(tensor([4, 4, 4, 1024], 3), tensor([3, 3, 1024, 512], 4), 1, 'same'));
    expect(maxRelativeDifference(ours.values, cpu.values)).toBeLessThan(1e-5);
  });

  test('a shallow or dilated convolution keeps the original kernel (no product runs)', async () => {
    await tf.setBackend('wasm');
    const profiler = startKernelProfile('wasm');
    try {
      tf.tidy(() => {
        tf.conv2d(tensor([4, 32, 32, 64], 5), tensor([3, 3, 64, 64], 6), 1, 'same').dataSync();
        tf.conv2d(tensor([1, 6, 6, 1024], 7), tensor([3, 3, 1024, 512], 8), 1, 'same', 'NHWC', 2).dataSync();
      });
    } finally {
      expect(profiler.stop().byName.map((r) => r.key)).not.toContain('BatchMatMul');
    }
  });

  test('gradients through tf.conv2d at a deep layer agree with the cpu backend', async () => {
    expect(preferConv2dByMatMul(2 * 2 * 2, [3, 3, 512, 256])).toBe(true);
    const run = () => {
      // Small enough for the cpu backend, deep enough for the product path (1.2M weights, 8 positions).
      const x = tensor([2, 2, 2, 512], 9);
      const w = tensor([3, 3, 512, 256], 10);
      const weights = tensor([2, 2, 2, 256], 11);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), weights)))([x, w]);
      return tf.concat([tf.reshape(dx as tf.Tensor, [-1]), tf.reshape(dw as tf.Tensor, [-1])]);
    };
    const ours = await convOn('wasm', run);
    const cpu = await convOn('cpu', run);
    expect(maxRelativeDifference(ours.values, cpu.values)).toBeLessThan(1e-5);
  });
});
