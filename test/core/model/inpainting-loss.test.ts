import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { dilatedHoles, gramMatrix, inpaintingLoss, type LossTerms } from '../../../src/core/model/inpainting-loss.js';

// Before any test module code makes tensors: importing the engine loads the wasm backend too
// (wasm-threads.ts), which tfjs would otherwise pick, uninitialised, as the highest priority.
await setupBackend('cpu');

const paper = { valid: 1, hole: 6, perceptual: 0.05, style: 120, tv: 0.1 };
const values = (terms: LossTerms) => Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, (v as tf.Scalar).dataSync()[0]]));

// A 2x2 one-channel example, worked by hand in the comments.
const yTrue = tf.tensor4d([0, 0.5, 1, 0.25], [1, 2, 2, 1]);
const yPred = tf.tensor4d([0.5, 0.5, 0, 1], [1, 2, 2, 1]);
const mask = tf.tensor4d([1, 0, 1, 0], [1, 2, 2, 1]);

describe('inpaintingLoss', () => {
  test('every term against a hand computation, features = the image itself', () => {
    const terms = values(inpaintingLoss(yTrue, yPred, mask, paper, (x) => [x]));
    // diff = [0.5, 0, -1, 0.75]; valid = (0.5 + 1) / 4; hole = 0.75 / 4.
    expect(terms.valid).toBeCloseTo(0.375, 6);
    expect(terms.hole).toBeCloseTo(0.1875, 6);
    // comp = [0, 0.5, 1, 1]; perceptual = mean|out - gt| + mean|comp - gt| = 2.25/4 + 0.75/4.
    expect(terms.perceptual).toBeCloseTo(0.75, 6);
    // Gram with C = 1 is sum(x^2) / (1 * 2 * 2): out 1.5/4, gt 1.3125/4, comp 2.25/4.
    expect(terms.styleOut).toBeCloseTo(0.375 - 0.328125, 6);
    expect(terms.styleComp).toBeCloseTo(0.5625 - 0.328125, 6);
    // P covers the whole 2x2 image; |1 - 0| + |1 - 0.5| vertically, |0.5 - 0| + |1 - 1| horizontally, over 4 elements.
    expect(terms.tv).toBeCloseTo(0.5, 6);
    expect(terms.total).toBeCloseTo(0.375 + 6 * 0.1875 + 0.05 * 0.75 + 120 * (0.046875 + 0.234375) + 0.1 * 0.5, 4);
  });

  test('TV counts only neighbours that both lie in the hole region grown by one pixel', () => {
    // Row of 4: hole at x = 3, so P = [0, 0, 1, 1]; only the pair (2, 3) counts: |0.9 - 0.4| / 4.
    const gt = tf.tensor4d([0.1, 0.2, 0.4, 0.0], [1, 1, 4, 1]);
    const out = tf.tensor4d([5, 5, 5, 0.9], [1, 1, 4, 1]);
    const m = tf.tensor4d([1, 1, 1, 0], [1, 1, 4, 1]);
    expect([...dilatedHoles(m).dataSync()]).toEqual([0, 0, 1, 1]);
    expect(values(inpaintingLoss(gt, out, m, { ...paper, perceptual: 0, style: 0 })).tv).toBeCloseTo(0.125, 6);
  });

  test('a one-channel mask is broadcast over the colour channels', () => {
    const gt = tf.tensor4d([0, 0, 0, 1, 1, 1], [1, 1, 2, 3]);
    const out = tf.tensor4d([1, 1, 1, 1, 1, 1], [1, 1, 2, 3]);
    const one = values(inpaintingLoss(gt, out, tf.tensor4d([0, 1], [1, 1, 2, 1]), { ...paper, perceptual: 0, style: 0 }));
    const three = values(inpaintingLoss(gt, out, tf.tensor4d([0, 0, 0, 1, 1, 1], [1, 1, 2, 3]), { ...paper, perceptual: 0, style: 0 }));
    expect(one).toEqual(three);
    expect(one.hole).toBeCloseTo(0.5, 6);
    expect(one.valid).toBe(0);
  });

  test('perceptual or style weight without a feature extractor is an error', () => {
    expect(() => inpaintingLoss(yTrue, yPred, mask, paper)).toThrow(/needs a feature extractor/);
    expect(values(inpaintingLoss(yTrue, yPred, mask, { ...paper, perceptual: 0, style: 0 })).perceptual).toBe(0);
  });

  test('gradients reach the prediction and are finite; no tensors leak', () => {
    const pred = tf.variable(yPred);
    const { grads } = tf.variableGrads(
      () => inpaintingLoss(yTrue, pred as unknown as tf.Tensor4D, mask, paper, (x) => [x, tf.avgPool(x, 2, 1, 'same') as tf.Tensor4D]).total,
      [pred],
    );
    const g = Object.values(grads)[0] as tf.Tensor;
    expect(g.dataSync().every(Number.isFinite)).toBe(true);
    expect(Math.max(...g.dataSync().map(Math.abs))).toBeGreaterThan(0);
    tf.dispose(grads);
    const before = tf.memory().numTensors;
    tf.dispose(Object.values(inpaintingLoss(yTrue, yPred, mask, paper, (x) => [x])));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('gramMatrix', () => {
  test('is F^T F / (C * H * W) per sample', () => {
    // One sample, 1x2 pixels, 2 channels: rows (1, 2) and (3, 4).
    const g = gramMatrix(tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]));
    expect(g.shape).toEqual([1, 2, 2]);
    expect(g.arraySync()).toEqual([
      [
        [10 / 4, 14 / 4],
        [14 / 4, 20 / 4],
      ],
    ]);
  });
});
