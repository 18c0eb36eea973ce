import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { createPredictor } from '../../../src/core/infer/predictor.js';
import { modelInputs } from '../../../src/core/model/model-inputs.js';
import { InpaintingUNet } from '../../../src/core/model/unet.js';
import { maxAbsDifference, structuredInputs, trainedLookingUnet } from '../../helpers/trained-looking-unet.js';

// The ONNX Runtime path is checked against TensorFlow.js' cpu backend (plain JavaScript, the
// reference of every other check here) on small UNets of both kinds with trained-looking weights:
// batch norm with non-trivial moving statistics, biases, holes of every size, both heads.

beforeAll(async () => {
  await setupBackend('cpu');
});

function network(
  kind: 'pconv' | 'conv',
  head: 'none' | 'sigmoid',
  size: number,
  levels: number,
  fill: 'mean-pixel' | 'grey' = 'mean-pixel',
  maskChannel = false,
): InpaintingUNet {
  return trainedLookingUnet(
    kind,
    size,
    `levels: ${levels}, baseChannels: 4, maxChannels: 16, head: ${head}, baselineFill: ${fill}, baselineMaskChannel: ${maskChannel}`,
  );
}

function reference(
  net: InpaintingUNet,
  kind: 'pconv' | 'conv',
  fill: 'mean-pixel' | 'grey',
  images: Float32Array,
  masks: Float32Array,
  count: number,
  size: number,
  maskChannel = false,
): Float32Array {
  return tf.tidy(() => {
    const { input, mask } = modelInputs(kind, tf.tensor4d(images, [count, size, size, 3]), tf.tensor4d(masks, [count, size, size, 1]), {
      baselineFill: fill,
      baselineMaskChannel: maskChannel,
    });
    return tf.clipByValue(net.predict(input, mask, false), 0, 1).dataSync() as Float32Array;
  });
}

describe('createPredictor', () => {
  test.each([
    ['pconv', 'none', 32, 4, 'mean-pixel', false],
    ['pconv', 'sigmoid', 16, 3, 'mean-pixel', false],
    ['conv', 'none', 32, 4, 'mean-pixel', false],
    ['conv', 'sigmoid', 16, 2, 'grey', false],
    ['conv', 'none', 32, 4, 'mean-pixel', true],
    ['conv', 'sigmoid', 16, 2, 'grey', true],
  ] as const)(
    'onnx agrees with the cpu backend: %s, head %s, %i px, %i levels, fill %s, mask channel %s',
    async (kind, head, size, levels, fill, maskChannel) => {
      const net = network(kind, head, size, levels, fill, maskChannel);
      expect(net.inputChannels).toBe(maskChannel ? 4 : 3);
      const count = 5;
      const { images, masks } = structuredInputs(count, size);
      const expected = reference(net, kind, fill, images, masks, count, size, maskChannel);
      const predictor = await createPredictor(net, { kind, size, baselineFill: fill, engine: 'onnx' });
      try {
        expect(predictor.engine).toMatch(/^onnxruntime-node \d/);
        const got = await predictor.predict(images, masks, count);
        expect(got.length).toBe(count * size * size * 3);
        // Float32 sums in another order: ~1e-6; a wrong padding, mask count or layout: ~1e-1.
        expect(maxAbsDifference(got, expected)).toBeLessThan(2e-5);
        // Not everything is clipped to 0 or 1 (random weights without the sigmoid head push many
        // outputs out of range): hundreds of values inside (0, 1) take part in the check above.
        expect(got.filter((v) => v > 0.01 && v < 0.99).length).toBeGreaterThan(got.length / 50);
        // A batch of one gives the same image as inside a batch (the batch size is free).
        const one = await predictor.predict(images.subarray(0, size * size * 3), masks.subarray(0, size * size), 1);
        expect(maxAbsDifference(one, got.subarray(0, size * size * 3))).toBeLessThan(2e-5);
      } finally {
        await predictor.dispose();
        net.dispose();
      }
    },
  );

  test('tfjs runs the network on the active backend, as predict does', async () => {
    const net = network('pconv', 'none', 16, 3);
    const { images, masks } = structuredInputs(3, 16);
    const predictor = await createPredictor(net, { kind: 'pconv', size: 16, baselineFill: 'mean-pixel', engine: 'tfjs' });
    expect(predictor.engine).toBe('TensorFlow.js cpu');
    const before = tf.memory().numTensors;
    const got = await predictor.predict(images, masks, 3);
    expect(tf.memory().numTensors).toBe(before);
    expect([...got]).toEqual([...reference(net, 'pconv', 'mean-pixel', images, masks, 3, 16)]);
    net.dispose();
  });

  test('auto takes ONNX Runtime on a portable backend (cpu here)', async () => {
    const net = network('conv', 'none', 16, 2);
    const predictor = await createPredictor(net, { kind: 'conv', size: 16, baselineFill: 'mean-pixel', engine: 'auto' });
    expect(predictor.engine).toMatch(/^onnxruntime-node/);
    expect(predictor.notes).toEqual([]);
    await predictor.dispose();
    net.dispose();
  });

  test('a network ONNX Runtime cannot take: auto falls back to TensorFlow.js with a note, onnx is a clear error', async () => {
    const net = network('pconv', 'none', 16, 2);
    // PConv-Keras' variant is not exported (unet-to-onnx.ts); the UNet never builds it itself.
    (net.encoder[0]?.conv.layer as unknown as { kerasCompat: boolean }).kerasCompat = true;
    const auto = await createPredictor(net, { kind: 'pconv', size: 16, baselineFill: 'mean-pixel', engine: 'auto' });
    expect(auto.engine).toBe('TensorFlow.js cpu');
    expect(auto.notes.join()).toMatch(/ONNX Runtime did not take the network: .*kerasCompat/);
    await expect(createPredictor(net, { kind: 'pconv', size: 16, baselineFill: 'mean-pixel', engine: 'onnx' })).rejects.toMatchObject({
      code: 'ONNX_UNAVAILABLE',
      hint: expect.stringContaining('--inference tfjs'),
    });
    net.dispose();
  });

  test('a network that was never built (no weights) is refused by name, and auto says so', async () => {
    const net = new InpaintingUNet({ kind: 'pconv', levels: 2, baseChannels: 4, maxChannels: 8, head: 'none', seed: 1 });
    const auto = await createPredictor(net, { kind: 'pconv', size: 16, baselineFill: 'mean-pixel', engine: 'auto' });
    expect(auto.notes.join()).toMatch(/layers e1, .* have no weights yet/);
  });
});
