import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { PartialConv2D } from '../../../src/core/model/partial-conv.js';
import { Rng } from '../../../src/core/rng.js';

// Before any test module code makes tensors: importing the engine loads the wasm backend too
// (wasm-threads.ts), which tfjs would otherwise pick, uninitialised, as the highest priority.
await setupBackend('cpu');

function apply(layer: PartialConv2D, x: tf.Tensor, mask: tf.Tensor): [tf.Tensor, tf.Tensor] {
  return layer.apply([x, mask]) as [tf.Tensor, tf.Tensor];
}

function randomTensor(shape: number[], rng: Rng): tf.Tensor {
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)),
    shape,
  );
}

function randomMask(shape: number[], rng: Rng, validShare = 0.6): tf.Tensor {
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.next() < validShare ? 1 : 0)),
    shape,
  );
}

describe('PartialConv2D known answers (hand-computed)', () => {
  // x = 1..9 in a 3x3 image, one channel; mask has holes at (0,1) and (2,0); kernel all ones; bias 0.5.
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
  const mask = tf.tensor4d([1, 0, 1, 1, 1, 1, 0, 1, 1], [1, 3, 3, 1]);

  test('renormalises by k*k*Cin / S, adds the bias unscaled, and updates the mask', () => {
    const layer = new PartialConv2D({ filters: 1, kernelSize: 3 });
    apply(layer, x, mask);
    layer.setWeights([tf.ones([3, 3, 1, 1]), tf.tensor1d([0.5])]);
    const [y, updated] = apply(layer, x, mask);
    const out = y.dataSync();
    // Centre: 7 valid of 9; valid sum 1+3+4+5+6+8+9 = 36 -> 36 * 9/7 + 0.5.
    expect(out[4]).toBeCloseTo((36 * 9) / 7 + 0.5, 4);
    // Top-left: the window holds (0,0), (0,1), (1,0), (1,1) of the image, padding counts as hole;
    // valid: (0,0), (1,0), (1,1) -> S = 3, sum 1 + 4 + 5 = 10 -> 10 * 9/3 + 0.5.
    expect(out[0]).toBeCloseTo(30.5, 4);
    // Bottom-left: (1,0), (1,1), (2,0), (2,1) -> valid (1,0), (1,1), (2,1): S = 3, sum 4+5+8 = 17.
    expect(out[6]).toBeCloseTo((17 * 9) / 3 + 0.5, 4);
    expect([...updated.dataSync()]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  test('a window with no valid input gives 0 (bias included) and a 0 in the updated mask', () => {
    const layer = new PartialConv2D({ filters: 2, kernelSize: 3 });
    const holeMask = tf.tensor4d([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], [1, 4, 4, 1]);
    const input = tf.fill([1, 4, 4, 1], 7);
    apply(layer, input, holeMask);
    layer.setWeights([tf.ones([3, 3, 1, 2]), tf.tensor1d([0.5, -2])]);
    const [y, updated] = apply(layer, input, holeMask);
    // Only pixel (3,3) is valid: windows centred at rows/cols 2..3 see it; (0,0)..(1,1) do not.
    const yv = y.arraySync() as number[][][][];
    const mv = updated.arraySync() as number[][][][];
    expect(yv[0]?.[0]?.[0]?.map((v) => v === 0)).toEqual([true, true]);
    expect(mv[0]?.[1]?.[1]).toEqual([0, 0]);
    expect(mv[0]?.[2]?.[2]).toEqual([1, 1]);
    // (2,2) sees one valid pixel of 9: 7 * 9/1 + bias.
    expect(yv[0]?.[2]?.[2]?.[0]).toBeCloseTo(63.5, 4);
    expect(yv[0]?.[2]?.[2]?.[1]).toBeCloseTo(61, 4);
  });

  test('a multi-channel mask counts valid inputs over all channels: ratio k*k*Cin / S', () => {
    const layer = new PartialConv2D({ filters: 1, kernelSize: 1 });
    const input = tf.tensor4d([3, 100], [1, 1, 1, 2]);
    const m = tf.tensor4d([1, 0], [1, 1, 1, 2]);
    apply(layer, input, m);
    layer.setWeights([tf.tensor4d([2, 5], [1, 1, 2, 1]), tf.tensor1d([1])]);
    const [y] = apply(layer, input, m);
    // S = 1 of 2 channels -> ratio 2; the hole channel (100) is multiplied by 0.
    expect(y.dataSync()[0]).toBeCloseTo(3 * 2 * 2 + 1, 5);
  });

  test('kerasCompat reproduces PConv-Keras: ratio k*k / S and the bias in holes too', () => {
    const layer = new PartialConv2D({ filters: 1, kernelSize: 1, kerasCompat: true });
    const input = tf.tensor4d([3, 100, 4, 4], [1, 1, 2, 2]);
    const m = tf.tensor4d([1, 0, 0, 0], [1, 1, 2, 2]);
    apply(layer, input, m);
    layer.setWeights([tf.tensor4d([2, 5], [1, 1, 2, 1]), tf.tensor1d([1])]);
    const [y] = apply(layer, input, m);
    expect([...y.dataSync()].map((v) => Math.round(v * 1e4) / 1e4)).toEqual([3 * 2 * 1 + 1, 1]);
  });
});

describe('PartialConv2D properties', () => {
  test.each([
    [3, 1],
    [5, 2],
    [7, 2],
  ])('holes never influence the output (k=%i, stride %i)', (k, stride) => {
    const rng = new Rng(k * 10 + stride);
    const layer = new PartialConv2D({ filters: 4, kernelSize: k, strides: stride });
    const x = randomTensor([2, 12, 12, 3], rng);
    const mask = randomMask([2, 12, 12, 3], rng);
    const [y1] = apply(layer, x, mask);
    const noise = tf.mul(randomTensor([2, 12, 12, 3], rng), tf.sub(1, mask));
    const [y2] = apply(layer, tf.add(x, tf.mul(noise, 1000)), mask);
    expect(tf.max(tf.abs(tf.sub(y1, y2))).dataSync()[0]).toBeLessThan(1e-3);
  });

  test('with an all-ones mask the interior equals an ordinary convolution', () => {
    const rng = new Rng(9);
    const layer = new PartialConv2D({ filters: 3, kernelSize: 3 });
    const x = randomTensor([1, 8, 8, 2], rng);
    const [y] = apply(layer, x, tf.ones([1, 8, 8, 2]));
    const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D];
    const plain = tf.add(tf.conv2d(x as tf.Tensor4D, kernel, 1, 'same'), bias);
    const interior = (t: tf.Tensor) => tf.slice(t, [0, 1, 1, 0], [1, 6, 6, 3]);
    expect(tf.max(tf.abs(tf.sub(interior(y), interior(plain)))).dataSync()[0]).toBeLessThan(1e-5);
  });

  test('gradients with respect to kernel and bias are finite, and there are no others', () => {
    const rng = new Rng(4);
    const layer = new PartialConv2D({ filters: 2, kernelSize: 3, strides: 2 });
    const x = randomTensor([1, 6, 6, 3], rng);
    const mask = randomMask([1, 6, 6, 3], rng, 0.3);
    apply(layer, x, mask);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(apply(layer, x, mask)[0])) as tf.Scalar);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Object.keys(grads).sort()).toEqual(layer.trainableWeights.map((w) => w.originalName ?? w.name).sort());
    for (const g of Object.values(grads)) expect(g.dataSync().every(Number.isFinite)).toBe(true);
    expect(layer.trainableWeights).toHaveLength(2);
    expect(layer.nonTrainableWeights).toHaveLength(0);
  });

  test('reports its output shapes and leaks no tensors', () => {
    const layer = new PartialConv2D({ filters: 5, kernelSize: 3, strides: 2 });
    expect(
      layer.computeOutputShape([
        [null, 9, 9, 3],
        [null, 9, 9, 3],
      ]),
    ).toEqual([
      [null, 5, 5, 5],
      [null, 5, 5, 5],
    ]);
    const x = tf.ones([1, 9, 9, 3]);
    const mask = tf.ones([1, 9, 9, 3]);
    tf.dispose(apply(layer, x, mask));
    const before = tf.memory().numTensors;
    const outputs = apply(layer, x, mask);
    expect(outputs[0].shape).toEqual([1, 5, 5, 5]);
    tf.dispose(outputs);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('round-trips through getConfig / fromConfig', () => {
    const layer = new PartialConv2D({ filters: 3, kernelSize: 5, strides: 2, eps: 1e-6, kerasCompat: false, name: 'e2' });
    const config = layer.getConfig();
    expect(config).toMatchObject({ filters: 3, kernelSize: 5, strides: 2, eps: 1e-6, kerasCompat: false, useBias: true, name: 'e2' });
    const copy = tf.serialization.SerializationMap.getMap().classNameMap.PartialConv2D?.[1](PartialConv2D, config) as PartialConv2D;
    expect(copy).toBeInstanceOf(PartialConv2D);
    expect(copy.getConfig()).toEqual(config);
  });

  test('rejects bad arguments with a message naming them', () => {
    expect(() => new PartialConv2D({ filters: 0, kernelSize: 3 })).toThrow(/filters must be a positive integer/);
    expect(() => new PartialConv2D({ filters: 2, kernelSize: 3, strides: 1.5 })).toThrow(/strides/);
  });
});
