import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { PartialConv2D } from '../../../src/core/model/partial-conv.js';
import { Rng } from '../../../src/core/rng.js';

// Before any test module code makes tensors: importing the engine loads the wasm backend too
// (engine/wasm/threads.ts), which tfjs would otherwise pick, uninitialised, as the highest priority.
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

describe('PartialConv2D on channel segments (applySegments, the UNet path)', () => {
  /** Elements whose bits differ. */
  const bitsDiffering = (a: tf.Tensor, b: tf.Tensor) => {
    const [x, y] = [new Uint32Array(a.dataSync().buffer), new Uint32Array(b.dataSync().buffer)];
    return x.length !== y.length ? Math.max(x.length, 1) : x.reduce((n, v, i) => n + (v === y[i] ? 0 : 1), 0);
  };

  test.each([
    [3, 1, false],
    [5, 2, false],
    [3, 1, true],
  ])('k=%i, stride %i, kerasCompat %s: the same bits as call() with the masks tiled and concatenated', (k, stride, kerasCompat) => {
    const rng = new Rng(k * 7 + stride);
    const layer = new PartialConv2D({ filters: 6, kernelSize: k, strides: stride, kerasCompat });
    const [x1, x2] = [randomTensor([2, 10, 10, 3], rng), randomTensor([2, 10, 10, 5], rng)] as [tf.Tensor4D, tf.Tensor4D];
    // Random masks with a 6x6 hole common to both segments, so some windows see no valid input.
    const hole = tf.pad(
      tf.zeros([2, 6, 6, 1]),
      [
        [0, 0],
        [0, 4],
        [0, 4],
        [0, 0],
      ],
      1,
    );
    const [m1, m2] = [tf.mul(randomMask([2, 10, 10, 1], rng, 0.6), hole), tf.mul(randomMask([2, 10, 10, 1], rng, 0.3), hole)] as [tf.Tensor4D, tf.Tensor4D];
    const full = tf.concat([tf.tile(m1, [1, 1, 1, 3]), tf.tile(m2, [1, 1, 1, 5])], 3);
    apply(layer, tf.concat([x1, x2], 3), full);
    layer.setWeights([randomTensor([k, k, 8, 6], rng), randomTensor([6], rng)]);
    const [want, wantMask] = apply(layer, tf.concat([x1, x2], 3), full);
    const [y, updated] = layer.applySegments([
      { x: x1, mask: m1 },
      { x: x2, mask: m2 },
    ]);
    expect(updated.shape).toEqual([2, 10 / stride, 10 / stride, 1]);
    expect(bitsDiffering(y, want)).toBe(0);
    expect(bitsDiffering(tf.tile(updated, [1, 1, 1, 6]), wantMask)).toBe(0);
    // Windows inside the common hole have no valid input; the others have some.
    expect(new Set(updated.dataSync()).size).toBe(2);
  });

  test('a segment may keep a mask per channel; the legacy [x, mask] form takes a one-channel mask too', () => {
    const rng = new Rng(31);
    const layer = new PartialConv2D({ filters: 2, kernelSize: 3 });
    const x1 = randomTensor([1, 6, 6, 2], rng) as tf.Tensor4D;
    const x2 = randomTensor([1, 6, 6, 3], rng) as tf.Tensor4D;
    const perChannel = randomMask([1, 6, 6, 2], rng) as tf.Tensor4D;
    const one = randomMask([1, 6, 6, 1], rng) as tf.Tensor4D;
    const full = tf.concat([perChannel, tf.tile(one, [1, 1, 1, 3])], 3);
    const [want] = apply(layer, tf.concat([x1, x2], 3), full);
    const [y] = layer.applySegments([
      { x: x1, mask: perChannel },
      { x: x2, mask: one },
    ]);
    expect(bitsDiffering(y, want)).toBe(0);
    const [legacy, legacyMask] = layer.apply([x1, perChannel, x2, one]) as [tf.Tensor, tf.Tensor];
    expect(bitsDiffering(legacy, want)).toBe(0);
    expect(legacyMask.shape).toEqual([1, 6, 6, 2]);
  });

  test('gradients reach only kernel and bias, and nothing leaks', () => {
    const rng = new Rng(8);
    const layer = new PartialConv2D({ filters: 3, kernelSize: 3, strides: 2 });
    const segments = [
      { x: randomTensor([1, 8, 8, 2], rng) as tf.Tensor4D, mask: randomMask([1, 8, 8, 1], rng, 0.3) as tf.Tensor4D },
      { x: randomTensor([1, 8, 8, 4], rng) as tf.Tensor4D, mask: randomMask([1, 8, 8, 1], rng, 0.7) as tf.Tensor4D },
    ];
    tf.dispose(layer.applySegments(segments));
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(layer.applySegments(segments)[0])) as tf.Scalar);
    expect(Object.keys(grads).sort()).toEqual(layer.trainableWeights.map((w) => w.originalName ?? w.name).sort());
    expect(Object.values(grads).every((g) => g.dataSync().every(Number.isFinite))).toBe(true);
    expect(value.dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('inputs that do not fit are errors naming the layer, the segment and the shapes', () => {
    const layer = new PartialConv2D({ filters: 2, kernelSize: 3, name: 'd7' });
    const x = tf.ones([1, 4, 4, 3]) as tf.Tensor4D;
    layer.applySegments([{ x, mask: tf.ones([1, 4, 4, 1]) as tf.Tensor4D }]);
    expect(() => layer.applySegments([{ x, mask: tf.ones([1, 4, 4, 2]) as tf.Tensor4D }])).toThrow(
      /PartialConv2D 'd7', input segment 0: the mask must have 1 channel or x's 3, got \[1,4,4,2\]/,
    );
    expect(() => layer.applySegments([{ x, mask: tf.ones([1, 4, 5, 1]) as tf.Tensor4D }])).toThrow(/input segment 0: batch, height and width must match/);
    expect(() =>
      layer.applySegments([
        { x, mask: tf.ones([1, 4, 4, 1]) as tf.Tensor4D },
        { x, mask: tf.ones([1, 4, 4, 1]) as tf.Tensor4D },
      ]),
    ).toThrow(/PartialConv2D 'd7': the inputs have 6 channels in all, the kernel was built for 3/);
    expect(() => layer.apply([x, tf.ones([1, 4, 4, 1]), x])).toThrow(/expects inputs \[x, mask\] or \[x1, mask1, x2, mask2, \.\.\.\], got 3 tensor/);
  });
});
