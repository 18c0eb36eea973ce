import { describe, expect, test } from 'vitest';
import { chartColour } from '../../../src/eval/report/chart-colours.js';
import { type ComparisonChart, comparisonCharts } from '../../../src/eval/report/comparison-chart-data.js';
import { compareRuns } from '../../../src/eval/run-comparison.js';
import { type Compare, CompareSchema } from '../../../src/protocol/compare.js';
import { METRIC_NAMES } from '../../../src/protocol/results.js';
import { type SyntheticRunSpec, syntheticRun } from '../../helpers/synthetic-runs.js';

const first = { binIndex: 0, border: 'no-border' } as const;
const firstBorder = { binIndex: 0, border: 'border' } as const;
const second = { binIndex: 1, border: 'no-border' } as const;
const BINS = ['(0.01, 0.3]', '(0.3, 0.6]'];
/** t(0.975, 1): the half-width of a 95% interval of two values is 12.706 * |a - b| / 2. */
const T1 = 12.706;

/**
 * A and B scored the same four pairs: two in the first bin without border, one in the first bin
 * with border, one in the second bin without border (so the border subset has no second bin). B's
 * first two pairs have no holes: its hole L1 has no value in the first bin.
 */
const pairs: SyntheticRunSpec['pairs'] = [
  { stamp: 's0', ...first },
  { stamp: 's1', ...first },
  { stamp: 's2', ...firstBorder },
  { stamp: 's3', ...second },
];
const runA = syntheticRun('A', {
  pairs,
  models: [
    { name: 'PConv', kind: 'pconv', psnr: [20, 22, 30, 25] },
    { name: 'Telea', kind: 'classical', psnr: [10, 10, 10, 10] },
  ],
});
const runB = syntheticRun('B', { pairs, models: [{ name: 'PConv', kind: 'pconv', psnr: [23, 24, 28, 24] }], noHoles: [0, 1] });

const chartOf = (charts: readonly ComparisonChart[], id: string) => {
  const chart = charts.find((c) => c.id === id);
  if (!chart) throw new Error(`no chart ${id} among ${charts.map((c) => c.id).join(', ')}`);
  return chart;
};
const seriesOf = (chart: ComparisonChart, label: string) => {
  const series = chart.series.find((s) => s.label === label);
  if (!series) throw new Error(`no series ${label} in ${chart.id}`);
  return series;
};
const close = (actual: readonly (readonly [number, number] | null)[], expected: readonly (readonly [number, number] | null)[]) => {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((e, i) => {
    if (e === null) expect(actual[i]).toBeNull();
    else {
      expect(actual[i]?.[0]).toBeCloseTo(e[0], 12);
      expect(actual[i]?.[1]).toBeCloseTo(e[1], 12);
    }
  });
};

