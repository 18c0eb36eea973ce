import { describe, expect, test } from 'vitest';
import { pairedDifference, summarize, tQuantile975 } from '../../src/eval/statistics.js';

describe('summarize', () => {
  test('mean, sample standard deviation and a t interval, by hand', () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sum of squares 32, sample variance 32/7.
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.n).toBe(8);
    expect(s.mean).toBe(5);
    expect(s.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    const half = (2.365 * Math.sqrt(32 / 7)) / Math.sqrt(8);
    expect(s.ci95[0]).toBeCloseTo(5 - half, 12);
    expect(s.ci95[1]).toBeCloseTo(5 + half, 12);
  });

  test('one value has no spread; none has no mean', () => {
    expect(summarize([3])).toEqual({ n: 1, mean: 3, std: 0, ci95: [3, 3] });
    expect(summarize([]).n).toBe(0);
  });

  test('t quantiles: table values and the large-sample limit', () => {
    expect(tQuantile975(1)).toBe(12.706);
    expect(tQuantile975(30)).toBe(2.042);
    expect(tQuantile975(120)).toBeCloseTo(1.9799, 3);
    expect(tQuantile975(100000)).toBeCloseTo(1.96, 3);
  });

  test('paired differences are taken pair by pair', () => {
    const d = pairedDifference([1, 2, 3], [0.5, 2.5, 1]);
    expect(d.mean).toBeCloseTo((0.5 - 0.5 + 2) / 3, 12);
    expect(() => pairedDifference([1], [1, 2])).toThrow(/1 and 2 values/);
  });
});
