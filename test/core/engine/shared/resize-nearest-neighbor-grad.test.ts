import * as tf from '@tensorflow/tfjs';
// Imported before setupBackend so that wasm's own kernel can be kept as the reference below.
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../../src/core/engine/backend.js';

const wasmOriginal = tf.getKernel(tf.ResizeNearestNeighborGrad, 'wasm')?.kernelFunc;

/** The gradient of sum(resizeNearestNeighbor(x) * dy) with respect to x, on the active backend. */
function gradient(xShape: [number, number, number, number], size: [number, number], dy: number[], alignCorners = false): number[] {
  return tf.tidy(() => {
    const dyT = tf.tensor4d(dy, [xShape[0], size[0], size[1], xShape[3]]);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(x as tf.Tensor4D, size, alignCorners), dyT)))(tf.zeros(xShape));
    return [...grad.dataSync()];
  });
}

describe('ResizeNearestNeighborGrad on cpu and wasm', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  test.each(['cpu', 'wasm'])('%s: x2 upsampling of a batch of 2, each input pixel sums its own 2x2 block of its own sample', async (backend) => {
    await tf.setBackend(backend);
    const dy = Array.from({ length: 2 * 4 * 4 }, (_, i) => i + 1);
    // Sample 0 holds 1..16 as a 4x4 image, sample 1 holds 17..32 (tfjs-backend-cpu 4.22 read
    // sample 1's gradient from the offset of sample 0's second half: 30, 38, 62, 70).
    expect(gradient([2, 2, 2, 1], [4, 4], dy)).toEqual([14, 22, 46, 54, 78, 86, 110, 118]);
  });

  test.each([
    [[3, 4, 5, 2], [8, 10], false],
    [[2, 3, 3, 3], [7, 5], false],
    [[2, 3, 4, 1], [6, 8], true],
    [[1, 4, 4, 5], [3, 3], false],
  ] as const)('cpu and ours on wasm match wasm own kernel for x %j resized to %j (alignCorners %s)', async (xShape, size, alignCorners) => {
    const dy = Array.from({ length: xShape[0] * size[0] * size[1] * xShape[3] }, (_, i) => Math.sin(i * 1.3));
    await tf.setBackend('wasm');
    const config = tf.getKernel(tf.ResizeNearestNeighborGrad, 'wasm') as tf.KernelConfig;
    const ours = config.kernelFunc;
    expect(ours).not.toBe(wasmOriginal);
    (config as { kernelFunc: tf.KernelFunc }).kernelFunc = wasmOriginal as tf.KernelFunc;
    const reference = gradient([...xShape], [...size], dy, alignCorners);
    (config as { kernelFunc: tf.KernelFunc }).kernelFunc = ours;
    const wasm = gradient([...xShape], [...size], dy, alignCorners);
    await tf.setBackend('cpu');
    const cpu = gradient([...xShape], [...size], dy, alignCorners);
    for (const actual of [wasm, cpu]) {
      expect(actual.length).toBe(reference.length);
      for (let i = 0; i < reference.length; i++) expect(actual[i]).toBeCloseTo(reference[i] as number, 6);
    }
  });

  test.each([
    [[2, 4, 4, 4], [8, 8], false],
    [[3, 4, 5, 8], [8, 10], false],
    [[2, 3, 3, 12], [7, 5], false],
    [[2, 3, 4, 16], [6, 8], true],
    [[1, 4, 4, 64], [3, 3], false],
  ] as const)(
    'channels in vectors of 4 (the wasm SIMD row loop) equal the cpu backend bit for bit: x %j resized to %j (alignCorners %s)',
    async (xShape, size, alignCorners) => {
      const dy = Array.from({ length: xShape[0] * size[0] * size[1] * xShape[3] }, (_, i) => Math.sin(i * 0.7) * 3);
      await tf.setBackend('wasm');
      const wasm = gradient([...xShape], [...size], dy, alignCorners);
      await tf.setBackend('cpu');
      const cpu = gradient([...xShape], [...size], dy, alignCorners);
      expect(wasm).toEqual(cpu);
      expect(wasm.some((v) => v !== 0)).toBe(true);
    },
  );
});
