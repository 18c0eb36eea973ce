import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../../src/core/config/parse-config.js';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { createPredictor } from '../../../src/core/infer/predictor.js';
import type { InpaintingUNet } from '../../../src/core/model/unet.js';
import { buildNetwork } from '../../../src/core/train/trainer.js';

// model.padding: symmetric in the ONNX export: ONNX Runtime's output equals TensorFlow.js' (cpu
// backend) on small UNets of both kinds, as test/core/infer/predictor.test.ts checks for 'same'.
// The same weights under 'same' give other outputs, so the agreement pins the Conv `pads`.

beforeAll(async () => {
  await setupBackend('cpu');
});

function network(kind: 'pconv' | 'conv', padding: 'same' | 'symmetric', size: number, levels: number, head: 'none' | 'sigmoid'): InpaintingUNet {
  const config = parseConfig(
    `name: t\nseed: 3\ndata: { root: data/photos, imageSize: ${size} }\nmasks: { border: { margin: 1 } }\nmodel: { levels: ${levels}, baseChannels: 4, maxChannels: 16, head: ${head}, padding: ${padding} }\nloss: { perceptual: 0, style: 0 }\n`,
    't.yaml',
    process.cwd(),
  );
  const net = buildNetwork(config, kind);
  // Weights as training leaves them: no zero biases, no unit statistics.
  let seed = 10;
  for (const layer of net.layers()) {
    for (const w of layer.weights) {
      if (/kernel/.test(w.name)) continue;
      const low = /moving_variance|gamma/.test(w.name) ? 0.5 : -0.5;
      w.write(tf.randomUniform(w.shape as number[], low, low + 1, 'float32', seed++));
    }
  }
  return net;
}

/** Images with structure; masks from all valid to all hole, holes touching the borders. */
function inputs(count: number, size: number): { images: Float32Array; masks: Float32Array } {
  const images = Float32Array.from({ length: count * size * size * 3 }, (_, i) => 0.5 + 0.45 * Math.sin(i * 0.37) * Math.cos(i * 0.011));
  const masks = new Float32Array(count * size * size).fill(1);
  for (let b = 0; b < count; b++) {
    const side = Math.round((b / Math.max(1, count - 1)) * size);
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) masks[b * size * size + ((y + b) % size) * size + x] = 0;
  }
  return { images, masks };
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

async function predict(net: InpaintingUNet, kind: 'pconv' | 'conv', size: number, engine: 'tfjs' | 'onnx', count: number): Promise<Float32Array> {
  const { images, masks } = inputs(count, size);
  const predictor = await createPredictor(net, { kind, size, baselineFill: 'mean-pixel', engine });
  try {
    if (engine === 'onnx') expect(predictor.engine).toMatch(/^onnxruntime-node \d/);
    return await predictor.predict(images, masks, count);
  } finally {
    await predictor.dispose();
  }
}

describe('unetToOnnx with model.padding: symmetric', () => {
  test.each([
    ['pconv', 32, 4, 'none'],
    ['pconv', 16, 3, 'sigmoid'],
    ['conv', 32, 4, 'none'],
    ['conv', 16, 2, 'sigmoid'],
  ] as const)('%s, %i px, %i levels, head %s: ONNX Runtime equals TensorFlow.js', async (kind, size, levels, head) => {
    const count = 5;
    const net = network(kind, 'symmetric', size, levels, head);
    const same = network(kind, 'same', size, levels, head);
    try {
      const expected = await predict(net, kind, size, 'tfjs', count);
      const got = await predict(net, kind, size, 'onnx', count);
      // Float32 sums in another order: ~1e-6; the 'same' pads of a stride-2 layer: ~1e-1.
      expect(maxAbsDifference(got, expected)).toBeLessThan(2e-5);
      expect(got.filter((v) => v > 0.01 && v < 0.99).length).toBeGreaterThan(got.length / 50);
      // The same weights padded 'same' compute something else, in TensorFlow.js and in the export.
      const other = await predict(same, kind, size, 'tfjs', count);
      expect(maxAbsDifference(other, expected)).toBeGreaterThan(1e-2);
      expect(maxAbsDifference(await predict(same, kind, size, 'onnx', count), other)).toBeLessThan(2e-5);
    } finally {
      net.dispose();
      same.dispose();
    }
  });
});
