import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { startKernelProfile } from '../../../src/core/engine/kernel-profiler.js';
import { Rng } from '../../../src/core/rng.js';

/** Values on a coarse grid, many of them 0 after a ReLU: ties in almost every window. */
function features(shape: number[], seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor4d(
    Float32Array.from({ length: n }, () => Math.max(0, rng.int(-3, 3)) / 4),
    shape as [number, number, number, number],
  );
}

async function gradientOn(backend: string, shape: number[], size: number, stride: number, pad: 'valid' | 'same', seed: number): Promise<number[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = features(shape, seed);
    const weights = tf.randomUniform(tf.maxPool(x, size, stride, pad).shape, -1, 1, 'float32', seed + 1);
    const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, size, stride, pad), weights)))(x);
    return [...dx.dataSync()];
  });
}

beforeAll(async () => {
  await setupBackend('wasm');
});

describe('wasm MaxPoolGrad', () => {
  test.each([
    { shape: [3, 8, 8, 5], size: 2, stride: 2, pad: 'valid' as const },
    { shape: [2, 7, 9, 3], size: 2, stride: 2, pad: 'same' as const },
    { shape: [2, 9, 9, 4], size: 3, stride: 2, pad: 'same' as const },
    { shape: [1, 6, 6, 2], size: 3, stride: 1, pad: 'valid' as const },
    { shape: [2, 5, 5, 3], size: 3, stride: 1, pad: 'same' as const },
  ])("$shape, window $size, stride $stride, $pad: the cpu backend's gradient, ties and overlaps included", async ({ shape, size, stride, pad }) => {
    const cpu = await gradientOn('cpu', shape, size, stride, pad, 11);
    const wasm = await gradientOn('wasm', shape, size, stride, pad, 11);
    expect(wasm.length).toBe(cpu.length);
    for (let i = 0; i < cpu.length; i++) expect(wasm[i]).toBeCloseTo(cpu[i] as number, 6);
    // Ties really happened: more zeros in x than windows, so first-max order was exercised.
    expect(cpu.filter((v) => v !== 0).length).toBeGreaterThan(0);
  });

  test('known answer: the first maximum of a window of ties takes the gradient', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d([0, 0, 0, 0, 0, 0, 2, 1], [1, 2, 4, 1]);
    const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid'), tf.tensor4d([3, 5], [1, 1, 2, 1]))))(x);
    // Window 1 (all 0): its first pixel. Window 2 (0, 0 / 2, 1): the 2 at row 1.
    expect([...dx.dataSync()]).toEqual([3, 0, 0, 0, 0, 0, 5, 0]);
    const profiler = startKernelProfile('wasm');
    tf.grad((input: tf.Tensor) => tf.sum(tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid')))(x).dispose();
    expect(profiler.stop().byName.some((r) => r.key === 'MaxPoolGrad')).toBe(true);
    tf.dispose([x, dx]);
  });
});
