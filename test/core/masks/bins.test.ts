import { describe, expect, test } from 'vitest';
import { binLabel, binProblems, binsFromEdges, findBin, holeCountRange, inBin, PAPER_BIN_EDGES } from '../../../src/core/masks/bins.js';

const paper = binsFromEdges(PAPER_BIN_EDGES);

describe('bin edges', () => {
  test.each([
    [0.1, '(lo,hi]', false],
    [0.2, '(lo,hi]', true],
    [0.15, '(lo,hi]', true],
    [0.1, '[lo,hi)', true],
    [0.2, '[lo,hi)', false],
  ] as const)('ratio %f in (0.1, 0.2) under %s: %s', (ratio, rule, expected) => {
    expect(inBin(ratio, { lo: 0.1, hi: 0.2 }, rule)).toBe(expected);
  });

  test.each([
    [0, -1],
    [0.01, -1],
    [0.010001, 0],
    [0.1, 0],
    [0.100001, 1],
    [0.5, 4],
    [0.6, 5],
    [0.600001, -1],
    [1, -1],
  ])('paper bins, (lo,hi]: ratio %f is in bin %i', (ratio, index) => {
    expect(findBin(ratio, paper, '(lo,hi]')).toBe(index);
  });

  test('a ratio computed as a count over pixels lands on the closed edge exactly', () => {
    // 10/100 is the same double as 0.1, so (0.1, 0.2] excludes it and [0.1, 0.2) includes it.
    expect(findBin(10 / 100, paper, '(lo,hi]')).toBe(0);
    expect(findBin(10 / 100, paper, '[lo,hi)')).toBe(1);
  });

  test('labels show which end is closed', () => {
    expect(binLabel({ lo: 0.1, hi: 0.2 }, '(lo,hi]')).toBe('(0.1, 0.2]');
    expect(binLabel({ lo: 0.1, hi: 0.2 }, '[lo,hi)')).toBe('[0.1, 0.2)');
  });
});

describe('holeCountRange', () => {
  test('integer counts inside the bin', () => {
    expect(holeCountRange({ lo: 0.1, hi: 0.2 }, '(lo,hi]', 100)).toEqual({ min: 11, max: 20 });
    expect(holeCountRange({ lo: 0.1, hi: 0.2 }, '[lo,hi)', 100)).toEqual({ min: 10, max: 19 });
    expect(holeCountRange({ lo: 0.5, hi: 0.6 }, '(lo,hi]', 512 * 512)).toEqual({ min: 131073, max: 157286 });
  });

  test('a bin narrower than one pixel has no count', () => {
    expect(holeCountRange({ lo: 0.101, hi: 0.102 }, '(lo,hi]', 100)).toBeUndefined();
  });
});

describe('binProblems', () => {
  test('accepts the paper bins', () => {
    expect(binProblems(paper)).toEqual([]);
  });

  test('names overlapping, reversed and out-of-range bins', () => {
    const problems = binProblems([
      { lo: 0.1, hi: 0.3 },
      { lo: 0.2, hi: 0.4 },
      { lo: 0.5, hi: 0.45 },
      { lo: 0.9, hi: 1.5 },
    ]);
    expect(problems).toMatchInlineSnapshot(`
      [
        {
          "index": 1,
          "message": "bin [0.2, 0.4] overlaps or precedes bin 0 [0.1, 0.3]; list bins in increasing, non-overlapping order",
        },
        {
          "index": 2,
          "message": "bin [0.5, 0.45] is empty: lo must be below hi",
        },
        {
          "index": 3,
          "message": "bin [0.9, 1.5] lies outside (0, 1]; hole ratios are fractions",
        },
      ]
    `);
  });
});
