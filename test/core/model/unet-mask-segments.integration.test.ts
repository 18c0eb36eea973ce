import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../../src/core/config/parse-config.js';
import type { ExperimentConfig } from '../../../src/core/config/schema.js';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { inpaintingLoss } from '../../../src/core/model/inpainting-loss.js';
import { modelInputs } from '../../../src/core/model/model-inputs.js';
import { buildNetwork, weightMap } from '../../../src/core/model/network.js';
import type { InpaintingUNet } from '../../../src/core/model/unet.js';
import { Rng } from '../../../src/core/rng.js';
import { Adam } from '../../../src/core/train/adam.js';
import { type LossValues, trainStep } from '../../../src/core/train/trainer.js';
import { repoRoot } from '../../helpers/run-cli.js';
import { predictWithFullMasks } from './full-mask-reference.js';

/**
 * The UNet carries one-channel masks per channel segment; before, every mask was copied to all
 * channels of its features. The values must not change at all: a training step with the old
 * full-mask wiring (full-mask-reference.ts, on the same layers) and with the new one must give
 * the same output, loss terms, gradients, updated weights and batch-norm statistics, bit for bit.
 */
const SIZE = 32;
const COUNT = 2;

function tinyConfig(tv: number): ExperimentConfig {
  const text = `name: masks
seed: 21
data: { root: ${resolve(repoRoot, 'data/photos')}, imageSize: ${SIZE} }
model: { levels: 3, baseChannels: 8, maxChannels: 32 }
loss: { valid: 1, hole: 6, perceptual: 0, style: 0, tv: ${tv} }
train:
  batchSize: ${COUNT}
  phase1: { learningRate: 0.002, steps: 2, freezeEncoderBatchNorm: false }
  phase2: { learningRate: 0.001, steps: 1, freezeEncoderBatchNorm: true }
`;
  return parseConfig(text, 'masks.yaml', repoRoot);
}

/**
 * Two batches whose holes reach the bottleneck: random holes plus a large rectangle in image 0,
 * everything but a 6x6 corner in image 1. Small random holes alone vanish after the first
 * layer (every 7x7 window sees a valid pixel), which would leave every deeper mask all ones.
 */
function batches(): { size: number; count: number; images: Float32Array; masks: Float32Array }[] {
  const rng = new Rng(5);
  return [0, 1].map((b) => ({
    size: SIZE,
    count: COUNT,
    images: Float32Array.from({ length: COUNT * SIZE * SIZE * 3 }, () => rng.next()),
    masks: Float32Array.from({ length: COUNT * SIZE * SIZE }, (_, i) => {
      const [image, y, x] = [Math.floor(i / (SIZE * SIZE)), Math.floor(i / SIZE) % SIZE, i % SIZE];
      const inHole = image === 0 ? y >= 2 + b && y < 30 && x >= 3 && x < 31 - b : y >= 6 || x >= 6;
      return inHole || rng.next() < 0.3 ? 0 : 1;
    }),
  }));
}

/** The updated mask after the last encoder layer (pconv), to check that holes reach it. */
function bottleneckMask(net: InpaintingUNet, input: tf.Tensor4D, mask: tf.Tensor4D): Float32Array {
  return tf.tidy(() => {
    let segment = { x: input, mask };
    for (const block of net.encoder) {
      const [x, m] = block.conv.apply([segment]);
      segment = { x, mask: m };
    }
    return segment.mask.dataSync() as Float32Array;
  });
}

interface StepRecord {
  readonly tensors: Map<string, Float32Array>;
  readonly bottleneck: Float32Array;
  readonly losses: LossValues[];
}

