import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { parseConfig } from '../../src/core/config/parse-config.js';
import { buildNetwork } from '../../src/core/model/network.js';
import type { InpaintingUNet } from '../../src/core/model/unet.js';

/**
 * A small UNet of `kind` at `size` px with weights as training leaves them: no zero biases, no unit
 * batch-norm statistics (kernels keep their initialisation). `model` is the config's model section
 * as YAML flow keys, e.g. "levels: 3, baseChannels: 4, maxChannels: 16, head: none".
 */
export function trainedLookingUnet(kind: 'pconv' | 'conv', size: number, model: string): InpaintingUNet {
  const config = parseConfig(
    `name: t\nseed: 3\ndata: { root: data/photos, imageSize: ${size} }\nmasks: { border: { margin: 1 } }\nmodel: { ${model} }\nloss: { perceptual: 0, style: 0 }\n`,
    't.yaml',
    process.cwd(),
  );
  const net = buildNetwork(config, kind);
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

/** Images with structure; masks from all valid to all hole, holes touching the borders (the largest reaches the deepest level). */
export function structuredInputs(count: number, size: number): { images: Float32Array; masks: Float32Array } {
  const images = Float32Array.from({ length: count * size * size * 3 }, (_, i) => 0.5 + 0.45 * Math.sin(i * 0.37) * Math.cos(i * 0.011));
  const masks = new Float32Array(count * size * size).fill(1);
  for (let b = 0; b < count; b++) {
    const side = Math.round((b / Math.max(1, count - 1)) * size);
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) masks[b * size * size + ((y + b) % size) * size + x] = 0;
  }
  return { images, masks };
}

/** The largest absolute difference between two outputs of the same length. */
export function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}
