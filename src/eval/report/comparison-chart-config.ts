import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { withAlpha } from './chart-colours.js';
import type { ComparisonChart } from './comparison-chart-data.js';
import type { IntervalMarksOptions } from './interval-marks-plugin.js';

/** The size of a comparison chart on the page: two fit side by side (no border, border), their legend above them in HTML. */
export const COMPARISON_CHART_SIZE = { width: 560, height: 320 } as const;

/** Chart.js's legend: a line is its 12 px box or font plus 10 px padding; an item is the 40 px box, gaps and the text. */
const LEGEND_LINE_PX = 22;
const LEGEND_ITEM_PX = (chars: number) => 52 + 7.5 * chars;

/**
 * The height of a chart's PNG: the page's plot height plus room for its legend (the PNG stands alone,
 * so it draws its own), estimated from the longest label so that the plot is never squeezed by a
 * long legend (a line too many leaves white space, never a smaller plot).
 */
export function comparisonPngHeight(chart: ComparisonChart): number {
  const longest = Math.max(0, ...chart.series.map((s) => s.label.length));
  const perLine = Math.max(1, Math.floor(COMPARISON_CHART_SIZE.width / LEGEND_ITEM_PX(longest)));
  return COMPARISON_CHART_SIZE.height + 30 + LEGEND_LINE_PX * Math.ceil(chart.series.length / perLine);
}

type FloatingBar = [number, number] | null;

/**
 * A comparison chart as a Chart.js configuration (bar type, floating bars over the 95% intervals,
 * drawn by interval-marks-plugin.ts). Plain data, no functions: the page embeds it as JSON and the
 * PNG renderer uses it as is; both add the plugin. `standalone` (the PNG) draws the title and the
 * legend in the chart; on the page they are HTML (a caption, and one legend for a row of charts).
 */
export function comparisonChartConfig(chart: ComparisonChart, options: { readonly standalone: boolean }): ChartConfiguration<'bar', FloatingBar[]> {
  const datasets = chart.series.map((s) => {
    const dataset: ChartDataset<'bar', FloatingBar[]> & Record<string, unknown> = {
      label: s.label,
      // A mean without an interval still needs a bar for the plugin to mark it on.
      data: s.intervals.map((iv, i) => {
        const mean = s.means[i] ?? null;
        return iv ? [iv[0], iv[1]] : mean === null ? null : [mean, mean];
      }),
      backgroundColor: withAlpha(s.colour, 0.22),
      borderColor: s.colour,
      borderWidth: 1,
      borderSkipped: false,
      maxBarThickness: 28,
      // Read by the interval-marks plugin and the page's tooltips.
      means: s.means,
      intervals: s.intervals,
    };
    if (s.perSeed) dataset.perSeed = s.perSeed;
    if (s.noise) dataset.noise = s.noise;
    return dataset;
  });
  const marks: IntervalMarksOptions = { zeroLine: chart.zeroLine, digits: chart.digits };
  return {
    type: 'bar',
    data: { labels: [...chart.bins], datasets },
    options: {
      animation: false,
      responsive: false,
      scales: {
        x: { title: { display: true, text: 'hole-ratio bin' } },
        // grace: a mean at the very top or bottom (a one-pair cell has no interval) must not lose half its line at the edge.
        y: { beginAtZero: false, grace: '5%', ...yRange(chart), title: { display: true, text: [...chart.yTitle] } },
      },
      plugins: {
        title: { display: options.standalone, text: [chart.heading, chart.description] },
        legend: { display: options.standalone, position: 'bottom' },
        // Chart.js's types know only its own plugins' options.
        ...({ intervalMarks: marks } as object),
      },
    },
  };
}

/** Differences keep 0, the seed bands and each seed's dot in view (the bars alone set the rest of the range). */
function yRange(chart: ComparisonChart): { suggestedMin?: number; suggestedMax?: number } {
  if (!chart.zeroLine) return {};
  const values = chart.series.flatMap((s) => [
    ...s.means,
    ...(s.noise ?? []).flatMap((n) => (n === null ? [] : [n, -n])),
    ...(s.perSeed ?? []).flatMap((seeds) => seeds ?? []),
  ]);
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return { suggestedMin: Math.min(0, ...known), suggestedMax: Math.max(0, ...known) };
}
