import type { Compare, CompareSummary } from '../../protocol/compare.js';
import { METRIC_DIRECTION, METRIC_NAMES, type MetricName } from '../../protocol/results.js';
import { chartColour } from './chart-colours.js';
import { DIGITS, METRIC_LABELS } from './render-report.js';

/**
 * What the compare page's charts draw, from compare.json alone: pure, so that every point can be
 * checked against the table it illustrates. A chart is one metric and one border subset, the bins
 * on its x axis; each series is one row of the matching table (same label, same numbers, same
 * order), so its colour can be shown beside that row.
 */

type Border = Compare['groups'][number]['border'];
type SeedGroup = Compare['seedGroups'][number];
type Cell = { readonly binIndex: number; readonly border: Border };

export const COMPARISON_CHART_KINDS = ['means', 'between-runs', 'seeds'] as const;
export type ComparisonChartKind = (typeof COMPARISON_CHART_KINDS)[number];

/** One table row over the bins of one border subset. */
export interface IntervalSeries {
  /** The row's header text in its table. */
  readonly label: string;
  readonly colour: string;
  /** Per bin: the table cell's number (a mean), null where the cell shows "-". */
  readonly means: readonly (number | null)[];
  /** Per bin: its 95% interval, null where there is none. */
  readonly intervals: readonly (readonly [number, number] | null)[];
  /** Per bin (seed charts): the value in each run of the seed group, in the group's run order. */
  readonly perSeed?: readonly (readonly (number | null)[] | null)[];
  /** Per bin (differences): the seed-to-seed SD to draw as a band of +/- that much around 0; null: not known. */
  readonly noise?: readonly (number | null)[];
}

export interface ComparisonChart {
  /** Unique on the page, and a file name: "means-psnr-border", "seeds-1-l1-no-border". */
  readonly id: string;
  readonly kind: ComparisonChartKind;
  readonly metric: MetricName;
  readonly border: Border;
  /** Index into compare.seedGroups (seed charts), else null. */
  readonly seedGroup: number | null;
  /** The metric and subset: "PSNR (dB), no border". */
  readonly heading: string;
  /** What is drawn: "each run/model's mean and 95% interval". */
  readonly description: string;
  /** The y axis, a line each: the metric with its unit (and what is subtracted), then which way is better. */
  readonly yTitle: readonly string[];
  /** The x axis: every bin of the comparison, in order (the same axis for both subsets). */
  readonly bins: readonly string[];
  readonly series: readonly IntervalSeries[];
  /** Decimals the tables show for this metric. */
  readonly digits: number;
  /** Differences: 0 is drawn, and kept in view. */
  readonly zeroLine: boolean;
}

const subsetName = (border: Border) => (border === 'border' ? 'border' : 'no border');
const sameCell = (a: Cell, b: Cell) => a.binIndex === b.binIndex && a.border === b.border;

/** The metric tables' rows: each run's models, in compare.rows order. */
export function runModelRows(compare: Compare): { label: string; run: string; model: string }[] {
  return [...new Map(compare.rows.map((r) => [r.label, { label: r.label, run: r.run, model: r.model }])).values()];
}

/** The between-runs tables' rows: one per (model, later run, earlier run), in compare.paired order. */
export function betweenRunRows(compare: Compare): { model: string; run: string; against: string }[] {
  return [...new Map(compare.paired.map((p) => [JSON.stringify([p.model, p.run, p.against]), { model: p.model, run: p.run, against: p.against }])).values()];
}

/** A seed group's effect rows: one per (model, other model), in the group's order. */
export function seedEffectRows(group: SeedGroup): { model: string; against: string }[] {
  return [...new Map(group.effects.map((e) => [JSON.stringify([e.model, e.against]), { model: e.model, against: e.against }])).values()];
}

function interval(s: CompareSummary | undefined): readonly [number, number] | null {
  const [lo, hi] = s?.ci95 ?? [null, null];
  return s?.mean === null || s?.mean === undefined || lo === null || hi === null ? null : [lo, hi];
}

/** Which way a metric is better: "higher is better". */
function better(metric: MetricName): string {
  return METRIC_DIRECTION[metric] === 'lower' ? 'lower is better' : 'higher is better';
}

/** Where a difference "a minus b" favours a: below 0 for L1, above 0 for PSNR and SSIM. */
function favours(metric: MetricName, first: string): string {
  return `${METRIC_DIRECTION[metric] === 'lower' ? 'below' : 'above'} 0: ${first} better`;
}

/**
 * The seed-to-seed SD of model's mean in the seed group that holds `run`, for one cell and metric
 * (the seed tables' "seed SD"); null when the run is in no seed group or the SD is not known.
 */
function seedSd(compare: Compare, run: string, model: string, metric: MetricName, cell: Cell): number | null {
  for (const group of compare.seedGroups) {
    if (!group.runs.includes(run)) continue;
    const spread = group.spread.find((s) => s.model === model && s.metric === metric && sameCell(s, cell));
    if (spread?.sd !== null && spread?.sd !== undefined) return spread.sd;
  }
  return null;
}

