import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../../src/core/engine/backend.js';

// tfjs' own gradients, kept before setupBackend replaces them, as the reference.
const original = { sum: tf.getGradient(tf.Sum), mean: tf.getGradient(tf.Mean) };

/** dL/dx through the gradient registered for `kernel`, with dy given (tfjs' engine calls gradFunc so). */
function dx(config: tf.GradConfig | undefined, x: tf.Tensor, dy: tf.Tensor, axis: number[] | number, keepDims = false): tf.Tensor {
  const derX = config?.gradFunc(dy, [x], { axis, keepDims } as unknown as tf.NamedAttrMap).x;
  if (!derX) throw new Error('no gradient with respect to x registered');
  return derX();
}

function viaGradFunc(config: tf.GradConfig | undefined, x: tf.Tensor, dy: tf.Tensor, axis: number[] | number): Float32Array {
  return tf.tidy(() => dx(config, x, dy, axis).dataSync() as Float32Array);
}

const bits = (a: Float32Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

describe('Sum and Mean gradients without a ones array', () => {
  beforeAll(async () => {
    await setupBackend('cpu');
  });

  test('our gradients replaced tfjs-core 4.22 own (registered by setupBackend)', () => {
    expect(tf.getGradient(tf.Sum)).not.toBe(original.sum);
    expect(tf.getGradient(tf.Mean)).not.toBe(original.mean);
  });

  test.each([
    { name: 'all axes', axis: [0, 1, 2, 3] },
    { name: 'batch-norm axes (0, 1, 2)', axis: [0, 1, 2] },
    { name: 'one middle axis', axis: [2] },
    { name: 'negative axis', axis: -1 },
  ])('$name: bit for bit tfjs-core own, NaN, infinities and -0 included', ({ axis }) => {
    const x = tf.randomNormal([2, 3, 4, 5], 0, 1, 'float32', 7);
    const outShape = tf.backend_util.computeOutAndReduceShapes(x.shape, tf.util.parseAxisParam(axis, x.shape))[0];
    const size = tf.util.sizeFromShape(outShape);
    const special = [Number.NaN, Number.POSITIVE_INFINITY, -0, Number.NEGATIVE_INFINITY];
    const dy = tf.tensor(
      Array.from({ length: size }, (_, i) => special[i] ?? Math.sin(i) * 3),
      outShape,
    );
    for (const [kernel, reference] of [
      [tf.Sum, original.sum],
      [tf.Mean, original.mean],
    ] as const) {
      const ours = viaGradFunc(tf.getGradient(kernel), x, dy, axis);
      const theirs = viaGradFunc(reference, x, dy, axis);
      expect(ours.length).toBe(x.size);
      expect(bits(ours)).toEqual(bits(theirs));
    }
  });

  test('known answer through tf.grad: d/dx mean over rows of [[1, 2], [3, 4]] * w is w / 2 per column', () => {
    const w = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mean(tf.mul(x, w), 0)))(tf.zeros([2, 2]));
    expect([...grad.dataSync()]).toEqual([0.5, 1, 1.5, 2]);
    const gradSum = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.sum(x, 1), tf.tensor1d([2, 5]))))(tf.zeros([2, 3]));
    expect([...gradSum.dataSync()]).toEqual([2, 2, 2, 5, 5, 5]);
  });

  test('an int32 dy gives a float32 gradient, as tfjs-core own', () => {
    const x = tf.zeros([2, 3]);
    const dy = tf.tensor1d([1, 2], 'int32');
    for (const [ours, theirs] of [
      [tf.getGradient(tf.Sum), original.sum],
      [tf.getGradient(tf.Mean), original.mean],
    ] as const) {
      const [a, b] = [dx(ours, x, dy, [1]), dx(theirs, x, dy, [1])];
      expect(a.dtype).toBe('float32');
      expect(b.dtype).toBe('float32');
      expect([...a.dataSync()]).toEqual([...b.dataSync()]);
    }
    expect([...dx(tf.getGradient(tf.Sum), x, dy, [1]).dataSync()]).toEqual([1, 1, 1, 2, 2, 2]);
  });

  test('keepDims: dy already has the reduced axes as 1, the same result as tfjs-core own', () => {
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 9);
    const dy = tf.randomNormal([2, 1, 4], 0, 1, 'float32', 10);
    for (const [ours, theirs] of [
      [tf.getGradient(tf.Sum), original.sum],
      [tf.getGradient(tf.Mean), original.mean],
    ] as const) {
      const a = dx(ours, x, dy, [1], true).dataSync() as Float32Array;
      const b = dx(theirs, x, dy, [1], true).dataSync() as Float32Array;
      expect(a.length).toBe(24);
      expect(bits(a)).toEqual(bits(b));
    }
  });
});
