import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../../src/core/config/parse-config.js';
import { setupBackend } from '../../../src/core/engine/backend.js';
import {
  describeModelInput,
  fillPixelOf,
  IMAGENET_MEAN_PIXEL,
  inputChannelsOf,
  modelInputs,
  recordedBaselineInput,
} from '../../../src/core/model/model-inputs.js';
import { buildNetwork } from '../../../src/core/model/network.js';
import { configForCheckpoint } from '../../../src/core/train/trained-network.js';
import { repoRoot } from '../../helpers/run-cli.js';

beforeAll(async () => {
  await setupBackend('cpu');
});

const SIZE = 4;
/** Two images, every pixel a different value; the mask has holes at pixels 0, 5 and 10 of each. */
const images = Float32Array.from({ length: 2 * SIZE * SIZE * 3 }, (_, i) => 0.1 + (i % 37) / 50);
const masks = Float32Array.from({ length: 2 * SIZE * SIZE }, (_, p) => ([0, 5, 10].includes(p % (SIZE * SIZE)) ? 0 : 1));

function run(kind: 'pconv' | 'conv', baselineFill: 'mean-pixel' | 'grey', baselineMaskChannel: boolean) {
  return tf.tidy(() => {
    const { input, mask } = modelInputs(kind, tf.tensor4d(images, [2, SIZE, SIZE, 3]), tf.tensor4d(masks, [2, SIZE, SIZE, 1]), {
      baselineFill,
      baselineMaskChannel,
    });
    return { shape: input.shape, values: input.dataSync() as Float32Array, maskShape: mask.shape };
  });
}

function config(model: string) {
  return parseConfig(
    `name: t\nseed: 1\ndata: { root: ${resolve(repoRoot, 'data/photos')}, imageSize: 16 }\nmasks: { border: { margin: 1 } }\nmodel: { levels: 2, baseChannels: 4, maxChannels: 8${model} }\nloss: { perceptual: 0, style: 0 }\n`,
    't.yaml',
    repoRoot,
  );
}

describe('modelInputs', () => {
  test.each(['mean-pixel', 'grey'] as const)("the baseline's default (the paper's form): 3 channels, holes filled with %s, no mask channel", (fill) => {
    const { shape, values, maskShape } = run('conv', fill, false);
    expect(shape).toEqual([2, SIZE, SIZE, 3]);
    expect(maskShape).toEqual([2, SIZE, SIZE, 1]);
    const pixel = fillPixelOf(fill);
    for (let p = 0; p < 2 * SIZE * SIZE; p++) {
      for (let c = 0; c < 3; c++) {
        const expected = masks[p] === 0 ? pixel[c] : images[p * 3 + c];
        expect(values[p * 3 + c]).toBeCloseTo(expected as number, 6);
      }
    }
    expect(pixel).toEqual(fill === 'grey' ? [0.5, 0.5, 0.5] : IMAGENET_MEAN_PIXEL);
  });

  test('the baseline with model.baselineMaskChannel: the same filled image plus the mask as a fourth channel', () => {
    const three = run('conv', 'mean-pixel', false).values;
    const { shape, values } = run('conv', 'mean-pixel', true);
    expect(shape).toEqual([2, SIZE, SIZE, 4]);
    for (let p = 0; p < 2 * SIZE * SIZE; p++) {
      for (let c = 0; c < 3; c++) expect(values[p * 4 + c]).toBe(three[p * 3 + c]);
      expect(values[p * 4 + 3]).toBe(masks[p]);
    }
  });

  test('PConv: the image with holes zeroed, 3 channels, whatever the baseline settings', () => {
    for (const maskChannel of [false, true]) {
      const { shape, values } = run('pconv', 'grey', maskChannel);
      expect(shape).toEqual([2, SIZE, SIZE, 3]);
      for (let p = 0; p < 2 * SIZE * SIZE; p++) for (let c = 0; c < 3; c++) expect(values[p * 3 + c]).toBe(masks[p] === 0 ? 0 : (images[p * 3 + c] as number));
    }
  });

  test('input channels and the recorded description of each form', () => {
    expect([inputChannelsOf('pconv', false), inputChannelsOf('pconv', true), inputChannelsOf('conv', false), inputChannelsOf('conv', true)]).toEqual([
      3, 3, 3, 4,
    ]);
    expect(describeModelInput('pconv', { baselineFill: 'grey', baselineMaskChannel: true })).toEqual({ holes: 'zero', mask: 'partial-convolutions' });
    expect(describeModelInput('conv', { baselineFill: 'mean-pixel', baselineMaskChannel: false })).toEqual({ holes: 'mean-pixel', mask: 'none' });
    expect(describeModelInput('conv', { baselineFill: 'grey', baselineMaskChannel: true })).toEqual({ holes: 'grey', mask: 'channel' });
  });
});

describe("the baseline's input form in configs and checkpoints", () => {
  test('model.baselineMaskChannel defaults to false (the paper) and decides the UNet built from a config', () => {
    expect(config('').model.baselineMaskChannel).toBe(false);
    for (const [extra, kind, channels] of [
      ['', 'conv', 3],
      [', baselineMaskChannel: true', 'conv', 4],
      [', baselineMaskChannel: true', 'pconv', 3],
    ] as const) {
      const net = buildNetwork(config(extra), kind);
      expect(net.inputChannels).toBe(channels);
      // The first convolution's kernel is [7, 7, input channels, filters].
      expect(net.layers()[0]?.getWeights()[0]?.shape).toEqual([7, 7, channels, 4]);
      net.dispose();
    }
  });

  test("a checkpoint's recorded config decides how it is fed; one from before the key took the mask as a fourth channel", () => {
    const current = config('').model;
    expect(recordedBaselineInput({ model: { baselineFill: 'grey', baselineMaskChannel: false } }, current)).toEqual({
      baselineFill: 'grey',
      baselineMaskChannel: false,
    });
    expect(recordedBaselineInput({ model: { baselineFill: 'grey' } }, current)).toEqual({ baselineFill: 'grey', baselineMaskChannel: true });
    expect(recordedBaselineInput({}, current)).toEqual({ baselineFill: 'mean-pixel', baselineMaskChannel: true });
    // configForCheckpoint keeps the rest of the current config.
    const older = { meta: { config: { model: { levels: 2, baselineFill: 'mean-pixel' } } } } as unknown as Parameters<typeof configForCheckpoint>[1];
    const fed = configForCheckpoint(config(''), older);
    expect(fed.model).toEqual({ ...current, baselineMaskChannel: true, padding: 'same' });
    expect(fed.data).toEqual(config('').data);
  });

  test("a checkpoint's recorded padding decides how it runs, whatever the current config says (same weights shapes either way)", () => {
    const symmetric = { meta: { config: { model: { padding: 'symmetric', baselineMaskChannel: false } } } } as unknown as Parameters<
      typeof configForCheckpoint
    >[1];
    expect(configForCheckpoint(config(''), symmetric).model.padding).toBe('symmetric');
    const older = { meta: { config: { model: {} } } } as unknown as Parameters<typeof configForCheckpoint>[1];
    const current = config('');
    expect(configForCheckpoint({ ...current, model: { ...current.model, padding: 'symmetric' } }, older).model.padding).toBe('same');
  });
});
