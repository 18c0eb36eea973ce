import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { readTorchStateDict } from '../../../src/core/io/torch-state-dict.js';
import { loadPublishedModel } from '../../../src/core/published/formats.js';
import { naotoPartialConv } from '../../../src/core/published/pytorch-pconv/naoto-pconv-layer.js';
import { NaotoArchitectureError, naotoUnetSpec } from '../../../src/core/published/pytorch-pconv/naoto-unet.js';
import { repoRoot } from '../../helpers/run-cli.js';
import { useTempDirs } from '../../helpers/temp-dir.js';
import { userErrorOf } from '../../helpers/user-error.js';

/** Written by test/fixtures/pytorch-pconv/make_pytorch_pconv_fixture.py with PyTorch. */
const fixtures = join(repoRoot, 'test/fixtures/pytorch-pconv');
interface Expected {
  readonly torch: string;
  readonly size: number;
  readonly count: number;
  readonly arrays: { readonly name: string; readonly shape: number[] }[];
  readonly files: Record<string, { readonly levels: number; readonly widths: number[]; readonly layout: string }>;
}
const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as Expected;
const arrays = new Map<string, Float32Array>();
{
  const bytes = readFileSync(join(fixtures, 'reference.f32'));
  let at = 0;
  for (const { name, shape } of expected.arrays) {
    const n = shape.reduce((a, b) => a * b, 1);
    arrays.set(name, new Float32Array(bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + at + 4 * n)));
    at += 4 * n;
  }
  if (at !== bytes.length) throw new Error('reference.f32 does not match expected.json');
}
const tempDir = useTempDirs();

describe.each(['wasm', 'cpu'] as const)('pytorch-pconv: naoto0804 PConvUNet checkpoints against PyTorch (%s)', (backend) => {
  beforeAll(async () => {
    await setupBackend(backend);
  });

  test.each(Object.keys(expected.files))('%s: predict equals the PyTorch forward, un-normalised and clipped, to 1e-4', async (name) => {
    const info = expected.files[name] as Expected['files'][string];
    const model = await loadPublishedModel('pytorch-pconv', join(fixtures, name));
    try {
      expect(model.format).toBe('pytorch-pconv');
      expect(model.sizeMultiple).toBe(2 ** info.levels);
      expect(model.description).toContain(`${info.levels} levels, widths ${info.widths.join('-')}`);
      const images = arrays.get('images') as Float32Array;
      const valid = arrays.get('valid') as Float32Array;
      const reference = arrays.get(name) as Float32Array;
      const ours = await model.predict(images, valid, expected.count, expected.size);
      expect(ours.length).toBe(reference.length);
      let worst = 0;
      let inside = 0;
      for (let i = 0; i < reference.length; i++) {
        const want = Math.min(1, Math.max(0, reference[i] as number));
        worst = Math.max(worst, Math.abs(want - (ours[i] as number)));
        if (want > 0 && want < 1) inside++;
      }
      expect(worst, `largest difference ${worst}`).toBeLessThan(1e-4);
      // The comparison means something: most pixels are not clipped.
      expect(inside / reference.length).toBeGreaterThan(0.8);
      // Noise in the holes does not reach the output: zeroing it changes nothing.
      const cleaned = images.map((v, i) => ((valid[Math.floor(i / 3)] as number) > 0 ? v : 0));
      const again = await model.predict(cleaned, valid, expected.count, expected.size);
      expect(Math.max(...again.map((v, i) => Math.abs(v - (ours[i] as number))))).toBeLessThan(1e-6);
      // One image at a time gives the same as the batch.
      const pixels = expected.size * expected.size;
      const second = await model.predict(images.subarray(3 * pixels), valid.subarray(pixels), 1, expected.size);
      expect(Math.max(...second.map((v, i) => Math.abs(v - (ours[3 * pixels + i] as number))))).toBeLessThan(1e-6);
    } finally {
      model.dispose();
    }
  });
});

describe('the naoto0804 partial conv layer', () => {
  beforeAll(async () => {
    await setupBackend('cpu');
  });

  test('divides by the mask sum over all channels and the window, zero where nothing is known', () => {
    // One input channel, 3x3 ones kernel, no bias: y = sum of known x / number of known in the window.
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const mask = tf.tensor4d([1, 0, 0, 0, 0, 0, 0, 0, 1], [1, 3, 3, 1]);
    const kernel = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
    const { y, mask: m } = naotoPartialConv([{ x, mask }], { kernel, bias: tf.tensor1d([0.5]), stride: 1 });
    // The centre sees 1 and 9 (2 known); the top-left corner sees 1 alone; the top-right corner's
    // window (rows 0-1, columns 1-2, the rest padding) holds no known pixel: 0, mask 0.
    const got = [...y.dataSync()];
    expect(got[4]).toBeCloseTo(10 / 2 + 0.5, 6);
    expect(got[0]).toBeCloseTo(1 + 0.5, 6);
    expect(got[2]).toBe(0);
    expect([...m.dataSync()]).toEqual([1, 1, 0, 1, 1, 1, 0, 1, 1]);
    // Two parts of 2 and 1 channels: a known pixel of the first counts twice.
    const a = tf.ones([1, 1, 1, 2]) as tf.Tensor4D;
    const b = tf.ones([1, 1, 1, 1]) as tf.Tensor4D;
    const both = naotoPartialConv(
      [
        { x: a, mask: tf.ones([1, 1, 1, 1]) as tf.Tensor4D },
        { x: b, mask: tf.zeros([1, 1, 1, 1]) as tf.Tensor4D },
      ],
      { kernel: tf.ones([1, 1, 3, 1]) as tf.Tensor4D, bias: null, stride: 1 },
    );
    expect(both.y.dataSync()[0]).toBeCloseTo(2 / 2, 6);
    tf.dispose([x, mask, kernel, y, m, a, b, both.y, both.mask]);
  });
});

