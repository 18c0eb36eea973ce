import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { maxRelativeDifference } from '../../../src/bench/max-relative-difference.js';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { inpaintingLoss } from '../../../src/core/model/inpainting-loss.js';
import { PartialConv2D } from '../../../src/core/model/partial-conv.js';
import { InpaintingUNet, type ModelKind } from '../../../src/core/model/unet.js';
import { Rng } from '../../../src/core/rng.js';
import { repoRoot } from '../../helpers/run-cli.js';

/**
 * model.padding against an independent reference: test/fixtures/pconv/expected.json, written by
 * make_pconv_fixture.py with PyTorch from NVIDIA's PartialConv2d formula, padding k//2 (symmetric)
 * and TensorFlow's 'same' split applied with F.pad (same), in float64 from float32 inputs.
 */
interface Case {
  name: string;
  kernelSize: number;
  strides: number;
  inChannels: number;
  filters: number;
  side: number;
  maskChannels: number;
  outSide: number;
  x: number[];
  mask: number[];
  kernel: number[];
  bias: number[];
  symmetric: { y: number[]; mask: number[] };
  same: { pads: [number, number]; y: number[]; mask: number[] };
}

const fixture = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/pconv/expected.json'), 'utf8')) as { cases: Case[] };

/** Largest |a - b| / max(1, |b|): outputs are O(1) here, the renormalisation ratio up to k*k*Cin. */
function maxError(got: ArrayLike<number>, want: readonly number[]): number {
  expect(got.length).toBe(want.length);
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs((got[i] as number) - (want[i] as number)) / Math.max(1, Math.abs(want[i] as number)));
  return max;
}

function run(c: Case, padding: 'same' | 'symmetric' | undefined): { y: Float32Array; mask: Float32Array; shape: number[] } {
  const layer = new PartialConv2D({ filters: c.filters, kernelSize: c.kernelSize, strides: c.strides, ...(padding ? { padding } : {}) });
  const x = tf.tensor4d(c.x, [1, c.side, c.side, c.inChannels]);
  const mask = tf.tensor4d(c.mask, [1, c.side, c.side, c.maskChannels]);
  layer.apply([x, mask]);
  layer.setWeights([tf.tensor4d(c.kernel, [c.kernelSize, c.kernelSize, c.inChannels, c.filters]), tf.tensor1d(c.bias)]);
  const [y, updated] = layer.apply([x, mask]) as [tf.Tensor, tf.Tensor];
  const out = { y: y.dataSync() as Float32Array, mask: updated.dataSync() as Float32Array, shape: y.shape };
  tf.dispose([x, mask, y, updated]);
  layer.dispose();
  return out;
}

describe.each(['cpu', 'wasm'] as const)('PartialConv2D padding against NVIDIA formula in PyTorch (%s)', (backend) => {
  beforeAll(async () => {
    await setupBackend(backend);
  });

  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s: symmetric equals padding=k//2 within 1e-5', (_name, c) => {
    const got = run(c, 'symmetric');
    expect(got.shape).toEqual([1, c.outSide, c.outSide, c.filters]);
    expect(maxError(got.y, c.symmetric.y)).toBeLessThan(1e-5);
    expect([...got.mask]).toEqual(c.symmetric.mask);
  });

  test.each(fixture.cases.map((c) => [c.name, c] as const))("%s: the default is unchanged, TensorFlow's 'same'", (_name, c) => {
    const got = run(c, undefined);
    expect(maxError(got.y, c.same.y)).toBeLessThan(1e-5);
    expect([...got.mask]).toEqual(c.same.mask);
    const explicit = run(c, 'same');
    expect([...explicit.y]).toEqual([...got.y]);
    // Stride 2 on an even side: the grids differ by a pixel, so the check above tells them apart.
    if (c.strides === 2) expect(maxError(got.y, c.symmetric.y)).toBeGreaterThan(0.1);
  });
});

