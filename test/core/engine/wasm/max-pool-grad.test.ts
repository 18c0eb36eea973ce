import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../../src/core/engine/backend.js';
import { wasmMaxPoolGrad } from '../../../../src/core/engine/wasm/max-pool-grad.js';
import { Rng } from '../../../../src/core/rng.js';

type Pad = 'valid' | 'same';

/** Values on a coarse grid, many of them 0 after a ReLU: ties in almost every window. */
function featureValues(shape: number[], seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.max(0, rng.int(-3, 3)) / 4);
}

/** Windows (per channel) of a max pool over x, and how many of them hold their maximum twice or more. */
function countTiedWindows(values: Float32Array, shape: number[], size: number, stride: number, pad: Pad): { windows: number; tied: number } {
  const info = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], size, stride, 1, pad);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  let tied = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        for (let c = 0; c < inChannels; c++) {
          const window: number[] = [];
          for (let y = oy * stride - info.padInfo.top; y < oy * stride - info.padInfo.top + size; y++) {
            for (let x = ox * stride - info.padInfo.left; x < ox * stride - info.padInfo.left + size; x++) {
              if (y >= 0 && y < inHeight && x >= 0 && x < inWidth) window.push(values[((b * inHeight + y) * inWidth + x) * inChannels + c] as number);
            }
          }
          const max = Math.max(...window);
          if (window.filter((v) => v === max).length >= 2) tied++;
        }
      }
    }
  }
  return { windows: batchSize * outHeight * outWidth * inChannels, tied };
}

/** The bits of float32 values, so that a last-bit difference (and -0 against 0) fails. */
function bits(values: Float32Array): number[] {
  return [...new Uint32Array(values.buffer, values.byteOffset, values.length)];
}

async function gradientOn(backend: string, shape: number[], size: number, stride: number, pad: Pad, seed: number): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(featureValues(shape, seed), shape as [number, number, number, number]);
    const weights = tf.randomUniform(tf.maxPool(x, size, stride, pad).shape, -1, 1, 'float32', seed + 1);
    const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, size, stride, pad), weights)))(x);
    return Float32Array.from(dx.dataSync());
  });
}

beforeAll(async () => {
  await setupBackend('wasm');
});

describe('wasm MaxPoolGrad', () => {
  test('the wasm MaxPoolGrad kernel is ours', () => {
    expect(tf.getKernel(tf.MaxPoolGrad, 'wasm')?.kernelFunc).toBe(wasmMaxPoolGrad);
  });

  test.each([
    { shape: [3, 8, 8, 5], size: 2, stride: 2, pad: 'valid' as const },
    { shape: [2, 7, 9, 3], size: 2, stride: 2, pad: 'same' as const },
    { shape: [2, 9, 9, 4], size: 3, stride: 2, pad: 'same' as const },
    { shape: [1, 6, 6, 2], size: 3, stride: 1, pad: 'valid' as const },
    { shape: [2, 5, 5, 3], size: 3, stride: 1, pad: 'same' as const },
  ])("$shape, window $size, stride $stride, $pad: the cpu backend's gradient bit for bit, ties and overlaps included", async ({ shape, size, stride, pad }) => {
    const cpu = await gradientOn('cpu', shape, size, stride, pad, 11);
    const wasm = await gradientOn('wasm', shape, size, stride, pad, 11);
    expect(bits(wasm)).toEqual(bits(cpu));
    // Ties really happened: a fifth of the windows or more hold their maximum twice, so the
    // first-maximum rule decided where their gradient went.
    const { windows, tied } = countTiedWindows(featureValues(shape, 11), shape, size, stride, pad);
    expect(tied).toBeGreaterThanOrEqual(windows / 5);
  });

  test('known answer: the first maximum of a window of ties takes the gradient', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d([0, 0, 0, 0, 0, 0, 2, 1], [1, 2, 4, 1]);
    const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid'), tf.tensor4d([3, 5], [1, 1, 2, 1]))))(x);
    // Window 1 (all 0): its first pixel. Window 2 (0, 0 / 2, 1): the 2 at row 1.
    expect([...dx.dataSync()]).toEqual([3, 0, 0, 0, 0, 0, 5, 0]);
    tf.dispose([x, dx]);
  });

  test("known answer: a pixel that is the maximum of three windows sums their gradients in double, as cpu's does", async () => {
    // 1 x 3 windows at stride 1 over [0, 0, 9, 0, 0]: the 9 is the maximum of all three. Their
    // gradients 1, 2^-24, 2^-24 add up to 1 + 2^-23 in double; in float32 each 2^-24 is lost
    // (1 + 2^-24 rounds to 1, ties to even).
    const tiny = 2 ** -24;
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor4d([0, 0, 9, 0, 0], [1, 1, 5, 1]);
        const dy = tf.tensor4d([1, tiny, tiny], [1, 1, 3, 1]);
        const pool = (input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, [1, 3], 1, 'valid'), dy));
        return Float32Array.from(tf.grad(pool)(x).dataSync());
      });
    };
    const [cpu, wasm] = [await run('cpu'), await run('wasm')];
    expect([...wasm]).toEqual([0, 0, 1 + 2 ** -23, 0, 0]);
    expect(bits(wasm)).toEqual(bits(cpu));
  });
});
