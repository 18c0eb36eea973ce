import { describe, expect, test } from 'vitest';
import { benchConfig, defaultLevels, RANDOM_VGG_WEIGHTS, verifySize } from '../../src/bench/bench-config.js';
import { UserError } from '../../src/core/errors.js';

const base = { size: 64, batch: 4, loss: 'l1' as const, baseChannels: 64, maxChannels: 512, head: 'none' as const, seed: 0 };

describe('benchConfig', () => {
  test.each([
    [512, 8],
    [256, 7],
    [128, 6],
    [64, 5],
    [32, 4],
    [8, 2],
    [96, 5],
    [1024, 8],
  ])('the paper depth rule gives %i px %i levels (a 2x2 bottleneck, at most 8)', (size, levels) => {
    expect(defaultLevels(size)).toBe(levels);
  });

  test('l1 is valid + 6 x hole only; full is eq. 7 with VGG16 features', () => {
    const l1 = benchConfig(base);
    expect(l1.loss).toMatchObject({ valid: 1, hole: 6, perceptual: 0, style: 0, tv: 0 });
    expect(l1.loss.vgg).toBeUndefined();
    const full = benchConfig({ ...base, loss: 'full' });
    expect(full.loss).toMatchObject({ valid: 1, hole: 6, perceptual: 0.05, style: 120, tv: 0.1, vgg: { weights: RANDOM_VGG_WEIGHTS, preprocessing: 'torch' } });
    expect(full.model).toMatchObject({ levels: 5, baseChannels: 64, maxChannels: 512, head: 'none' });
    expect(full.train?.batchSize).toBe(4);
    expect(full.data.imageSize).toBe(64);
  });

  test.each([
    ['vgg16-397923af.pth', 'torch'],
    ['vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5', 'caffe'],
  ])('--vgg-weights %s gets the preprocessing an experiment config gives that file (%s)', (file, preprocessing) => {
    expect(benchConfig({ ...base, loss: 'full', vggWeights: file }).loss.vgg).toMatchObject({ preprocessing });
  });

  test.each([
    [{ size: 100, levels: 5 }, /--size 100 does not fit a UNet of 5 levels/],
    [{ size: 4 }, /--size 4 is below 8/],
    [{ batch: 0 }, /--batch must be a positive integer/],
    [{ baseChannels: 2.5 }, /--base-channels must be a positive integer/],
  ])('refuses %o with a message naming the flag', (bad, message) => {
    const call = () => benchConfig({ ...base, ...bad });
    expect(call).toThrow(UserError);
    expect(call).toThrow(message);
  });

  test('the cpu check runs at the smallest side the UNet accepts', () => {
    expect(verifySize(5)).toBe(32);
    expect(verifySize(2)).toBe(8);
  });
});
