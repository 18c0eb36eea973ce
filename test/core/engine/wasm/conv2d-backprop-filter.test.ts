import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { maxRelativeDifference } from '../../../../src/bench/max-relative-difference.js';
import { setupBackend } from '../../../../src/core/engine/backend.js';
import { channelShares, conv2dBackpropFilterByForwardConv, filterGradientBySimdTiles } from '../../../../src/core/engine/wasm/conv2d-backprop-filter.js';
import { type ConvCase as Case, convGradient, makeConvCase } from '../../../helpers/conv-gradient-cases.js';

const cases: Case[] = [];
let index = 0;
for (const kernel of [1, 3, 5, 7])
  for (const stride of [1, 2, 3])
    for (const pad of ['same', 'valid', 1] as const) {
      cases.push(makeConvCase(500 + index, kernel, stride, pad, 5, index));
      index++;
    }

// Output channels that are whole vectors of 4 take the SIMD tiles (wasm/simd/conv2d-backprop-filter.ts): every
// input-channel tail (1-3 after tiles of 4), output tails of one vector, and several channel chunks.
const tileCases: Case[] = [];
for (const [i, [kernel, stride, pad, maxIn, out]] of (
  [
    [3, 1, 'same', 9, 4],
    [3, 2, 'same', 13, 8],
    [5, 2, 'same', 7, 12],
    [7, 2, 'valid', 5, 20],
    [1, 1, 'valid', 11, 16],
    [3, 3, 1, 6, 4],
    [5, 1, 2, 3, 8],
    [2, 2, 'same', 10, 28],
    // Output channels not a multiple of 4: dy padded with zeros, the result cut back.
    [3, 1, 'same', 9, 3],
    [3, 2, 1, 6, 1],
    [5, 2, 'same', 13, 6],
  ] as const
).entries()) {
  tileCases.push(makeConvCase(900 + i, kernel, stride, pad, maxIn, 900 + i, out));
}
// 300 input channels at 256 outputs: three chunks of 128 KiB of the gradient, the last one short.
tileCases.push({ ...makeConvCase(950, 3, 1, 'same', 1, 950, 256), name: 'wide: 1x5x4x300 -> 256, 3x3/s1 same' });
{
  const wide = tileCases.at(-1) as Case;
  const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, j) => Math.sin(j * 0.37 + seed));
  wide.xShape = [1, 5, 4, 300];
  wide.wShape = [3, 3, 300, 256];
  wide.x = values(5 * 4 * 300, 1);
  wide.w = values(9 * 300 * 256, 2);
  wide.dySeed = values(7 * 6 * 256, 3);
}

describe('Conv2DBackpropFilter on wasm by the SIMD tiles', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  test.each(tileCases.map((c) => [c.name, c] as const))('matches the cpu backend: %s', async (_name, c) => {
    const expected = await convGradient('cpu', c, 'filter');
    const actual = await convGradient('wasm', c, 'filter');
    expect(actual.length).toBe(expected.length);
    expect(maxRelativeDifference(actual, expected, 1e-6)).toBeLessThan(1e-5);
  });

  test('channelShares: shares as equal as whole tiles of 4 channels allow, at most one thread per tile', () => {
    expect(channelShares(64, 2)).toEqual([0, 32, 64]);
    expect(channelShares(67, 2)).toEqual([0, 32, 67]);
    expect(channelShares(13, 3)).toEqual([0, 4, 8, 13]);
    expect(channelShares(8, 3)).toEqual([0, 4, 8]);
    expect(channelShares(5, 2)).toEqual([0, 4, 5]);
    expect(channelShares(4, 2)).toEqual([0, 4]);
    expect(channelShares(3, 4)).toEqual([0, 3]);
    expect(channelShares(100, 1)).toEqual([0, 100]);
  });

  test('leaves no memory behind on the heap, padded or not', async () => {
    const backend = tf.backend();
    for (const c of tileCases.filter((k) => k.wShape[3] === 3 || k.wShape[3] === 8)) {
      await convGradient('wasm', c, 'filter');
      const before = backend.numDataIds();
      await convGradient('wasm', c, 'filter');
      expect(backend.numDataIds(), c.name).toBe(before);
    }
  });

  test('output channels not a multiple of 4 run on a padded copy of dy and are cut back', () => {
    const backend = tf.backend();
    const sums = (outChannels: number) => {
      const x = tf.ones([1, 6, 6, 5]);
      const dy = tf.ones([1, 6, 6, outChannels]);
      const info = tf.backend_util.computeConv2DInfo([1, 6, 6, 5], [3, 3, 5, outChannels], 1, 1, 'same', undefined, false, 'channelsLast');
      const out = filterGradientBySimdTiles(backend, x, dy, info);
      tf.dispose([x, dy]);
      if (!out) return null;
      const result = tf.engine().makeTensorFromTensorInfo(out);
      expect(result.shape).toEqual([3, 3, 5, outChannels]);
      // Ones everywhere: each tap sums over the positions whose input pixel is inside (6x6, 5x6, 5x5 windows).
      const values = [...new Set(result.dataSync())].sort((a, b) => a - b);
      result.dispose();
      return values;
    };
    for (const outChannels of [1, 3, 4, 6, 12]) expect(sums(outChannels), `${outChannels} outputs`).toEqual([25, 30, 36]);
  });
});

describe('Conv2DBackpropFilter registered for wasm', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  test.each(cases.map((c) => [c.name, c] as const))('matches the cpu backend: %s', async (_name, c) => {
    const expected = await convGradient('cpu', c, 'filter');
    const actual = await convGradient('wasm', c, 'filter');
    expect(actual.length).toBe(expected.length);
    expect(maxRelativeDifference(actual, expected, 1e-6)).toBeLessThan(1e-5);
  });

  test.each(cases.slice(0, 12).map((c) => [c.name, c] as const))(
    'the convolution form (where the tiles cannot run) matches the cpu backend: %s',
    async (_name, c) => {
      const expected = await convGradient('cpu', c, 'filter');
      await tf.setBackend('wasm');
      const actual = tf.tidy(() => {
        const x = tf.tensor4d(c.x, c.xShape);
        const y = tf.conv2d(x, tf.tensor4d(c.w, c.wShape), c.stride, c.pad);
        const dy = tf.tensor4d(c.dySeed.slice(0, y.size), y.shape);
        return conv2dBackpropFilterByForwardConv(x, dy, c.wShape, c.stride, c.pad).dataSync() as Float32Array;
      });
      expect(maxRelativeDifference(actual, expected, 1e-6)).toBeLessThan(1e-5);
    },
  );

  test('leaks no tensors', async () => {
    await tf.setBackend('wasm');
    const c = cases[7] as Case;
    await convGradient('wasm', c, 'filter');
    const before = tf.memory().numTensors;
    await convGradient('wasm', c, 'filter');
    expect(tf.memory().numTensors).toBe(before);
  });
});
