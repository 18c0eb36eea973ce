import { describe, expect, test } from 'vitest';
import { compareRuns, scoredPairIds, sharedPairs } from '../../src/eval/run-comparison.js';
import { CompareSchema } from '../../src/protocol/compare.js';
import { syntheticRun } from '../helpers/synthetic-runs.js';
import { userErrorOf } from '../helpers/user-error.js';

const first = { binIndex: 0, border: 'no-border' } as const;
const firstBorder = { binIndex: 0, border: 'border' } as const;
const second = { binIndex: 1, border: 'no-border' } as const;

/**
 * A and B scored the same masks on the same images but in another order; B lacks pair s2 and has
 * s9 of its own. Shared: s0, s1 (first bin, no border) and s3 (second bin).
 */
const runA = syntheticRun('A', {
  pairs: [
    { stamp: 's0', ...first },
    { stamp: 's1', ...first },
    { stamp: 's2', ...firstBorder },
    { stamp: 's3', ...second },
  ],
  models: [
    { name: 'PConv', kind: 'pconv', psnr: [20, 22, 30, 25] },
    { name: 'Telea', kind: 'classical', psnr: [10, 10, 10, 10] },
  ],
});
const runB = syntheticRun('B', {
  pairs: [
    { stamp: 's1', ...first },
    { stamp: 's0', ...first },
    { stamp: 's3', ...second },
    { stamp: 's9', ...first },
  ],
  models: [{ name: 'PConv', kind: 'pconv', psnr: [23, 24, 24, 99] }],
  noHoles: [0],
});