/** Inference, one loss's gradients (not applied), then two trainStep calls, from a fresh net. */
async function record(config: ExperimentConfig, kind: 'pconv' | 'conv', fullMasks: boolean): Promise<StepRecord> {
  const net = buildNetwork(config, kind);
  if (fullMasks) net.predict = (input, mask, training) => predictWithFullMasks(net, input, mask, training);
  const weights = weightMap(net);
  const trainable = new Map([...weights].filter(([, w]) => w.trainable).map(([key, w]) => [key, w.read() as tf.Variable]));
  const keyOf = new Map([...trainable].map(([key, v]) => [v.name, key]));
  const tensors = new Map<string, Float32Array>();
  let bottleneck: Float32Array = new Float32Array();
  const [first] = batches() as [ReturnType<typeof batches>[number]];
  tf.tidy(() => {
    const images = tf.tensor4d(first.images, [COUNT, SIZE, SIZE, 3]);
    const mask = tf.tensor4d(first.masks, [COUNT, SIZE, SIZE, 1]);
    const { input, mask: modelMask } = modelInputs(kind, images, mask, config.model);
    bottleneck = bottleneckMask(net, input, modelMask);
    tensors.set('inference', net.predict(input, modelMask, false).dataSync() as Float32Array);
    const { value, grads } = tf.variableGrads(
      () => inpaintingLoss(images, net.predict(input, modelMask, true), mask, config.loss).total,
      [...trainable.values()],
    );
    tensors.set('loss', value.dataSync() as Float32Array);
    for (const [name, grad] of Object.entries(grads)) tensors.set(`gradient ${keyOf.get(name) ?? name}`, grad.dataSync() as Float32Array);
  });
  const adam = new Adam(config.train?.phase1.learningRate ?? 0.002);
  const losses: LossValues[] = [];
  try {
    for (const batch of batches()) losses.push(await trainStep(net, kind, config, batch, trainable, adam));
    for (const [key, w] of weights) tensors.set(`weight ${key}`, w.read().dataSync() as Float32Array);
  } finally {
    adam.dispose();
    net.dispose();
  }
  return { tensors, bottleneck, losses };
}

/** Elements whose bits differ (so -0 against 0 counts, and NaN against NaN does not). */
function bitsDiffering(a: Float32Array, b: Float32Array | undefined): number {
  if (!b || a.length !== b.length) return Math.max(a.length, 1);
  const [x, y] = [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)];
  let count = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) count++;
  return count;
}

describe('one-channel masks per segment give the full-mask results bit for bit', () => {
  beforeAll(async () => {
    await setupBackend('cpu');
    await setupBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  test.each([
    ['cpu', 'pconv', 0.1],
    ['cpu', 'conv', 0],
    ['wasm', 'pconv', 0],
    ['wasm', 'conv', 0.1],
  ] as const)('%s, %s (tv weight %d): inference, loss, gradients, then two trainSteps: losses, weights and statistics', async (backend, kind, tv) => {
    await tf.setBackend(backend);
    const config = tinyConfig(tv);
    const before = tf.memory().numTensors;
    const reference = await record(config, kind, true);
    const actual = await record(config, kind, false);
    expect(tf.memory().numTensors).toBe(before);
    expect([...actual.tensors.keys()].sort()).toEqual([...reference.tensors.keys()].sort());
    // 6 convolutions + 4 batch norms: 6 x 2 + 4 x 2 trainable, 4 x 2 statistics.
    expect([...reference.tensors.keys()].filter((key) => key.startsWith('gradient '))).toHaveLength(20);
    expect([...reference.tensors.keys()].filter((key) => key.startsWith('weight '))).toHaveLength(28);
    for (const [key, want] of reference.tensors) expect(bitsDiffering(want, actual.tensors.get(key)), key).toBe(0);
    expect(actual.losses).toEqual(reference.losses);
    // The masks the wiring carries matter all the way down: holes and valid pixels at the bottleneck.
    if (kind === 'pconv') expect(new Set(actual.bottleneck)).toEqual(new Set([0, 1]));
    // The steps did something: the weights moved and the loss is a real number.
    expect(actual.losses[1]?.total).toBeGreaterThan(0);
    expect(actual.losses[1]?.total).not.toBe(actual.losses[0]?.total);
  });
});
