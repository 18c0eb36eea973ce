import { describe, expect, test } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import { validationQuality } from '../../../src/core/train/validation-quality.js';
import { holeL1, imageMetrics, PSNR_CAP_DB, psnr } from '../../../src/eval/metrics.js';
import { scorePair } from '../../../src/eval/pair-scoring.js';

/** `count` pairs of `size` px: images, masks (a hole block per pair, one pair without holes when asked) and raw predictions outside [0, 1] too. */
function pairs(count: number, size: number, seed: number, options: { holeless?: number } = {}) {
  const rng = new Rng(seed);
  const images = Float32Array.from({ length: count * size * size * 3 }, () => rng.next());
  const outputs = Float32Array.from({ length: images.length }, () => rng.uniform(-0.1, 1.1));
  const clipped = Float32Array.from(outputs, (v) => Math.min(1, Math.max(0, v)));
  const masks = new Float32Array(count * size * size).fill(1);
  for (let i = 0; i < count; i++) {
    if (i === options.holeless) continue;
    const side = 3 + i;
    for (let y = 2; y < 2 + side; y++) for (let x = 1 + i; x < 1 + i + side; x++) masks[i * size * size + y * size + x] = 0;
  }
  return { images, masks, clipped };
}

const slice = (a: Float32Array, i: number, n: number) => a.slice(i * n, (i + 1) * n);

describe('validationQuality', () => {
  test('gives exactly what evaluation gives for the same pairs: the mean of scorePair over them', () => {
    const size = 24;
    const count = 5;
    const { images, masks, clipped } = pairs(count, size, 11, { holeless: 3 });
    const quality = validationQuality(images, masks, clipped, count, size);
    const scored = Array.from({ length: count }, (_, k) => {
      const job = {
        k,
        size,
        image: slice(images, k, size * size * 3),
        valid: slice(masks, k, size * size),
        outputs: [{ name: 'model', data: slice(clipped, k, size * size * 3) }],
        keepComposites: [],
      };
      return (scorePair(job, undefined).metrics[0] as { metrics: ReturnType<typeof imageMetrics> }).metrics;
    });
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(quality).toEqual({
      pairs: count,
      psnr: mean(scored.map((m) => m.psnr)),
      ssim: mean(scored.map((m) => m.ssim)),
      // Pair 3 has no hole: the hole L1 is the mean over the other four.
      l1Hole: mean(scored.flatMap((m) => (m.l1Hole === undefined ? [] : [m.l1Hole]))),
    });
    expect(scored[3]?.l1Hole).toBeUndefined();
  });

  test('known answers: a perfect prediction, and a prediction 0.25 off in the holes', () => {
    const size = 16;
    const { images, masks } = pairs(2, size, 5);
    expect(validationQuality(images, masks, images, 2, size)).toEqual({ pairs: 2, psnr: PSNR_CAP_DB, ssim: 1, l1Hole: 0 });
    // Known pixels come from the ground truth whatever the prediction says there.
    const off = Float32Array.from(images, (v, i) => (masks[Math.floor(i / 3)] === 0 ? (v >= 0.5 ? v - 0.25 : v + 0.25) : 1 - v));
    const quality = validationQuality(images, masks, off, 2, size);
    expect(quality.l1Hole).toBeCloseTo(25, 4);
    // MSE = 0.0625 x the hole share of the pixels (9 and 16 of 256 px).
    const expected = [9, 16].map((holes) => 10 * Math.log10(1 / ((0.0625 * holes) / (size * size))));
    expect(quality.psnr).toBeCloseTo((expected[0] as number) / 2 + (expected[1] as number) / 2, 4);
    expect(quality.ssim).toBeLessThan(1);
  });

  test('under 11 px there is no SSIM; PSNR and hole L1 are still imageMetrics arithmetic', () => {
    const size = 10;
    const { images, masks, clipped } = pairs(2, size, 7);
    const quality = validationQuality(images, masks, clipped, 2, size);
    expect(quality.ssim).toBeNull();
    const composite = (k: number) =>
      Float32Array.from(slice(images, k, size * size * 3), (v, i) =>
        (masks[k * size * size + Math.floor(i / 3)] as number) >= 0.5 ? v : (clipped[k * size * size * 3 + i] as number),
      );
    const image = (k: number) => slice(images, k, size * size * 3);
    const valid = (k: number) => slice(masks, k, size * size);
    expect(quality.psnr).toBe((psnr(composite(0), image(0)) + psnr(composite(1), image(1))) / 2);
    expect(quality.l1Hole).toBe(((holeL1(composite(0), image(0), valid(0)) as number) * 100 + (holeL1(composite(1), image(1), valid(1)) as number) * 100) / 2);
    // imageMetrics' single pass adds in the same order (checked on an 11 px pair, where it runs).
    const { images: i11, masks: m11, clipped: c11 } = pairs(1, 11, 8);
    const c = Float32Array.from(i11, (v, i) => ((m11[Math.floor(i / 3)] as number) >= 0.5 ? v : (c11[i] as number)));
    expect(imageMetrics(c, i11, 11, 11, m11).psnr).toBe(psnr(c, i11));
    expect(imageMetrics(c, i11, 11, 11, m11).l1Hole).toBe((holeL1(c, i11, m11) as number) * 100);
  });

  test('no hole in any pair: no hole L1; sizes that do not fit are refused', () => {
    const { images, clipped } = pairs(2, 12, 9);
    const masks = new Float32Array(2 * 12 * 12).fill(1);
    expect(validationQuality(images, masks, clipped, 2, 12)).toMatchObject({ pairs: 2, psnr: PSNR_CAP_DB, ssim: 1, l1Hole: null });
    expect(() => validationQuality(images, masks, clipped, 3, 12)).toThrow(RangeError);
  });
});
