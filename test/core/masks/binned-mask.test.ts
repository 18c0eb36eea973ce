import { describe, expect, test } from 'vitest';
import { UserError } from '../../../src/core/errors.js';
import { type BinTarget, generateBinnedMask } from '../../../src/core/masks/binned-mask.js';
import { binsFromEdges, inBin, PAPER_BIN_EDGES } from '../../../src/core/masks/bins.js';
import { borderSubsetOf, holeRatio } from '../../../src/core/masks/mask-image.js';
import { pconvKerasSource } from '../../../src/core/masks/pconv-keras-source.js';
import { STROKE_PRESETS, strokesSource } from '../../../src/core/masks/strokes-source.js';

const limits = { maxShapes: 5000, maxAttempts: 20 };
const paperBins = binsFromEdges(PAPER_BIN_EDGES);
const keras = (size: number) => pconvKerasSource({ sizeFactor: 0.03, minThickness: 3, lines: true, circles: true, ellipses: true }, size, size);

const cases = [64, 256].flatMap((size) =>
  paperBins.flatMap((bin, binIndex) => (['no-border', 'border'] as const).map((subset) => ({ size, bin, binIndex, subset }))),
);

describe('generateBinnedMask', () => {
  test.each(cases)('pconv-keras $size px, bin $binIndex ($bin.lo, $bin.hi], $subset: every mask lands in its bin and subset', ({ size, bin, subset }) => {
    const source = keras(size);
    const margin = size / 16;
    const target: BinTarget = { bin, rule: '(lo,hi]', subset, margin };
    let attempts = 0;
    for (let seed = 0; seed < 8; seed++) {
      const result = generateBinnedMask(source, size, size, target, seed, limits);
      const ratio = holeRatio(result.mask);
      expect(ratio).toBe(result.holeRatio);
      expect(inBin(ratio, bin, '(lo,hi]')).toBe(true);
      expect(borderSubsetOf(result.mask, margin)).toBe(subset);
      attempts += result.attempts;
    }
    // Steering, not rejection: almost every mask lands on its first attempt, rare bins included.
    expect(attempts).toBeLessThanOrEqual(10);
  });

  test.each(['thin', 'medium', 'thick'] as const)('strokes preset %s fills every paper bin in both subsets at 128 px', (preset) => {
    const source = strokesSource(STROKE_PRESETS[preset], 128, 128);
    for (const bin of paperBins) {
      for (const subset of ['no-border', 'border'] as const) {
        const result = generateBinnedMask(source, 128, 128, { bin, rule: '[lo,hi)', subset, margin: 6 }, 42, limits);
        expect(inBin(holeRatio(result.mask), bin, '[lo,hi)')).toBe(true);
        expect(borderSubsetOf(result.mask, 6)).toBe(subset);
      }
    }
  });

  test('hole ratios spread across the bin rather than piling up at its lower edge', () => {
    const bin = { lo: 0.3, hi: 0.4 };
    const ratios = Array.from(
      { length: 40 },
      (_, seed) => generateBinnedMask(keras(64), 64, 64, { bin, rule: '(lo,hi]', subset: 'border', margin: 4 }, seed, limits).holeRatio,
    );
    const upperHalf = ratios.filter((r) => r > 0.35).length;
    expect(upperHalf).toBeGreaterThan(8);
    expect(upperHalf).toBeLessThan(32);
  });

  test('the same seed gives the same pixels; another seed another mask', () => {
    const target: BinTarget = { bin: { lo: 0.2, hi: 0.3 }, rule: '(lo,hi]', subset: 'no-border', margin: 4 };
    const a = generateBinnedMask(keras(64), 64, 64, target, 7, limits);
    const b = generateBinnedMask(keras(64), 64, 64, target, 7, limits);
    const c = generateBinnedMask(keras(64), 64, 64, target, 8, limits);
    expect(b.mask.data).toEqual(a.mask.data);
    expect(c.mask.data).not.toEqual(a.mask.data);
  });

  test('a no-border bin that the frame leaves no room for is a clear error naming bin and generator', () => {
    const run = () => generateBinnedMask(keras(64), 64, 64, { bin: { lo: 0.5, hi: 0.6 }, rule: '(lo,hi]', subset: 'no-border', margin: 20 }, 1, limits);
    expect(run).toThrow(UserError);
    expect(run).toThrowErrorMatchingInlineSnapshot(
      `[UserError: mask bin (0.5, 0.6] (no-border) cannot be filled by generator pconv-keras at 64x64: a 20px frame leaves 576 px inside, fewer than the 2049 holes the bin needs]`,
    );
  });

  test('a bin no shape budget can reach is a clear error after bounded attempts', () => {
    const run = () =>
      generateBinnedMask(keras(64), 64, 64, { bin: { lo: 0.9, hi: 1 }, rule: '(lo,hi]', subset: 'border', margin: 4 }, 1, { maxShapes: 5, maxAttempts: 3 });
    expect(run).toThrowErrorMatchingInlineSnapshot(
      `[UserError: mask bin (0.9, 1] (border) cannot be filled by generator pconv-keras at 64x64: 3 attempts of up to 5 shape groups each did not land in it]`,
    );
  });

  test('a bin narrower than one pixel is unreachable', () => {
    expect(() => generateBinnedMask(keras(8), 8, 8, { bin: { lo: 0.1, hi: 0.105 }, rule: '(lo,hi]', subset: 'border', margin: 1 }, 1, limits)).toThrow(
      /no whole number of hole pixels/,
    );
  });
});
