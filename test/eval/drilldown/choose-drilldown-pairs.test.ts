import { describe, expect, test } from 'vitest';
import type { MaskGroup } from '../../../src/core/masks/manifest-counts.js';
import { chooseDrilldownPairs, chosenPairs, DRILLDOWN_RULE } from '../../../src/eval/drilldown/choose-drilldown-pairs.js';
import type { ImageMetrics } from '../../../src/eval/metrics.js';

const group = (binIndex: number, border: 'no-border' | 'border', indices: number[]): MaskGroup => ({ bin: `bin ${binIndex}`, binIndex, border, indices });

/** Metrics whose hole L1 is `l1Hole` (undefined: a pair without holes); the rest follow from it. */
const m = (l1Hole: number | undefined): ImageMetrics => ({ l1Hole, l1: (l1Hole ?? 0) / 10, psnr: 40 - (l1Hole ?? 0), ssim: 0.5 });

function scoresOf(values: Record<number, number | undefined>, count: number): (ImageMetrics | undefined)[] {
  const out: (ImageMetrics | undefined)[] = new Array(count);
  for (const [k, v] of Object.entries(values)) out[Number(k)] = m(v);
  return out;
}

describe('chooseDrilldownPairs', () => {
  test('known answers: the 3 highest hole L1 worst first, the 3 lowest best first, per model and group', () => {
    const g = group(0, 'no-border', [0, 1, 2, 3, 4, 5, 6, 7]);
    const perModel = new Map([
      ['A', scoresOf({ 0: 5, 1: 9, 2: 1, 3: 7, 4: 3, 5: 8, 6: 2, 7: 4 }, 8)],
      ['B', scoresOf({ 0: 1, 1: 2, 2: 3, 3: 4, 4: 5, 5: 6, 6: 7, 7: 8 }, 8)],
    ]);
    expect(chooseDrilldownPairs([g], perModel, ['A', 'B'])).toEqual([
      {
        group: g,
        picks: [
          { model: 'A', worst: [1, 5, 3], best: [2, 6, 4] },
          { model: 'B', worst: [7, 6, 5], best: [0, 1, 2] },
        ],
      },
    ]);
    expect(DRILLDOWN_RULE).toEqual({ metric: 'l1Hole', perSide: 3 });
  });

  test('equal scores go by pair index, lower first, at both ends; no pair is worst and best for one model', () => {
    const g = group(1, 'border', [10, 11, 12, 13, 14, 15, 16]);
    const perModel = new Map([['A', scoresOf({ 10: 2, 11: 2, 12: 2, 13: 2, 14: 2, 15: 2, 16: 2 }, 17)]]);
    expect(chooseDrilldownPairs([g], perModel, ['A'])[0]?.picks).toEqual([{ model: 'A', worst: [10, 11, 12], best: [13, 14, 15] }]);
    const mixed = new Map([['A', scoresOf({ 10: 3, 11: 1, 12: 3, 13: 1, 14: 2, 15: 3, 16: 1 }, 17)]]);
    expect(chooseDrilldownPairs([g], mixed, ['A'])[0]?.picks).toEqual([{ model: 'A', worst: [10, 12, 15], best: [11, 13, 16] }]);
  });

  test('a group of fewer than 2 x 3 scored pairs: the worse half (rounded up) is worst, the rest best, every pair once', () => {
    const perModel = new Map([['A', scoresOf({ 0: 4, 1: 1, 2: 9, 3: 6, 4: 2, 5: 5 }, 6)]]);
    const choose = (indices: number[]) => chooseDrilldownPairs([group(0, 'no-border', indices)], perModel, ['A'])[0]?.picks[0];
    expect(choose([0])).toEqual({ model: 'A', worst: [0], best: [] });
    expect(choose([0, 1])).toEqual({ model: 'A', worst: [0], best: [1] });
    expect(choose([0, 1, 2])).toEqual({ model: 'A', worst: [2, 0], best: [1] });
    expect(choose([0, 1, 2, 3, 4])).toEqual({ model: 'A', worst: [2, 3, 0], best: [1, 4] });
    expect(choose([0, 1, 2, 3, 4, 5])).toEqual({ model: 'A', worst: [2, 3, 5], best: [1, 4, 0] });
  });

  test('a model missing scores: only its scored pairs rank; none in a group, no picks there; a pair without holes is not ranked by hole L1', () => {
    const g0 = group(0, 'no-border', [0, 1, 2, 3]);
    const g1 = group(0, 'border', [4, 5]);
    const perModel = new Map([
      ['A', scoresOf({ 0: 1, 1: 2, 2: 3, 3: 4, 4: 5, 5: 6 }, 6)],
      // B scored two pairs of g0 (one without holes) and none of g1.
      ['B', scoresOf({ 1: 7, 3: undefined }, 6)],
    ]);
    const choices = chooseDrilldownPairs([g0, g1], perModel, ['A', 'B', 'C (no scores at all)']);
    expect(choices.map((c) => c.picks)).toEqual([
      [
        { model: 'A', worst: [3, 2], best: [0, 1] },
        { model: 'B', worst: [1], best: [] },
      ],
      [{ model: 'A', worst: [5], best: [4] }],
    ]);
    expect(chosenPairs(choices)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(chooseDrilldownPairs([g1], new Map([['B', perModel.get('B') ?? []]]), ['B'])).toEqual([]);
  });

  test('PSNR (higher is better) turns the ends round', () => {
    const g = group(0, 'no-border', [0, 1, 2, 3, 4, 5, 6]);
    const perModel = new Map([['A', scoresOf({ 0: 5, 1: 9, 2: 1, 3: 7, 4: 3, 5: 8, 6: 2 }, 7)]]);
    // psnr = 40 - l1Hole: the worst PSNR is the highest hole L1.
    expect(chooseDrilldownPairs([g], perModel, ['A'], { metric: 'psnr', perSide: 2 })[0]?.picks).toEqual([{ model: 'A', worst: [1, 5], best: [2, 6] }]);
  });

  test('every pair chosen among all pairs is chosen within its shard (k mod n), ties included: merge finds the pictures the shards wrote', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let trial = 0; trial < 200; trial++) {
      const count = 1 + Math.floor(random() * 30);
      const indices = Array.from({ length: count }, (_, k) => k);
      // Few distinct values, so that ties are common; some pairs unscored.
      const values = Object.fromEntries(indices.flatMap((k) => (random() < 0.15 ? [] : [[k, Math.floor(random() * 4)]])));
      const perModel = new Map([
        ['A', scoresOf(values, count)],
        ['B', scoresOf(Object.fromEntries(indices.map((k) => [k, Math.floor(random() * 5)])), count)],
      ]);
      const all = chosenPairs(chooseDrilldownPairs([group(0, 'no-border', indices)], perModel, ['A', 'B']));
      const shards = 1 + Math.floor(random() * 4);
      const inShards = new Set<number>();
      for (let s = 0; s < shards; s++) {
        const own = new Map([...perModel].map(([name, scores]) => [name, scores.map((v, k) => (k % shards === s ? v : undefined))]));
        for (const k of chosenPairs(chooseDrilldownPairs([group(0, 'no-border', indices)], own, ['A', 'B']))) inShards.add(k);
      }
      expect(
        all.filter((k) => !inShards.has(k)),
        `trial ${trial}`,
      ).toEqual([]);
    }
  });
});
