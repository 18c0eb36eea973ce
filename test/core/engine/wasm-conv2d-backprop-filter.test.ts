import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { maxRelativeDifference } from '../../../src/bench/max-relative-difference.js';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { type ConvCase as Case, convGradient, makeConvCase } from '../../helpers/conv-gradient-cases.js';

const cases: Case[] = [];
let index = 0;
for (const kernel of [1, 3, 5, 7])
  for (const stride of [1, 2, 3])
    for (const pad of ['same', 'valid', 1] as const) {
      cases.push(makeConvCase(500 + index, kernel, stride, pad, 5, index));
      index++;
    }

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

  test('leaks no tensors', async () => {
    await tf.setBackend('wasm');
    const c = cases[7] as Case;
    await convGradient('wasm', c, 'filter');
    const before = tf.memory().numTensors;
    await convGradient('wasm', c, 'filter');
    expect(tf.memory().numTensors).toBe(before);
  });
});
