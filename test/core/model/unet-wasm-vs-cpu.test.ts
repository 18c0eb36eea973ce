import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { maxRelativeDifference } from '../../../src/bench/max-relative-difference.js';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { inpaintingLoss } from '../../../src/core/model/inpainting-loss.js';
import { modelInputs } from '../../../src/core/model/model-inputs.js';
import { InpaintingUNet } from '../../../src/core/model/unet.js';
import { Rng } from '../../../src/core/rng.js';

/**
 * One training step's numbers (output, loss, every weight's gradient, batch-norm statistics) of a
 * small UNet on the cpu backend and on wasm with our kernels (Conv2DBackpropFilter, the replaced
 * Conv2DBackpropInput, Slice, SplitV, Tile, DepthToSpace): what the smoke baseline relies on.
 */
const SIZE = 16;
const BATCH = 2;

function batch(): { images: Float32Array; masks: Float32Array } {
  const rng = new Rng(77);
  return {
    images: Float32Array.from({ length: BATCH * SIZE * SIZE * 3 }, () => rng.next()),
    masks: Float32Array.from({ length: BATCH * SIZE * SIZE }, () => (rng.next() < 0.65 ? 1 : 0)),
  };
}

async function step(backend: string, net: InpaintingUNet, kind: 'pconv' | 'conv', maskChannel = false): Promise<Map<string, Float32Array>> {
  await tf.setBackend(backend);
  const { images, masks } = batch();
  const values = new Map<string, Float32Array>();
  tf.tidy(() => {
    const image = tf.tensor4d(images, [BATCH, SIZE, SIZE, 3]);
    const mask = tf.tensor4d(masks, [BATCH, SIZE, SIZE, 1]);
    const { input, mask: modelMask } = modelInputs(kind, image, mask, { baselineFill: 'mean-pixel', baselineMaskChannel: maskChannel });
    const variables = net.layers().flatMap((layer) => layer.trainableWeights.map((w) => w.read() as tf.Variable));
    let output: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      output = tf.keep(net.predict(input, modelMask, true));
      return inpaintingLoss(image, output as tf.Tensor4D, mask, { valid: 1, hole: 6, perceptual: 0, style: 0, tv: 0.1 }).total;
    }, variables);
    values.set('loss', value.dataSync() as Float32Array);
    values.set('output', (output as tf.Tensor).dataSync() as Float32Array);
    for (const [name, grad] of Object.entries(grads)) values.set(`grad ${name}`, grad.dataSync() as Float32Array);
  });
  for (const bn of net.layers()) for (const w of bn.nonTrainableWeights) values.set(`stat ${w.name}`, w.read().dataSync() as Float32Array);
  return values;
}

describe('a UNet training step on wasm matches the cpu backend', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  test.each([
    ['pconv', false],
    ['conv', false],
    ['conv', true],
  ] as const)('%s (mask channel %s): output, loss and every gradient within 1e-5 relative', async (kind, maskChannel) => {
    await tf.setBackend('cpu');
    // One network for both runs: its weights move between backends; the batch-norm moving
    // statistics are updated by each step, so the wasm run starts from a fresh copy of them.
    const net = new InpaintingUNet({ kind, levels: 3, baseChannels: 8, maxChannels: 32, head: 'none', seed: 5, maskChannel });
    net.predict(tf.zeros([1, SIZE, SIZE, net.inputChannels]), tf.ones([1, SIZE, SIZE, 1]), false);
    const stats = net.layers().flatMap((layer) => layer.nonTrainableWeights.map((w) => [w, w.read().clone()] as const));
    const expected = await step('cpu', net, kind, maskChannel);
    for (const [w, saved] of stats) w.write(saved);
    const actual = await step('wasm', net, kind, maskChannel);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    expect(expected.size).toBeGreaterThan(20);
    const maxAbs = (values: Float32Array) => values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    // Biases of convolutions followed by batch norm have a zero gradient in exact arithmetic (the
    // norm removes the mean), so their values (~1e-8) are rounding noise: every weight of a layer
    // is compared on the scale of the layer's largest gradient ("grad e2/kernel", "grad e2/bias").
    const layerOf = (key: string) => key.replace(/\/[^/]*$/, '');
    const layerScale = new Map<string, number>();
    for (const [key, want] of expected) layerScale.set(layerOf(key), Math.max(layerScale.get(layerOf(key)) ?? 0, maxAbs(want)));
    for (const [key, want] of expected) {
      const got = actual.get(key) as Float32Array;
      expect(maxRelativeDifference(got, want, Math.max(1e-6, layerScale.get(layerOf(key)) ?? 0)), key).toBeLessThan(1e-5);
    }
    net.dispose();
  });
});