describe('pytorch-pconv: files that are not such a checkpoint', () => {
  const legacy = join(fixtures, 'naoto-4level-legacy.pth');
  const zip = join(fixtures, 'naoto-3level-2018.pth');

  test('another architecture: the first missing or misshapen key is named', async () => {
    // torchvision's VGG16 (a state dict, but another network).
    const vgg = await userErrorOf(loadPublishedModel('pytorch-pconv', join(repoRoot, 'test/fixtures/vgg/vgg16-narrow.pth')));
    expect(vgg.code).toBe('MODEL_ARCHITECTURE_MISMATCH');
    expect(vgg.message).toContain('has no enc_1.conv.input_conv.weight');
    expect(vgg.message).toContain('features.0.weight');
  });

  test('a missing key is named: a legacy checkpoint with dec_1 renamed', async () => {
    // The legacy format has no checksums: the key's text in the pickle can be changed in place.
    const text = (await readFile(legacy)).toString('latin1');
    expect(text.split('dec_1.conv.input_conv.weight').length).toBe(2);
    const file = join(await tempDir(), 'renamed.pth');
    await writeFile(file, Buffer.from(text.replace('dec_1.conv.input_conv.weight', 'dec_1.conv.input_conv.weighx'), 'latin1'));
    const error = await userErrorOf(loadPublishedModel('pytorch-pconv', file));
    expect(error.code).toBe('MODEL_ARCHITECTURE_MISMATCH');
    expect(error.message).toContain(
      'renamed.pth is not the PConvUNet of naoto0804/pytorch-inpainting-with-partial-conv: it has no dec_1.conv.input_conv.weight',
    );
  });

  test('the architecture check names the first key that does not fit', async () => {
    const { shapes } = await readTorchStateDict(legacy, () => false);
    const spec = naotoUnetSpec(shapes);
    expect(spec.levels).toBe(4);
    expect(spec.encoders.map((e) => [e.name, e.kernel, e.outChannels, e.batchNorm, e.bias])).toEqual([
      ['enc_1', 7, 4, false, false],
      ['enc_2', 5, 8, true, false],
      ['enc_3', 5, 16, true, false],
      ['enc_4', 3, 16, true, false],
    ]);
    expect(spec.decoders.map((d) => [d.name, d.inChannels, d.outChannels, d.activation, d.bias])).toEqual([
      ['dec_4', 32, 16, 'leaky', false],
      ['dec_3', 24, 8, 'leaky', false],
      ['dec_2', 12, 4, 'leaky', false],
      ['dec_1', 7, 3, 'none', true],
    ]);
    const broken = (edit: (m: Map<string, readonly number[]>) => void): string => {
      const copy = new Map(shapes);
      edit(copy);
      try {
        naotoUnetSpec(copy);
      } catch (error) {
        expect(error).toBeInstanceOf(NaotoArchitectureError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(broken((m) => m.set('enc_3.conv.input_conv.weight', [16, 8, 5, 4]))).toBe(
      'enc_3.conv.input_conv.weight has shape [16, 8, 5, 4], not [out, 8, k, k] with k odd',
    );
    expect(broken((m) => m.set('dec_3.conv.input_conv.weight', [8, 20, 3, 3]))).toBe(
      'dec_3.conv.input_conv.weight has shape [8, 20, 3, 3], not [out, 24, k, k] with k odd',
    );
    expect(broken((m) => m.set('dec_1.conv.input_conv.weight', [1, 7, 3, 3]))).toBe(
      'dec_1.conv.input_conv.weight has shape [1, 7, 3, 3], not [3, 7, k, k] with k odd',
    );
    expect(broken((m) => m.delete('dec_2.bn.running_var'))).toBe('it has no dec_2.bn.running_var');
    expect(broken((m) => m.set('enc_2.conv.mask_conv.weight', [8, 4, 3, 3]))).toBe('enc_2.conv.mask_conv.weight has shape [8, 4, 3, 3], not [8, 4, 5, 5]');
    // A fifth encoder without its decoder.
    const deeper = (m: Map<string, readonly number[]>) => m.set('enc_5.conv.input_conv.weight', [16, 16, 3, 3]);
    expect(broken(deeper)).toBe('it has no enc_5.conv.mask_conv.weight');
    expect(broken((m) => deeper(m).set('enc_5.conv.mask_conv.weight', [16, 16, 3, 3]))).toBe('it has no dec_5.conv.input_conv.weight');
  });

  test('a truncated file is refused as such', async () => {
    for (const source of [legacy, zip]) {
      const bytes = await readFile(source);
      const file = join(await tempDir(), 'truncated.pth');
      await writeFile(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      const error = await userErrorOf(loadPublishedModel('pytorch-pconv', file));
      expect(error.code).toBe('MODEL_WEIGHTS_INVALID');
      expect(error.message).toContain('truncated.pth is not usable pytorch-pconv weights');
      expect(error.message).toMatch(/truncated|end of central directory|damaged/i);
    }
  });

  test('a file of another format is refused', async () => {
    const file = join(await tempDir(), 'weights.h5');
    await writeFile(file, Buffer.concat([Buffer.from('\x89HDF\r\n\x1a\n', 'latin1'), Buffer.alloc(64)]));
    const error = await userErrorOf(loadPublishedModel('pytorch-pconv', file));
    expect(error.code).toBe('MODEL_WEIGHTS_INVALID');
    expect(error.message).toContain('neither a zip archive');
  });
});