describe('PartialConv2D padding option', () => {
  beforeAll(async () => {
    await setupBackend('cpu');
  });

  test('output shape, config and a refused value', () => {
    const layer = new PartialConv2D({ filters: 2, kernelSize: 4, strides: 2, padding: 'symmetric' });
    // floor((in + 2*(k//2) - k) / s) + 1: an even kernel is where symmetric and same shapes part.
    expect(
      layer.computeOutputShape([
        [null, 9, 8, 3],
        [null, 9, 8, 3],
      ]),
    ).toEqual([
      [null, 5, 5, 2],
      [null, 5, 5, 2],
    ]);
    expect(
      new PartialConv2D({ filters: 2, kernelSize: 7, strides: 2, padding: 'symmetric' }).computeOutputShape([
        [1, 16, 16, 3],
        [1, 16, 16, 3],
      ])[0],
    ).toEqual([1, 8, 8, 2]);
    expect(layer.getConfig()).toMatchObject({ padding: 'symmetric' });
    expect(new PartialConv2D({ filters: 1, kernelSize: 3 }).padding).toBe('same');
    expect(() => new PartialConv2D({ filters: 1, kernelSize: 3, padding: 'valid' as 'same' })).toThrow(/padding must be 'same' or 'symmetric'/);
  });

  test.each(['pconv', 'conv'] as const)('%s UNet: padding unset is bitwise the same network as same; symmetric differs', (kind) => {
    const build = (padding?: 'same' | 'symmetric') =>
      new InpaintingUNet({ kind, levels: 3, baseChannels: 4, maxChannels: 8, head: 'none', seed: 9, ...(padding ? { padding } : {}) });
    const rng = new Rng(4);
    const images = tf.tensor4d(
      Float32Array.from({ length: 2 * 16 * 16 * 3 }, () => rng.next()),
      [2, 16, 16, 3],
    );
    const mask = tf.tensor4d(
      Float32Array.from({ length: 2 * 16 * 16 }, () => (rng.next() < 0.7 ? 1 : 0)),
      [2, 16, 16, 1],
    );
    const input = tf.mul(images, mask) as tf.Tensor4D;
    const outputs = [undefined, 'same', 'symmetric'].map((padding) => {
      const net = build(padding as 'same' | 'symmetric' | undefined);
      const y = net.predict(input, mask, false);
      const data = y.dataSync() as Float32Array;
      expect(y.shape).toEqual([2, 16, 16, 3]);
      y.dispose();
      net.dispose();
      return data;
    });
    expect([...(outputs[1] as Float32Array)]).toEqual([...(outputs[0] as Float32Array)]);
    expect(maxRelativeDifference(outputs[2] as Float32Array, outputs[0] as Float32Array, 1e-3)).toBeGreaterThan(1e-2);
    tf.dispose([images, mask, input]);
  });
});

describe('a symmetric-padding UNet training step on wasm matches the cpu backend', () => {
  const SIZE = 16;
  const BATCH = 2;
  beforeAll(async () => {
    await setupBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  async function step(backend: string, net: InpaintingUNet): Promise<Map<string, Float32Array>> {
    await tf.setBackend(backend);
    const rng = new Rng(77);
    const images = Float32Array.from({ length: BATCH * SIZE * SIZE * 3 }, () => rng.next());
    const masks = Float32Array.from({ length: BATCH * SIZE * SIZE }, () => (rng.next() < 0.65 ? 1 : 0));
    const values = new Map<string, Float32Array>();
    tf.tidy(() => {
      const image = tf.tensor4d(images, [BATCH, SIZE, SIZE, 3]);
      const mask = tf.tensor4d(masks, [BATCH, SIZE, SIZE, 1]);
      // Both kinds take 3 channels here (the baseline without the mask channel): holes zeroed.
      const input = tf.mul(image, mask) as tf.Tensor4D;
      const variables = net.layers().flatMap((layer) => layer.trainableWeights.map((w) => w.read() as tf.Variable));
      const { value, grads } = tf.variableGrads(
        () => inpaintingLoss(image, net.predict(input, mask, true), mask, { valid: 1, hole: 6, perceptual: 0, style: 0, tv: 0.1 }).total,
        variables,
      );
      values.set('loss', value.dataSync() as Float32Array);
      for (const [name, grad] of Object.entries(grads)) values.set(`grad ${name}`, grad.dataSync() as Float32Array);
    });
    return values;
  }

  test.each(['pconv', 'conv'] as const)('%s: loss and every gradient within 1e-5 relative', async (kind: ModelKind) => {
    await tf.setBackend('cpu');
    const net = new InpaintingUNet({ kind, levels: 3, baseChannels: 8, maxChannels: 32, head: 'none', seed: 5, padding: 'symmetric' });
    net.predict(tf.zeros([1, SIZE, SIZE, 3]), tf.ones([1, SIZE, SIZE, 1]), false);
    const stats = net.layers().flatMap((layer) => layer.nonTrainableWeights.map((w) => [w, w.read().clone()] as const));
    const expected = await step('cpu', net);
    for (const [w, saved] of stats) w.write(saved);
    const actual = await step('wasm', net);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    const maxAbs = (values: Float32Array) => values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    // Compared on the scale of each layer's largest gradient (biases before batch norm are ~0).
    const layerOf = (key: string) => key.replace(/\/[^/]*$/, '');
    const scale = new Map<string, number>();
    for (const [key, want] of expected) scale.set(layerOf(key), Math.max(scale.get(layerOf(key)) ?? 0, maxAbs(want)));
    for (const [key, want] of expected) {
      expect(maxRelativeDifference(actual.get(key) as Float32Array, want, Math.max(1e-6, scale.get(layerOf(key)) ?? 0)), key).toBeLessThan(1e-5);
    }
    net.dispose();
  });
});