describe('compareRuns', () => {
  test('finds the shared pairs by stamp, whatever their position in each run', () => {
    expect(sharedPairs([runA, runB])).toEqual({
      ids: ['s0', 's1', 's3'],
      kOf: [
        [0, 1, 3],
        [1, 0, 2],
      ],
      evaluated: [4, 4],
    });
  });

  test('summarises each run/model per bin on the shared pairs only (hand-computed)', () => {
    const compare = CompareSchema.parse(compareRuns({ runs: [runA, runB] }));
    expect(compare.sharedPairs).toBe(3);
    // s2 (the only border pair) is not shared: its cell is gone.
    expect(compare.groups).toEqual([
      { bin: '(0.01, 0.3]', binIndex: 0, border: 'no-border', pairs: 2 },
      { bin: '(0.3, 0.6]', binIndex: 1, border: 'no-border', pairs: 1 },
    ]);
    expect(compare.runs.map((r) => r.models.map((m) => m.label))).toEqual([['A/PConv', 'A/Telea'], ['B/PConv']]);
    const row = (label: string, binIndex: number) => compare.rows.find((r) => r.label === label && r.binIndex === binIndex);
    // A/PConv on s0, s1: 20 and 22: mean 21, sd sqrt(2), half-width t(0.975, 1) * sqrt(2) / sqrt(2) = 12.706.
    const a = row('A/PConv', 0)?.metrics.psnr;
    expect(a?.n).toBe(2);
    expect(a?.mean).toBe(21);
    expect(a?.std).toBeCloseTo(Math.SQRT2, 12);
    expect(a?.ci95[0]).toBeCloseTo(21 - 12.706, 12);
    expect(a?.ci95[1]).toBeCloseTo(21 + 12.706, 12);
    // B/PConv on the same two pairs (its k 1 and 0): 24 and 23.
    expect(row('B/PConv', 0)?.metrics.psnr.mean).toBe(23.5);
    // Not its own s9 (99): one pair in the second bin, 24; n 1 has a zero-width interval.
    expect(row('B/PConv', 1)?.metrics.psnr).toEqual({ n: 1, mean: 24, std: 0, ci95: [24, 24] });
    // Hole L1 of B's s1 (k 0) is absent (no holes): only s0 counts.
    expect(row('B/PConv', 0)?.metrics.l1Hole).toEqual({ n: 1, mean: 2.4, std: 0, ci95: [2.4, 2.4] });
  });

  test('pairs the same model across runs: later minus earlier, pair by pair (hand-computed)', () => {
    const compare = compareRuns({ runs: [runA, runB] });
    // Telea is in A only: no difference between runs for it.
    expect(new Set(compare.paired.map((p) => `${p.run}/${p.model} - ${p.against}/${p.model}`))).toEqual(new Set(['B/PConv - A/PConv']));
    const psnr = (binIndex: number) => compare.paired.find((p) => p.metric === 'psnr' && p.binIndex === binIndex)?.difference;
    // s0: 24 - 20 = 4, s1: 23 - 22 = 1: mean 2.5, sd 1.5 * sqrt(2), half-width 12.706 * 1.5.
    const d = psnr(0);
    expect(d?.n).toBe(2);
    expect(d?.mean).toBe(2.5);
    expect(d?.std).toBeCloseTo(1.5 * Math.SQRT2, 12);
    expect(d?.ci95[0]).toBeCloseTo(2.5 - 12.706 * 1.5, 12);
    expect(d?.ci95[1]).toBeCloseTo(2.5 + 12.706 * 1.5, 12);
    // s3: 24 - 25.
    expect(psnr(1)).toEqual({ n: 1, mean: -1, std: 0, ci95: [-1, -1] });
    // Hole L1: only s0 has a value in both (B's s1 has no holes): 2.4 - 2.0.
    expect(compare.paired.find((p) => p.metric === 'l1Hole' && p.binIndex === 0)?.difference.n).toBe(1);
    expect(compare.paired.find((p) => p.metric === 'l1Hole' && p.binIndex === 0)?.difference.mean).toBeCloseTo(0.4, 12);
  });

  test('says on which pairs it computed when the runs scored different pairs', () => {
    const compare = compareRuns({ runs: [runA, runB] });
    expect(compare.notes).toHaveLength(1);
    expect(compare.notes[0]).toMatch(/^The runs did not score the same pairs: mask sets differ \(A: sha256 \w{12}, B: sha256 \w{12}\)\. /);
    expect(compare.notes[0]).toContain('Every number here is on the 3 pairs they share (A: 3 of 4, B: 3 of 4).');
  });

  test('notes pairs that another run bins differently, and bins them as the first run does', () => {
    const moved = syntheticRun('C', {
      pairs: [
        { stamp: 's0', ...second },
        { stamp: 's1', ...first },
      ],
      models: [{ name: 'PConv', kind: 'pconv', psnr: [1, 2] }],
    });
    const compare = compareRuns({ runs: [runA, moved] });
    expect(compare.groups.map((g) => [g.binIndex, g.pairs])).toEqual([[0, 2]]);
    expect(compare.notes).toContain(
      '1 of the shared pairs fall in another bin or border subset in C (its bins, bin rule or border margin differ): every table bins them as A does.',
    );
  });

  test('seeds: the SD of the run means across seeds next to the difference between models, per seed and across seeds (hand-computed)', () => {
    const pairs = [
      { stamp: 'p0', ...first },
      { stamp: 'p1', ...first },
    ];
    const seeds = [
      { pconv: [20, 22], conv: [18, 18] },
      { pconv: [21, 23], conv: [19, 20] },
      { pconv: [19, 21], conv: [17, 17] },
    ].map(({ pconv, conv }, i) =>
      syntheticRun(`s${i + 1}`, {
        seed: i + 1,
        pairs,
        models: [
          { name: 'PConv', kind: 'pconv', psnr: pconv },
          { name: 'Conv (baseline)', kind: 'conv', psnr: conv },
        ],
      }),
    );
    const compare = CompareSchema.parse(compareRuns({ runs: seeds, seedGroups: [{ runs: [0, 1, 2], ignoredKeys: ['name'] }] }));
    expect(compare.notes).toEqual([]);
    const [group] = compare.seedGroups;
    expect(group?.runs).toEqual(['s1', 's2', 's3']);
    expect(group?.seeds).toEqual([1, 2, 3]);
    expect(group?.ignoredKeys).toEqual(['name']);
    const spread = (model: string) => group?.spread.find((s) => s.model === model && s.metric === 'psnr');
    // PConv's run means 21, 22, 20: mean 21, SD sqrt((0 + 1 + 1) / 2) = 1.
    expect(spread('PConv')).toMatchObject({ runMeans: [21, 22, 20], mean: 21, sd: 1 });
    // Conv's 18, 19.5, 17: mean 18.1667, SD sqrt(3.16667 / 2).
    expect(spread('Conv (baseline)')?.runMeans).toEqual([18, 19.5, 17]);
    expect(spread('Conv (baseline)')?.mean).toBeCloseTo(54.5 / 3, 12);
    expect(spread('Conv (baseline)')?.sd).toBeCloseTo(Math.sqrt(((18 - 54.5 / 3) ** 2 + (19.5 - 54.5 / 3) ** 2 + (17 - 54.5 / 3) ** 2) / 2), 12);
    // PConv - Conv per seed: mean(2, 4) = 3, mean(2, 3) = 2.5, mean(2, 4) = 3; across seeds mean 2.8333,
    // SD sqrt(1/12) = 0.288675, 95% half-width t(0.975, 2) * SD / sqrt(3) = 4.303 * 0.166667.
    const effect = group?.effects.find((e) => e.metric === 'psnr');
    expect(effect).toMatchObject({ model: 'PConv', against: 'Conv (baseline)', perSeed: [3, 2.5, 3] });
    expect(effect?.acrossSeeds.n).toBe(3);
    expect(effect?.acrossSeeds.mean).toBeCloseTo(8.5 / 3, 12);
    expect(effect?.acrossSeeds.std).toBeCloseTo(Math.sqrt(1 / 12), 12);
    expect(effect?.acrossSeeds.ci95[0]).toBeCloseTo(8.5 / 3 - (4.303 * Math.sqrt(1 / 12)) / Math.sqrt(3), 12);
    expect(effect?.acrossSeeds.ci95[1]).toBeCloseTo(8.5 / 3 + (4.303 * Math.sqrt(1 / 12)) / Math.sqrt(3), 12);
    // And the seeds against each other, model by model: s2/PConv - s1/PConv = 1 on both pairs.
    const between = compare.paired.find((p) => p.model === 'PConv' && p.run === 's2' && p.against === 's1' && p.metric === 'psnr');
    expect(between?.difference).toEqual({ n: 2, mean: 1, std: 0, ci95: [1, 1] });
  });

  test('refuses runs that share no pair, naming them and what each scored', async () => {
    const other = syntheticRun('D', { pairs: [{ stamp: 'x', ...first }], models: [{ name: 'PConv', kind: 'pconv', psnr: [1] }] });
    const error = await userErrorOf((async () => compareRuns({ runs: [runA, other] }))());
    expect(error.code).toBe('COMPARE_NO_SHARED_PAIRS');
    expect(error.message).toBe('the runs A, D share no (image, mask) pairs');
    expect(error.details[0]).toMatch(/^A \(\/runs\/A\): 4 pairs scored, 2 test images, mask set sha256 \w{12}$/);
    expect(error.hint).toContain('vary train.seed (not seed');
    expect(error.hint).toContain('evaluate the runs on one mask set');
  });

  test("names pairs by the run's own models, not by other tools' outputs; a pair that comes back is named twice", () => {
    const run = syntheticRun('E', {
      pairs: [
        { stamp: 'same', ...first },
        { stamp: 'same', ...first },
        { stamp: 'other', ...first },
      ],
      models: [
        { name: 'PConv', kind: 'pconv', psnr: [1, 2, 3] },
        { name: 'LaMa', kind: 'external', psnr: [1, 2, null] },
      ],
    });
    // Pair 2 lacks LaMa's score: not scored by every model.
    expect([...scoredPairIds(run)]).toEqual([
      ['same', 0],
      ['same#2', 1],
    ]);
    const external = { ...run, scores: new Map([...run.scores].map(([m, s]) => [m, new Map([...s].map(([k, v]) => [k, { ...v, stamp: `${m}${k}` }]))])) };
    // The external model's stamps differ; PConv's name the pairs.
    expect([...scoredPairIds(external).keys()]).toEqual(['PConv0', 'PConv1']);
  });
});