/**
 * How much the seed alone moves a difference between two runs' means of a model: sqrt(SD1^2 + SD2^2)
 * (two independent trainings), each SD from the run's seed group; a run outside any seed group is
 * taken to vary as much as the other. Null when neither run is in a seed group.
 */
export function betweenRunSeedNoise(compare: Compare, row: { model: string; run: string; against: string }, metric: MetricName, cell: Cell): number | null {
  const a = seedSd(compare, row.run, row.model, metric, cell);
  const b = seedSd(compare, row.against, row.model, metric, cell);
  if (a === null && b === null) return null;
  return Math.hypot(a ?? (b as number), b ?? (a as number));
}

/** Every chart of the page, in page order: each run's means, the differences between runs, then each seed group's. */
export function comparisonCharts(compare: Compare): ComparisonChart[] {
  const bins = [...new Map(compare.groups.map((g) => [g.binIndex, g.bin])).entries()].sort((a, b) => a[0] - b[0]);
  const borders = (['no-border', 'border'] as const).filter((border) => compare.groups.some((g) => g.border === border));
  const cells = (border: Border) => bins.map(([binIndex]) => ({ binIndex, border }));
  const base = (metric: MetricName, border: Border) => ({
    metric,
    border,
    heading: `${METRIC_LABELS[metric]}, ${subsetName(border)}`,
    bins: bins.map(([, bin]) => bin),
    digits: DIGITS[metric],
  });
  const charts: ComparisonChart[] = [];

  const rows = runModelRows(compare);
  for (const metric of METRIC_NAMES) {
    for (const border of borders) {
      charts.push({
        ...base(metric, border),
        id: `means-${metric}-${border}`,
        kind: 'means',
        seedGroup: null,
        description: "each run/model's mean and 95% interval",
        yTitle: [METRIC_LABELS[metric], better(metric)],
        zeroLine: false,
        series: rows.map((row, i) => {
          const summaries = cells(border).map((cell) => compare.rows.find((r) => r.label === row.label && sameCell(r, cell))?.metrics[metric]);
          return { label: row.label, colour: chartColour(i), means: summaries.map((s) => s?.mean ?? null), intervals: summaries.map(interval) };
        }),
      });
    }
  }

  const pairs = betweenRunRows(compare);
  if (pairs.length > 0) {
    for (const metric of METRIC_NAMES) {
      for (const border of borders) {
        charts.push({
          ...base(metric, border),
          id: `between-runs-${metric}-${border}`,
          kind: 'between-runs',
          seedGroup: null,
          description: 'the same model, later run minus earlier, pair by pair',
          yTitle: [`${METRIC_LABELS[metric]}: later run − earlier`, favours(metric, 'later run')],
          zeroLine: true,
          series: pairs.map((row, i) => {
            const summaries = cells(border).map(
              (cell) =>
                compare.paired.find((p) => p.model === row.model && p.run === row.run && p.against === row.against && p.metric === metric && sameCell(p, cell))
                  ?.difference,
            );
            return {
              label: `${row.run}/${row.model} − ${row.against}/${row.model}`,
              colour: chartColour(i),
              means: summaries.map((s) => s?.mean ?? null),
              intervals: summaries.map(interval),
              noise: cells(border).map((cell) => betweenRunSeedNoise(compare, row, metric, cell)),
            };
          }),
        });
      }
    }
  }

  compare.seedGroups.forEach((group, g) => {
    const effects = seedEffectRows(group);
    if (effects.length === 0) return;
    const reference = effects[0]?.model as string;
    for (const metric of METRIC_NAMES) {
      for (const border of borders) {
        charts.push({
          ...base(metric, border),
          id: `seeds-${g + 1}-${metric}-${border}`,
          kind: 'seeds',
          seedGroup: g,
          description: `${reference} minus each other model over the seeds ${group.runs.join(', ')}`,
          yTitle: [`${METRIC_LABELS[metric]}: ${reference} − other`, favours(metric, reference)],
          zeroLine: true,
          series: effects.map((row, i) => {
            const found = cells(border).map((cell) =>
              group.effects.find((e) => e.model === row.model && e.against === row.against && e.metric === metric && sameCell(e, cell)),
            );
            return {
              label: `${row.model} − ${row.against}`,
              colour: chartColour(i),
              means: found.map((e) => e?.acrossSeeds.mean ?? null),
              intervals: found.map((e) => interval(e?.acrossSeeds)),
              perSeed: found.map((e) => (e ? [...e.perSeed] : null)),
              // The seed SD of the difference itself: what changing the seed alone moved it by.
              noise: found.map((e) => e?.acrossSeeds.std ?? null),
            };
          }),
        });
      }
    }
  });
  return charts;
}
