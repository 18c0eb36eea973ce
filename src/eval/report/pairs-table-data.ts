import { groupMasks } from '../../core/masks/manifest-counts.js';
import type { Drilldown } from '../../protocol/drilldown.js';
import type { MaskEntry } from '../../protocol/mask-manifest.js';
import { METRIC_DIRECTION, METRIC_NAMES, type MetricName } from '../../protocol/results.js';
import type { ImageMetrics } from '../metrics.js';
import { DIGITS, METRIC_LABELS } from './render-report.js';

/**
 * The table of every pair (pairs.html) as data its page's script sorts and pages: one compact
 * array per pair, so 12,000 pairs of three models stay near 1.5 MB. No I/O: the report writer
 * reads the files.
 *
 * A row is [k, group, holeRatio, mask file, in the drill-down (1) or not (0), then per model in
 * `models` order its metrics in `metrics` order]; a metric the model has no score for is null.
 * Values are rounded one digit past what the report shows, which is all a reader sorts by; pairs
 * with equal rounded values sort by k.
 */
export interface PairsTableData {
  readonly models: readonly string[];
  readonly metrics: readonly MetricName[];
  /** Column headers, and what each means in full (its title). */
  readonly labels: Readonly<Record<MetricName, string>>;
  readonly titles: Readonly<Record<MetricName, string>>;
  readonly digits: Readonly<Record<MetricName, number>>;
  readonly directions: Readonly<Record<MetricName, 'lower' | 'higher'>>;
  /** Bin and border subset of each group a row's `group` points to, in the report's order. */
  readonly groups: readonly { readonly bin: string; readonly border: 'no-border' | 'border' }[];
  /** The folder the mask files are named relative to, relative to the page. */
  readonly masksDir: string;
  readonly rows: readonly PairRow[];
}

export type PairRow = readonly (number | string | null)[];

const SHORT_LABELS: Record<MetricName, string> = { l1Hole: 'hole L1', l1: 'L1', psnr: 'PSNR', ssim: 'SSIM' };

/** Columns of a row before the metrics. */
export const PAIR_ROW_FIXED = ['k', 'group', 'holeRatio', 'mask', 'drilldown'] as const;

function rounded(value: number | undefined, metric: MetricName): number | null {
  if (value === undefined || !Number.isFinite(value)) return null;
  return Number(value.toFixed(DIGITS[metric] + 1));
}

export function pairsTableData(source: {
  readonly models: readonly string[];
  readonly entries: readonly MaskEntry[];
  readonly scores: ReadonlyMap<string, ReadonlyMap<number, { readonly metrics: ImageMetrics }>>;
  readonly drilldown?: Drilldown;
  readonly masksDir: string;
}): PairsTableData {
  const groups = groupMasks(source.entries);
  const groupOf = new Map<number, number>();
  for (const [g, group] of groups.entries()) for (const k of group.indices) groupOf.set(k, g);
  const drilled = new Set(source.drilldown?.pairs.map((p) => p.k) ?? []);
  const rows = source.entries.map((entry, k): PairRow => {
    const values = source.models.flatMap((model) => {
      const metrics = source.scores.get(model)?.get(k)?.metrics;
      return METRIC_NAMES.map((metric) => rounded(metrics?.[metric], metric));
    });
    return [k, groupOf.get(k) as number, Number(entry.holeRatio.toFixed(4)), entry.file, drilled.has(k) ? 1 : 0, ...values];
  });
  return {
    models: [...source.models],
    metrics: [...METRIC_NAMES],
    labels: SHORT_LABELS,
    titles: METRIC_LABELS,
    digits: DIGITS,
    directions: METRIC_DIRECTION,
    groups: groups.map((g) => ({ bin: g.bin, border: g.border })),
    masksDir: source.masksDir,
    rows,
  };
}
