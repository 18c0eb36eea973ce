import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { maxRelativeDifference } from '../../../../src/bench/max-relative-difference.js';
import { setupBackend } from '../../../../src/core/engine/backend.js';
import { conv2dBackpropInputByForwardConv } from '../../../../src/core/engine/shared/conv2d-backprop-input-forward-conv.js';
import { conv2dBackpropInputByMatMul } from '../../../../src/core/engine/shared/conv2d-backprop-input-matmul.js';
import { Rng } from '../../../../src/core/rng.js';
import { type ConvCase as Case, convGradient, makeConvCase } from '../../../helpers/conv-gradient-cases.js';

const cases: Case[] = [];
let index = 0;
// Even kernels and stride 3 leave phases with fewer taps; [1, 2] takes the fallback to wasm's own kernel.
for (const kernel of [1, 2, 3, 4, 5, 7])
  for (const stride of [1, 2, 3, [1, 2]] as Case['stride'][])
    for (const pad of ['same', 'valid', 1] as const) {
      cases.push(makeConvCase(900 + index, kernel, stride, pad, 6, index));
      index++;
    }
// The UNet's own layer types at a realistic width: e2 (5x5/s2), e4 (3x3/s2) and a decoder 3x3/s1.
const unetCases: Case[] = [makeConvCase(1000, 5, 2, 'same', 6, 100), makeConvCase(1001, 3, 2, 'same', 6, 101), makeConvCase(1002, 3, 1, 'same', 6, 102)].map(
  (c, i) => {
    const rng = new Rng(1000 + i);
    const [kernel] = c.wShape;
    const [cin, cout] = [48, 40];
    const values = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
    return {
      ...c,
      name: `UNet-like ${kernel}x${kernel}/s${c.stride} 2x16x16x${cin} -> ${cout}`,
      xShape: [2, 16, 16, cin],
      wShape: [kernel, kernel, cin, cout],
      x: values(2 * 16 * 16 * cin),
      w: values(kernel * kernel * cin * cout),
      dySeed: values(2 * 16 * 16 * cout),
    };
  },
);

describe('Conv2DBackpropInput replaced on wasm (one forward convolution)', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  test.each([...cases, ...unetCases].map((c) => [c.name, c] as const))('matches the cpu backend: %s', async (_name, c) => {
    const expected = await convGradient('cpu', c, 'input');
    const actual = await convGradient('wasm', c, 'input');
    expect(actual.length).toBe(expected.length);
    expect(maxRelativeDifference(actual, expected, 1e-6)).toBeLessThan(1e-5);
  });

  // The kernel picks one of two forms by shape; each is checked here on every case, wasm vs cpu.
  test.each([...cases, ...unetCases].filter((c) => typeof c.stride === 'number').map((c) => [c.name, c] as const))(
    'both forms match the cpu backend: %s',
    async (_name, c) => {
      const expected = await convGradient('cpu', c, 'input');
      await tf.setBackend('wasm');
      for (const form of [conv2dBackpropInputByForwardConv, conv2dBackpropInputByMatMul]) {
        const actual = tf.tidy(() => {
          const w = tf.tensor4d(c.w, c.wShape);
          const y = tf.conv2d(tf.tensor4d(c.x, c.xShape), w, c.stride, c.pad);
          const dy = tf.tensor4d(c.dySeed.slice(0, y.size), y.shape as [number, number, number, number]);
          return form(dy, w, c.xShape, c.stride, c.pad).dataSync() as Float32Array;
        });
        expect(actual.length, form.name).toBe(expected.length);
        expect(maxRelativeDifference(actual, expected, 1e-6), form.name).toBeLessThan(1e-5);
      }
    },
  );

  test('leaks no tensors', async () => {
    await tf.setBackend('wasm');
    const c = cases[7] as Case;
    await convGradient('wasm', c, 'input');
    const before = tf.memory().numTensors;
    await convGradient('wasm', c, 'input');
    expect(tf.memory().numTensors).toBe(before);
  });
});
