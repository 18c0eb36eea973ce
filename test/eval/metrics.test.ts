import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ssimSeparable } from '../../src/core/metrics/ssim-separable.js';
import { Rng } from '../../src/core/rng.js';
import { holeL1, imageMetrics, PSNR_CAP_DB, psnr, ssimGaussian } from '../../src/eval/metrics.js';
import { readMaskFloat, readRgb } from '../helpers/read-rgb.js';
import { repoRoot } from '../helpers/run-cli.js';

const fixtures = join(repoRoot, 'test/fixtures/metrics');

/**
 * Computed independently with scikit-image 0.19 (Debian python3-skimage) by
 * bench/peers/skimage_metrics.py on the fixture PNGs: structural_similarity(gaussian_weights=True,
 * sigma=1.5, use_sample_covariance=False, data_range=1.0, channel_axis=-1) and
 * peak_signal_noise_ratio(data_range=1.0); L1 with numpy.
 */
const SKIMAGE = {
  'a.png|b.png': { l1: 3.7959694989106763, l1Hole: 3.7930283224400894, psnr: 28.140743429185882, ssim: 0.9126021895128545 },
  'a.png|c.png': { l1: 26.890958605664483, l1Hole: 29.779956427015247, psnr: 9.804151976744567, ssim: 0.3426108340424294 },
  'b.png|c.png': { l1: 26.84226579520697, l1Hole: 29.896514161220043, psnr: 9.878090976612796, ssim: 0.36856626150842037 },
};

describe('metrics match scikit-image on real photo crops', () => {
  test.each(Object.entries(SKIMAGE))('%s', async (pair, expected) => {
    const [first, second] = pair.split('|') as [string, string];
    const a = await readRgb(join(fixtures, first));
    const b = await readRgb(join(fixtures, second));
    const mask = await readMaskFloat(join(fixtures, 'mask.png'));
    const m = imageMetrics(a.data, b.data, a.width, a.height, mask);
    // float32 inputs against skimage's float64: agreement to about 1e-8.
    expect(m.ssim).toBeCloseTo(expected.ssim, 7);
    expect(m.psnr).toBeCloseTo(expected.psnr, 5);
    expect(m.l1).toBeCloseTo(expected.l1, 4);
    expect(m.l1Hole).toBeCloseTo(expected.l1Hole, 4);
  });
});

describe('the separable SSIM used in evaluation', () => {
  test.each([
    [16, 16, 1],
    [40, 30, 2],
    [64, 23, 3],
  ])('equals ssim.js (the library reference) on random 8-bit %ix%i images (seed %i)', (width, height, seed) => {
    // 8-bit levels: ssim.js rounds its grey conversion to whole levels, as MATLAB's rgb2gray does.
    const rng = new Rng(seed);
    const a = Float32Array.from({ length: width * height * 3 }, () => rng.int(0, 255) / 255);
    const b = Float32Array.from(a, (v) => Math.min(255, Math.max(0, Math.round(v * 255) + rng.int(-50, 50))) / 255);
    expect(ssimSeparable(a, b, width, height)).toBeCloseTo(ssimGaussian(a, b, width, height), 7);
  });
});

describe('metric known answers', () => {
  test('PSNR of a uniform error of 0.1 is 20 dB; identical images are capped', () => {
    const a = new Float32Array(300).fill(0.5);
    const b = new Float32Array(300).fill(0.6);
    expect(psnr(a, b)).toBeCloseTo(20, 4);
    expect(psnr(a, a)).toBe(PSNR_CAP_DB);
  });

  test('hole L1 averages over hole pixels and channels only', () => {
    const a = new Float32Array([0, 0, 0, 1, 1, 1]);
    const b = new Float32Array([0.5, 0.5, 0.5, 0, 0, 0]);
    expect(holeL1(a, b, new Float32Array([1, 0]))).toBe(1);
    expect(holeL1(a, b, new Float32Array([0, 1]))).toBe(0.5);
    expect(holeL1(a, b, new Float32Array([1, 1]))).toBeUndefined();
  });

  test('SSIM of an image with itself is 1, and too small images are refused', () => {
    const img = Float32Array.from({ length: 16 * 16 * 3 }, (_, i) => (i % 7) / 7);
    expect(ssimGaussian(img, img, 16, 16)).toBeCloseTo(1, 12);
    expect(() => ssimGaussian(new Float32Array(10 * 10 * 3), new Float32Array(10 * 10 * 3), 10, 10)).toThrow(/at least 11x11/);
  });
});
