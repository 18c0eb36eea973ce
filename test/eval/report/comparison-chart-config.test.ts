import { describe, expect, test } from 'vitest';
import { COMPARISON_CHART_SIZE, comparisonChartConfig, comparisonPngHeight } from '../../../src/eval/report/comparison-chart-config.js';
import type { ComparisonChart } from '../../../src/eval/report/comparison-chart-data.js';

/** A difference chart over two bins: one series with a seed band and each seed's value, one with a mean but no interval. */
const chart: ComparisonChart = {
  id: 'seeds-1-psnr-no-border',
  kind: 'seeds',
  metric: 'psnr',
  border: 'no-border',
  seedGroup: 0,
  heading: 'PSNR (dB), no border',
  description: 'PConv minus each other model over the seeds a, b',
  yTitle: ['PSNR (dB): PConv − other', 'above 0: PConv better'],
  bins: ['(0.01, 0.1]', '(0.1, 0.2]'],
  digits: 2,
  zeroLine: true,
  series: [
    { label: 'PConv − Conv', colour: '#1f77b4', means: [2, null], intervals: [[1, 3], null], perSeed: [[1.5, 2.5], null], noise: [0.7, null] },
    {
      label: 'PConv − Telea',
      colour: '#d62728',
      means: [4, 5],
      intervals: [null, [4.5, 5.5]],
      perSeed: [
        [4, 4],
        [6, 4],
      ],
      noise: [4.5, null],
    },
  ],
};

describe('comparisonChartConfig', () => {
  test('floating bars over the intervals, a zero-height bar where a mean has no interval, and what the plugin draws carried on each dataset', () => {
    const config = comparisonChartConfig(chart, { standalone: false });
    expect(config.type).toBe('bar');
    expect(config.data.labels).toEqual(chart.bins);
    const [first, second] = config.data.datasets as unknown as Record<string, unknown>[];
    expect(first).toMatchObject({
      label: 'PConv − Conv',
      data: [[1, 3], null],
      borderColor: '#1f77b4',
      backgroundColor: 'rgba(31, 119, 180, 0.22)',
      means: [2, null],
      intervals: [[1, 3], null],
      perSeed: [[1.5, 2.5], null],
      noise: [0.7, null],
    });
    expect(second).toMatchObject({
      data: [
        [4, 4],
        [4.5, 5.5],
      ],
      borderColor: '#d62728',
    });
    // On the page the caption and one HTML legend per row of charts say it.
    expect(config.options?.plugins?.title?.display).toBe(false);
    expect(config.options?.plugins?.legend?.display).toBe(false);
    expect((config.options?.plugins as Record<string, unknown> | undefined)?.intervalMarks).toEqual({ zeroLine: true, digits: 2 });
    // Plain data: the page embeds it as JSON.
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
  });

  test('a difference chart keeps 0, every seed band and every seed in view; a chart of means lets the bars set the range', () => {
    const y = comparisonChartConfig(chart, { standalone: true }).options?.scales?.y as Record<string, unknown>;
    // Lowest: the band -4.5; highest: the seed at 6.
    expect(y).toMatchObject({ beginAtZero: false, suggestedMin: -4.5, suggestedMax: 6, title: { display: true, text: chart.yTitle } });
    const means = comparisonChartConfig({ ...chart, kind: 'means', zeroLine: false }, { standalone: true }).options?.scales?.y as Record<string, unknown>;
    expect(means.suggestedMin).toBeUndefined();
    expect(means.suggestedMax).toBeUndefined();
  });

  test('standalone (the PNG): the title and the legend in the chart, which is tall enough for the legend', () => {
    const config = comparisonChartConfig(chart, { standalone: true });
    expect(config.options?.plugins?.title).toMatchObject({ display: true, text: [chart.heading, chart.description] });
    expect(config.options?.plugins?.legend).toMatchObject({ display: true, position: 'bottom' });
    // Two short labels share one legend line; 46 characters fill a line alone.
    expect(comparisonPngHeight(chart)).toBe(COMPARISON_CHART_SIZE.height + 30 + 22);
    const long = { label: 'wider/Conv (baseline) − seed3/Conv (baseline)', colour: '#000000', means: [], intervals: [] };
    expect(comparisonPngHeight({ ...chart, series: Array(18).fill(long) })).toBe(COMPARISON_CHART_SIZE.height + 30 + 22 * 18);
  });
});
