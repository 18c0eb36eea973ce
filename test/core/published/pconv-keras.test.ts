import { copyFile, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { UserError } from '../../../src/core/errors.js';
import { loadPublishedModel } from '../../../src/core/published/formats.js';
import { type KerasLayer, readKerasWeights } from '../../../src/core/published/pconv-keras/keras-h5.js';
import { pconvKerasArchitecture } from '../../../src/core/published/pconv-keras/load.js';
import { pconvKeras } from '../../../src/core/published/pconv-keras/pconv-keras-layer.js';
import { fakeVgg16, writeKerasH5 } from '../../helpers/fake-vgg16.js';
import { fixtureInputs, fixtureOutput, PCONV_KERAS_FIXTURES } from './pconv-keras-fixture.js';

// Before any test module code makes tensors (see test/core/model/partial-conv.test.ts).
await setupBackend('cpu');

interface LayerCase {
  shape: [number, number, number, number];
  kernelShape: [number, number, number, number];
  stride: number;
  image: number[];
  mask: number[];
  kernel: number[];
  bias: number[];
  output: number[];
  outputMask: number[];
  outputShape: [number, number, number, number];
}
interface Expected {
  size: number;
  levels: number;
  layerCases: LayerCase[];
}

const expected = JSON.parse(await readFile(join(PCONV_KERAS_FIXTURES, 'expected.json'), 'utf8')) as Expected;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pconv-keras-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

describe("PConv-Keras' PConv2D (pconv-keras-layer) against the fixture's numpy version of the seed's formula", () => {
  test.each(expected.layerCases.map((c, i) => [i, c] as const))('case %i', async (_, c) => {
    const [, h, w, cin] = c.shape;
    const x = tf.tensor4d(c.image, c.shape);
    const m = tf.tensor4d(c.mask, c.shape);
    // Per-channel masks: one segment per channel, which also exercises the segment concatenation.
    const segments = Array.from({ length: cin }, (_, ch) => ({
      x: tf.slice(x, [0, 0, 0, ch], [1, h, w, 1]) as tf.Tensor4D,
      mask: tf.slice(m, [0, 0, 0, ch], [1, h, w, 1]) as tf.Tensor4D,
    }));
    const conv = { kernel: tf.tensor4d(c.kernel, c.kernelShape), bias: tf.tensor1d(c.bias) };
    const out = pconvKeras(segments, conv, c.stride);
    expect(out.x.shape).toEqual(c.outputShape);
    expect(maxAbsDiff(await out.x.data(), c.output)).toBeLessThan(1e-4);
    // The seed's mask has Cout identical channels; ours keeps one.
    const mask = await out.mask.data();
    const cout = c.outputShape[3];
    expect(Array.from(mask)).toEqual(c.outputMask.filter((_, i) => i % cout === 0));
    // The same through one segment with the full per-channel mask.
    const whole = pconvKeras([{ x, mask: m }], conv, c.stride);
    expect(maxAbsDiff(await whole.x.data(), c.output)).toBeLessThan(1e-4);
    tf.dispose([x, m, ...segments.flatMap((s) => [s.x, s.mask]), conv.kernel, conv.bias, out.x, out.mask, whole.x, whole.mask]);
  });
});

const MOVING_STATISTICS = new Set(['moving_mean', 'moving_variance']);

/**
 * The layout Keras' save_weights gives a multi_gpu_model around the UNet (the seed's PConvUnet with
 * gpus > 1): the parallel model's own layers (inputs, input slices, the merged output) hold no
 * weights; the UNet is one layer, model_1, listing the trainable weights of all its layers in layer
 * order and then the non-trainable ones (batch norm statistics), each named <inner layer>/<weight>:0.
 */
async function writeMultiGpuKerasH5(path: string, layers: readonly KerasLayer[]): Promise<void> {
  await h5wasm.ready;
  const file = new h5wasm.File(path, 'w');
  file.create_attribute('layer_names', ['inputs_img', 'inputs_mask', 'lambda_1', 'lambda_2', 'model_1', 'outputs_img']);
  for (const name of ['inputs_img', 'inputs_mask', 'lambda_1', 'lambda_2', 'outputs_img']) file.create_group(name);
  const model = file.create_group('model_1');
  const entries = layers.flatMap((layer) => layer.weights.map((weight) => ({ layer: layer.name, weight })));
  const ordered = [...entries.filter((e) => !MOVING_STATISTICS.has(e.weight.name)), ...entries.filter((e) => MOVING_STATISTICS.has(e.weight.name))];
  model.create_attribute(
    'weight_names',
    ordered.map((e) => `${e.layer}/${e.weight.name}:0`),
  );
  for (const layer of layers) {
    if (layer.weights.length === 0) continue;
    const inner = model.create_group(layer.name);
    for (const w of layer.weights) inner.create_dataset({ name: `${w.name}:0`, data: w.values, shape: [...w.shape] });
  }
  file.close();
}

describe('PConv-Keras weights (pconv-keras-h5)', () => {
  test('a reduced save_weights file gives the numpy reference output to 1e-4', async () => {
    const model = await loadPublishedModel('pconv-keras-h5', join(PCONV_KERAS_FIXTURES, 'pconv_keras_small.h5'));
    try {
      expect(model.format).toBe('pconv-keras-h5');
      expect(model.sizeMultiple).toBe(2 ** expected.levels);
      expect(model.description).toBe('PConv-Keras UNet (4 levels, 3-channel masks) from pconv_keras_small.h5');
      const { images, valid } = fixtureInputs(expected.size);
      const before = tf.memory().numTensors;
      const out = await model.predict(images, valid, 1, expected.size);
      expect(tf.memory().numTensors).toBe(before);
      const reference = await fixtureOutput();
      expect(maxAbsDiff(out, reference)).toBeLessThan(1e-4);
      // Two images in one call: each on its own.
      const two = await model.predict(Float32Array.of(...images, ...images), Float32Array.of(...valid, ...valid), 2, expected.size);
      expect(maxAbsDiff(two.subarray(out.length), reference)).toBeLessThan(1e-4);
      await expect(model.predict(images.subarray(0, 40 * 40 * 3), valid.subarray(0, 40 * 40), 1, 40)).rejects.toThrow(/multiple of 16, not 40/);
    } finally {
      model.dispose();
    }
  });

  test('a file saved from a multi-GPU model (the UNet nested as model_1, trainable weights first) gives the same layers and output', async () => {
    const flat = await readKerasWeights(join(PCONV_KERAS_FIXTURES, 'pconv_keras_small.h5'));
    const nested = join(dir, 'multi-gpu.h5');
    await writeMultiGpuKerasH5(nested, flat);
    const read = await readKerasWeights(nested);
    const weighted = (layers: readonly KerasLayer[]) => layers.filter((l) => l.weights.length > 0);
    expect(weighted(read).map((l) => [l.name, l.weights.map((w) => w.name)])).toEqual(weighted(flat).map((l) => [l.name, l.weights.map((w) => w.name)]));
    const model = await loadPublishedModel('pconv-keras-h5', nested);
    try {
      const { images, valid } = fixtureInputs(expected.size);
      const out = await model.predict(images, valid, 1, expected.size);
      expect(maxAbsDiff(out, await fixtureOutput())).toBeLessThan(1e-4);
    } finally {
      model.dispose();
    }
  });

  test('another architecture names the first misshapen layer', async () => {
    const load = loadPublishedModel('pconv-keras-h5', join(PCONV_KERAS_FIXTURES, 'pconv_keras_wrong.h5'));
    await expect(load).rejects.toBeInstanceOf(UserError);
    await expect(load).rejects.toThrow(
      /pconv_keras_wrong\.h5 is not PConv-Keras UNet weights: p_conv2d_23 \(decoder level 3\) has img_kernel \[3, 3, 25, 8\], expected \[k, k, 24, filters\] with odd k \(skip 8 \+ upsampled 16 channels\)/,
    );
    // Keras weights of another network (VGG16's layout): no PConv2D layer at all.
    const vgg = join(dir, 'vgg16.h5');
    await writeKerasH5(vgg, fakeVgg16(1));
    await expect(loadPublishedModel('pconv-keras-h5', vgg)).rejects.toThrow(
      /it has no PConv2D layers \(layers with an img_kernel weight; found block1_conv1, /,
    );
  });

  test('a truncated file says so (HDF5 superblock v0, as Keras writes, and v3)', async () => {
    const keras = join(dir, 'keras-default.h5');
    await copyFile(join(PCONV_KERAS_FIXTURES, 'pconv_keras_wrong.h5'), keras);
    expect((await readFile(keras))[8]).toBe(0); // superblock version 0
    await truncate(keras, 5000);
    await expect(loadPublishedModel('pconv-keras-h5', keras)).rejects.toThrow(/it is truncated: its HDF5 superblock says \d+ bytes, the file holds 5000/);

    const cut = join(dir, 'truncated.h5');
    await copyFile(join(PCONV_KERAS_FIXTURES, 'pconv_keras_small.h5'), cut);
    await truncate(cut, 60_000);
    const load = loadPublishedModel('pconv-keras-h5', cut);
    await expect(load).rejects.toBeInstanceOf(UserError);
    await expect(load).rejects.toThrow(
      /truncated\.h5 is not PConv-Keras UNet weights: it is truncated: its HDF5 superblock says \d+ bytes, the file holds 60000/,
    );
  });

  test('a file that is not HDF5, or missing, says so', async () => {
    const text = join(dir, 'weights.h5');
    await writeFile(text, 'not an HDF5 file, e.g. an HTML page from a download link');
    await expect(loadPublishedModel('pconv-keras-h5', text)).rejects.toThrow(
      /weights\.h5 is not PConv-Keras UNet weights: it is not an HDF5 file \(no HDF5 signature\)/,
    );
    await expect(loadPublishedModel('pconv-keras-h5', join(dir, 'none.h5'))).rejects.toThrow(/PConv-Keras weights file .*none\.h5 does not exist/);
  });
});

describe("the published file's layout (pconv_imagenet.26-1.07.h5, shapes only)", () => {
  test('8 levels, kernels 7,5,5,3..., 512 px multiple of 256', () => {
    const shapes: KerasLayer[] = [];
    const conv = (name: string, k: number, cin: number, cout: number, kernel = 'img_kernel'): KerasLayer => ({
      name,
      weights: [
        { name: kernel, shape: [k, k, cin, cout], values: new Float32Array() },
        { name: 'bias', shape: [cout], values: new Float32Array() },
      ],
    });
    const bn = (name: string, c: number): KerasLayer => ({
      name,
      weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((n) => ({ name: n, shape: [c], values: new Float32Array() })),
    });
    const enc: [number, number][] = [
      [7, 64],
      [5, 128],
      [5, 256],
      [3, 512],
      [3, 512],
      [3, 512],
      [3, 512],
      [3, 512],
    ];
    let id = 49;
    let cin = 3;
    enc.forEach(([k, c], i) => {
      shapes.push(conv(`p_conv2d_${id++}`, k, cin, c), { name: `activation_${i}`, weights: [] });
      if (i > 0) shapes.push(bn(`EncBN${i}`, c));
      cin = c;
    });
    const dec = [512, 512, 512, 512, 256, 128, 64, 3];
    const skips = [512, 512, 512, 512, 256, 128, 64, 3];
    dec.forEach((c, j) => {
      shapes.push({ name: `concatenate_${j}`, weights: [] }, conv(`p_conv2d_${id++}`, 3, (skips[j] as number) + cin, c));
      if (j < 7) shapes.push(bn(`batch_normalization_${j + 1}`, c));
      cin = c;
    });
    shapes.push(conv('outputs_img', 1, 3, 3, 'kernel'));
    const net = pconvKerasArchitecture('pconv_imagenet.26-1.07.h5', shapes);
    expect(net.encoder.map((l) => l.shape[0])).toEqual([7, 5, 5, 3, 3, 3, 3, 3]);
    expect(net.decoder.map((l) => l.shape[2])).toEqual([1024, 1024, 1024, 1024, 768, 384, 192, 67]);
    expect(net.decoder.map((l) => l.batchNorm !== undefined)).toEqual([true, true, true, true, true, true, true, false]);
    // Without EncBN3 it is another architecture, named.
    expect(() =>
      pconvKerasArchitecture(
        'x.h5',
        shapes.filter((l) => l.name !== 'EncBN3'),
      ),
    ).toThrow(/p_conv2d_52 \(encoder level 4\) has no batch norm after it \(the seed names it EncBN3\)/);
  });
});
