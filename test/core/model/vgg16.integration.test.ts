import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import h5wasm from 'h5wasm/node';
import { beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { inpaintingLoss } from '../../../src/core/model/inpainting-loss.js';
import { loadVgg16Weights } from '../../../src/core/model/load-vgg16-weights.js';
import { preprocessForVgg, vgg16FeatureExtractor } from '../../../src/core/model/vgg16-features.js';
import { Rng } from '../../../src/core/rng.js';
import { fakeVgg16, writeKerasH5, writeTfjsModel } from '../../helpers/fake-vgg16.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();
const weights = fakeVgg16(16);

beforeAll(async () => {
  await setupBackend('wasm');
});

describe('loadVgg16Weights', () => {
  test("reads Keras' HDF5 layout and a TensorFlow.js model to the same weights", async () => {
    const dir = await tempDir();
    await writeKerasH5(join(dir, 'vgg16.h5'), weights);
    const fromH5 = await loadVgg16Weights(join(dir, 'vgg16.h5'));
    const fromTfjs = await loadVgg16Weights(await writeTfjsModel(dir, weights));
    for (const [name, w] of weights) {
      expect(fromH5.get(name as never)?.kernel).toEqual(w.kernel);
      expect(fromH5.get(name as never)?.bias).toEqual(w.bias);
      expect(fromTfjs.get(name as never)?.kernel).toEqual(w.kernel);
    }
  });

  test('missing, foreign and incomplete files are clear errors', async () => {
    const dir = await tempDir();
    await expect(loadVgg16Weights(join(dir, 'none.h5'))).rejects.toThrow(/VGG16 weights file .*none\.h5 does not exist/);
    await writeFile(join(dir, 'text.h5'), 'not hdf5');
    await expect(loadVgg16Weights(join(dir, 'text.h5'))).rejects.toThrow(/is not usable VGG16 weights: it is not an HDF5 file/);
    const partial = new Map([...weights].slice(0, 3));
    await writeKerasH5(join(dir, 'partial.h5'), partial);
    await expect(loadVgg16Weights(join(dir, 'partial.h5'))).rejects.toThrow(/it has no layer block2_conv2/);
    await h5wasm.ready;
    const wrong = new Map(
      [...weights].map(([n, w]) => [n, n === 'block1_conv1' ? { ...w, cout: 32, kernel: w.kernel.subarray(0, 9 * 3 * 32), bias: w.bias.subarray(0, 32) } : w]),
    );
    await writeKerasH5(join(dir, 'wrong.h5'), wrong);
    await expect(loadVgg16Weights(join(dir, 'wrong.h5'))).rejects.toThrow(/block1_conv1 holds 864 kernel and 32 bias values, not 3x3x3x64 and 64/);
  });
});

describe('vgg16FeatureExtractor', () => {
  test('preprocessing: caffe is BGR on 0..255 minus the mean pixel; torch is normalised RGB', () => {
    const red = tf.tensor4d([1, 0, 0], [1, 1, 1, 3]);
    const caffe = [...preprocessForVgg(red, 'caffe').dataSync()];
    expect(caffe[0]).toBeCloseTo(-103.939, 3);
    expect(caffe[1]).toBeCloseTo(-116.779, 3);
    expect(caffe[2]).toBeCloseTo(255 - 123.68, 3);
    const torch = [...preprocessForVgg(red, 'torch').dataSync()];
    expect(torch[0]).toBeCloseTo((1 - 0.485) / 0.229, 4);
    expect(torch[2]).toBeCloseTo(-0.406 / 0.225, 4);
  });

  test('gives pool1..pool3 at 1/2, 1/4 and 1/8 size, equal to the convolutions done by hand', async () => {
    const loaded = await loadVgg16Weights(await writeTfjsModel(await tempDir(), weights));
    const extract = vgg16FeatureExtractor(loaded, 'torch');
    const rng = new Rng(1);
    const images = tf.tensor4d(
      Float32Array.from({ length: 2 * 16 * 16 * 3 }, () => rng.next()),
      [2, 16, 16, 3],
    );
    const [pool1, pool2, pool3] = extract(images) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    expect([pool1.shape, pool2.shape, pool3.shape]).toEqual([
      [2, 8, 8, 64],
      [2, 4, 4, 128],
      [2, 2, 2, 256],
    ]);
    const conv = (x: tf.Tensor4D, name: string) => {
      const w = weights.get(name) as { kernel: Float32Array; bias: Float32Array; cin: number; cout: number };
      return tf.relu(tf.add(tf.conv2d(x, tf.tensor4d(w.kernel, [3, 3, w.cin, w.cout]), 1, 'same'), tf.tensor1d(w.bias))) as tf.Tensor4D;
    };
    const x = tf.div(tf.sub(images, [0.485, 0.456, 0.406]), [0.229, 0.224, 0.225]) as tf.Tensor4D;
    const expected = tf.maxPool(conv(conv(x, 'block1_conv1'), 'block1_conv2'), 2, 2, 'valid');
    expect(tf.max(tf.abs(tf.sub(pool1, expected))).dataSync()[0]).toBeLessThan(1e-4);
    extract.dispose();
  });

  test('perceptual and style terms train through the frozen features: gradients reach the output only', async () => {
    const loaded = await loadVgg16Weights(await writeTfjsModel(await tempDir(), weights));
    const extract = vgg16FeatureExtractor(loaded, 'caffe');
    const rng = new Rng(2);
    const gt = tf.tensor4d(
      Float32Array.from({ length: 16 * 16 * 3 }, () => rng.next()),
      [1, 16, 16, 3],
    );
    const out = tf.variable(
      tf.tensor4d(
        Float32Array.from({ length: 16 * 16 * 3 }, () => rng.next()),
        [1, 16, 16, 3],
      ),
    );
    const mask = tf.tensor4d(
      Float32Array.from({ length: 16 * 16 }, (_, i) => (i % 5 === 0 ? 0 : 1)),
      [1, 16, 16, 1],
    );
    const weightsOnly = { valid: 0, hole: 0, perceptual: 0.05, style: 120, tv: 0 };
    const { value, grads } = tf.variableGrads(() => inpaintingLoss(gt, out as unknown as tf.Tensor4D, mask, weightsOnly, extract).total, [out]);
    expect(value.dataSync()[0]).toBeGreaterThan(0);
    const g = (Object.values(grads)[0] as tf.Tensor).dataSync();
    expect(g.every(Number.isFinite)).toBe(true);
    expect(Math.max(...g.map(Math.abs))).toBeGreaterThan(0);
    extract.dispose();
  });
});
