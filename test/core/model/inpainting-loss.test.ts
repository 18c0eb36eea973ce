import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { dilatedHoles, gramMatrix, inpaintingLoss, type LossTerms } from '../../../src/core/model/inpainting-loss.js';

// Before any test module code makes tensors: importing the engine loads the wasm backend too
// (engine/wasm/threads.ts), which tfjs would otherwise pick, uninitialised, as the highest priority.
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

describe('inpaintingLoss with weights of 0', () => {
  // 2 images of 4x4x3, a hole in each: enough for every term to be non-zero.
  const rng = (seed: number) => Float32Array.from({ length: 2 * 4 * 4 * 3 }, (_, i) => ((i * 37 + seed * 11) % 17) / 17);
  const gt = tf.tensor4d(rng(1), [2, 4, 4, 3]);
  const out = tf.tensor4d(rng(2), [2, 4, 4, 3]);
  const m = tf.tensor4d(
    Array.from({ length: 32 }, (_, i) => (i % 16 < 6 ? 0 : 1)),
    [2, 4, 4, 1],
  );
  const features = (x: tf.Tensor4D) => [x, tf.avgPool(x, 2, 2, 'valid') as tf.Tensor4D];
  const l1Weights = { valid: 1, hole: 6, perceptual: 0, style: 0, tv: 0 };
  const bits = (t: tf.Tensor) => {
    // A view of the float32 values' own bytes: dataSync() may be a view into a larger buffer.
    const values = t.dataSync() as Float32Array;
    return [...new Uint32Array(values.buffer, values.byteOffset, values.length)];
  };

  test('a term whose weight is 0 reads 0; total and gradient are those of the term multiplied by 0', () => {
    const pred = tf.variable(out);
    const run = (skip: boolean) =>
      tf.variableGrads(() => {
        if (skip) return inpaintingLoss(gt, pred as unknown as tf.Tensor4D, m, l1Weights).total;
        // What the loss did before it skipped terms: every term computed, then weighted by 0.
        const t = inpaintingLoss(gt, pred as unknown as tf.Tensor4D, m, { ...paper }, features);
        const w = l1Weights;
        return tf.addN([
          tf.mul(w.valid, t.valid),
          tf.mul(w.hole, t.hole),
          tf.mul(w.perceptual, t.perceptual),
          tf.mul(w.style, tf.add(t.styleOut, t.styleComp)),
          tf.mul(w.tv, t.tv),
        ]) as tf.Scalar;
      }, [pred]);
    const skipped = run(true);
    const computed = run(false);
    expect(bits(skipped.value)).toEqual(bits(computed.value));
    expect(bits(Object.values(skipped.grads)[0] as tf.Tensor)).toEqual(bits(Object.values(computed.grads)[0] as tf.Tensor));
    const terms = values(inpaintingLoss(gt, out, m, l1Weights));
    const all = values(inpaintingLoss(gt, out, m, paper, features));
    expect(terms).toEqual({ ...all, total: terms.total, perceptual: 0, styleOut: 0, styleComp: 0, tv: 0 });
    expect(all.tv).toBeGreaterThan(0);
    expect(all.styleOut).toBeGreaterThan(0);
  });

  test.each([
    ['perceptual', { perceptual: 0 }, ['perceptual']],
    ['style', { style: 0 }, ['styleOut', 'styleComp']],
    ['tv', { tv: 0 }, ['tv']],
  ] as const)('only %s off: it reads 0, the other terms keep their values, one feature pass', (_, off, zeroed) => {
    let passes = 0;
    const counting = (x: tf.Tensor4D) => {
      passes++;
      return features(x);
    };
    const all = values(inpaintingLoss(gt, out, m, paper, features));
    const terms = values(inpaintingLoss(gt, out, m, { ...paper, ...off }, counting));
    expect(passes).toBe(1);
    const expected: Record<string, number | undefined> = { ...all, total: terms.total };
    for (const name of zeroed) expected[name] = 0;
    expect(terms).toEqual(expected);
    expect(terms.total).toBeLessThan(all.total as number);
  });

  test('with every VGG16 and TV weight at 0 no feature extractor is called', () => {
    let passes = 0;
    const terms = values(
      inpaintingLoss(gt, out, m, l1Weights, (x) => {
        passes++;
        return [x];
      }),
    );
    expect(passes).toBe(0);
    expect(terms.total).toBeCloseTo((terms.valid as number) + 6 * (terms.hole as number), 6);
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