describe('comparisonCharts', () => {
  test("each run/model's mean and interval per bin (hand-computed), a chart per metric and subset, null where a run has no value in a bin", () => {
    const compare = CompareSchema.parse(compareRuns({ runs: [runA, runB] }));
    const charts = comparisonCharts(compare);
    expect(charts.filter((c) => c.kind === 'means').map((c) => c.id)).toEqual(METRIC_NAMES.flatMap((m) => [`means-${m}-no-border`, `means-${m}-border`]));
    const psnr = chartOf(charts, 'means-psnr-no-border');
    expect(psnr).toMatchObject({ kind: 'means', metric: 'psnr', border: 'no-border', seedGroup: null, bins: BINS, digits: 2, zeroLine: false });
    expect(psnr.heading).toBe('PSNR (dB), no border');
    expect(psnr.yTitle).toEqual(['PSNR (dB)', 'higher is better']);
    // A series per row of the metric table, in its order, each with its own colour.
    expect(psnr.series.map((s) => [s.label, s.colour])).toEqual([
      ['A/PConv', chartColour(0)],
      ['A/Telea', chartColour(1)],
      ['B/PConv', chartColour(2)],
    ]);
    // A/PConv: 20 and 22 in the first bin (mean 21, sd sqrt(2): half-width 12.706), 25 alone in the second.
    expect(seriesOf(psnr, 'A/PConv').means).toEqual([21, 25]);
    close(seriesOf(psnr, 'A/PConv').intervals, [
      [21 - T1, 21 + T1],
      [25, 25],
    ]);
    expect(seriesOf(psnr, 'B/PConv').means).toEqual([23.5, 24]);
    // The border subset has no pair in the second bin: the same x axis, no point there.
    const border = chartOf(charts, 'means-psnr-border');
    expect(border.bins).toEqual(BINS);
    expect(seriesOf(border, 'A/PConv').means).toEqual([30, null]);
    expect(seriesOf(border, 'A/PConv').intervals).toEqual([[30, 30], null]);
    // B's first-bin pairs have no holes: no hole L1 there, and no interval.
    const holes = chartOf(charts, 'means-l1Hole-no-border');
    expect(holes.yTitle).toEqual(['L1 in holes (x100)', 'lower is better']);
    expect(seriesOf(holes, 'B/PConv').means).toEqual([null, 2.4]);
    expect(seriesOf(holes, 'B/PConv').intervals).toEqual([null, [2.4, 2.4]]);
    expect(seriesOf(holes, 'B/PConv').noise).toBeUndefined();
  });

  test("every point is its table cell's number: the mean and interval of compare.rows for that run/model, metric, bin and subset", () => {
    const compare = compareRuns({ runs: [runA, runB] });
    for (const chart of comparisonCharts(compare).filter((c) => c.kind === 'means')) {
      for (const series of chart.series) {
        const cells = chart.bins.map((_, b) => compare.rows.find((r) => r.label === series.label && r.binIndex === b && r.border === chart.border));
        expect(series.means).toEqual(cells.map((r) => r?.metrics[chart.metric].mean ?? null));
        expect(series.intervals).toEqual(cells.map((r) => (r?.metrics[chart.metric].mean == null ? null : r.metrics[chart.metric].ci95)));
      }
    }
  });

  test('differences between runs: later minus earlier pair by pair (hand-computed), around 0, no seed band without seed groups', () => {
    const charts = comparisonCharts(compareRuns({ runs: [runA, runB] }));
    expect(charts.filter((c) => c.kind === 'between-runs').map((c) => c.id)).toEqual(
      METRIC_NAMES.flatMap((m) => [`between-runs-${m}-no-border`, `between-runs-${m}-border`]),
    );
    expect(charts.some((c) => c.kind === 'seeds')).toBe(false);
    const psnr = chartOf(charts, 'between-runs-psnr-no-border');
    expect(psnr).toMatchObject({ zeroLine: true, yTitle: ['PSNR (dB): later run − earlier', 'above 0: later run better'] });
    // Telea is in A only: PConv alone, B minus A.
    expect(psnr.series.map((s) => s.label)).toEqual(['B/PConv − A/PConv']);
    const [series] = psnr.series;
    // s0: 23 - 20 = 3, s1: 24 - 22 = 2 (mean 2.5, half-width 12.706 * 0.5); s3: 24 - 25.
    expect(series?.means).toEqual([2.5, -1]);
    close(series?.intervals ?? [], [
      [2.5 - T1 / 2, 2.5 + T1 / 2],
      [-1, -1],
    ]);
    expect(series?.noise).toEqual([null, null]);
    expect(chartOf(charts, 'between-runs-l1-no-border').yTitle).toEqual(['L1, whole image (x100): later run − earlier', 'below 0: later run better']);
  });

  test('one run: its models per bin, nothing between runs, no seeds', () => {
    const charts = comparisonCharts(compareRuns({ runs: [runA] }));
    expect(charts.map((c) => c.kind)).toEqual(Array(8).fill('means'));
    expect(chartOf(charts, 'means-psnr-no-border').series.map((s) => [s.label, s.means])).toEqual([
      ['A/PConv', [21, 25]],
      ['A/Telea', [10, 10]],
    ]);
  });

  test('a subset without any pair gets no chart', () => {
    const noBorder = syntheticRun('C', { pairs: [pairs[0], pairs[3]] as SyntheticRunSpec['pairs'], models: [{ name: 'PConv', kind: 'pconv', psnr: [1, 2] }] });
    expect(comparisonCharts(compareRuns({ runs: [noBorder] })).map((c) => c.id)).toEqual(METRIC_NAMES.map((m) => `means-${m}-no-border`));
  });

  describe('seed groups', () => {
    const seedPairs = [
      { stamp: 'p0', ...first },
      { stamp: 'p1', ...first },
    ];
    const seedRun = (name: string, pconv: number[], conv?: number[]) =>
      syntheticRun(name, {
        pairs: seedPairs,
        models: [{ name: 'PConv', kind: 'pconv', psnr: pconv }, ...(conv ? [{ name: 'Conv (baseline)', kind: 'conv' as const, psnr: conv }] : [])],
      });
    // As in run-comparison.test.ts: PConv's run means 21, 22, 20 (seed SD 1), PConv - Conv per seed 3, 2.5, 3.
    const seeds = [seedRun('s1', [20, 22], [18, 18]), seedRun('s2', [21, 23], [19, 20]), seedRun('s3', [19, 21], [17, 17])];
    const other = seedRun('other', [25, 25]);

    test("each seed group's difference between models: each seed's value, their mean and interval, and the seed SD of the difference as the band", () => {
      const compare = CompareSchema.parse(compareRuns({ runs: [...seeds, other], seedGroups: [{ runs: [0, 1, 2], ignoredKeys: [] }] }));
      const charts = comparisonCharts(compare);
      expect(charts.filter((c) => c.kind === 'seeds').map((c) => c.id)).toEqual(METRIC_NAMES.map((m) => `seeds-1-${m}-no-border`));
      const psnr = chartOf(charts, 'seeds-1-psnr-no-border');
      // Every shared pair is in the first bin: one bin on the axis.
      expect(psnr).toMatchObject({ seedGroup: 0, zeroLine: true, bins: [BINS[0]], yTitle: ['PSNR (dB): PConv − other', 'above 0: PConv better'] });
      expect(psnr.description).toBe('PConv minus each other model over the seeds s1, s2, s3');
      expect(psnr.series.map((s) => [s.label, s.colour])).toEqual([['PConv − Conv (baseline)', chartColour(0)]]);
      const [effect] = psnr.series;
      expect(effect?.perSeed).toEqual([[3, 2.5, 3]]);
      expect(effect?.means).toHaveLength(1);
      expect(effect?.means[0]).toBeCloseTo(8.5 / 3, 12);
      // SD of 3, 2.5, 3: sqrt(1/12); 95% half-width t(0.975, 2) * SD / sqrt(3).
      expect(effect?.noise?.[0]).toBeCloseTo(Math.sqrt(1 / 12), 12);
      const half = (4.303 * Math.sqrt(1 / 12)) / Math.sqrt(3);
      close(effect?.intervals ?? [], [[8.5 / 3 - half, 8.5 / 3 + half]]);
    });

    test('between runs, the band is the seed-to-seed SD of a difference of two runs: sqrt(SD1^2 + SD2^2), a run without seeds taken to vary as its partner', () => {
      const compare = compareRuns({ runs: [...seeds, other], seedGroups: [{ runs: [0, 1, 2], ignoredKeys: [] }] });
      const psnr = chartOf(comparisonCharts(compare), 'between-runs-psnr-no-border');
      const conv = [18, 19.5, 17];
      const convMean = conv.reduce((a, b) => a + b) / 3;
      const convSd = Math.sqrt(conv.reduce((a, v) => a + (v - convMean) ** 2, 0) / 2);
      expect(psnr.series.map((s) => [s.label, s.noise?.[0]])).toEqual([
        // Two seeds of the group: PConv's seed SD 1 in each.
        ['s2/PConv − s1/PConv', Math.SQRT2],
        ['s3/PConv − s1/PConv', Math.SQRT2],
        // `other` is no seed of it: taken to vary as s1 does.
        ['other/PConv − s1/PConv', Math.SQRT2],
        ['s3/PConv − s2/PConv', Math.SQRT2],
        ['other/PConv − s2/PConv', Math.SQRT2],
        ['other/PConv − s3/PConv', Math.SQRT2],
        ['s2/Conv (baseline) − s1/Conv (baseline)', Math.SQRT2 * convSd],
        ['s3/Conv (baseline) − s1/Conv (baseline)', Math.SQRT2 * convSd],
        ['s3/Conv (baseline) − s2/Conv (baseline)', Math.SQRT2 * convSd],
      ]);
      // The difference itself: 25 - 21 over the pairs of s1 (5 and 3).
      expect(psnr.series[2]?.means[0]).toBe(4);
    });

    test('runs of two seed groups: each SD from its own group', () => {
      // Group 1: PConv's run means 21 and 22 (SD sqrt(0.5)); group 2: 24 and 27 (SD sqrt(4.5)).
      const runs = [seedRun('s1', [20, 22]), seedRun('s2', [21, 23]), seedRun('t1', [24, 24]), seedRun('t2', [27, 27])];
      const compare = compareRuns({
        runs,
        seedGroups: [
          { runs: [0, 1], ignoredKeys: [] },
          { runs: [2, 3], ignoredKeys: [] },
        ],
      });
      const charts = comparisonCharts(compare);
      const psnr = chartOf(charts, 'between-runs-psnr-no-border');
      expect(seriesOf(psnr, 't1/PConv − s1/PConv').noise?.[0]).toBeCloseTo(Math.sqrt(0.5 + 4.5), 12);
      expect(seriesOf(psnr, 's2/PConv − s1/PConv').noise?.[0]).toBeCloseTo(1, 12);
      // One model in each group: no difference between models, so no seed chart.
      expect(charts.some((c) => c.kind === 'seeds')).toBe(false);
    });
  });

  test('a comparison read back from compare.json whose rows lack a cell: no point there', () => {
    const compare: Compare = CompareSchema.parse(JSON.parse(JSON.stringify(compareRuns({ runs: [runA, runB] }))));
    const trimmed = { ...compare, rows: compare.rows.filter((r) => !(r.label === 'B/PConv' && r.binIndex === 1)) };
    expect(seriesOf(chartOf(comparisonCharts(trimmed), 'means-psnr-no-border'), 'B/PConv')).toMatchObject({
      means: [23.5, null],
      intervals: [expect.any(Array), null],
    });
  });
});
