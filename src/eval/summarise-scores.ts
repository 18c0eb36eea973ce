import { groupMasks } from '../core/masks/manifest-counts.js';
import type { MaskEntry } from '../protocol/mask-manifest.js';
import { METRIC_NAMES, type MetricName, type Results } from '../protocol/results.js';
import { MODEL_NAMES } from '../protocol/scorer-names.js';
import type { ImageMetrics } from './metrics.js';
import { pairedDifference, type Summary, summarize } from './statistics.js';

/** Scored pairs of a run (or of merged shards), ready to summarise. */
export interface ScoredPairs {
  readonly header: Omit<Results, 'rows' | 'paired' | 'samples'>;
  /** Per model name, per pair k: the metrics (absent for pairs not scored here). */
  readonly perModel: ReadonlyMap<string, readonly (ImageMetrics | undefined)[]>;
  readonly entries: readonly MaskEntry[];
  readonly samples: Results['samples'];
}

/** Per-bin summaries and paired differences of scored pairs (a whole run, or merged shards). */
export function summariseScores(scores: ScoredPairs): Results {
  const { perModel, samples } = scores;
  const groups = groupMasks(scores.entries);
  const entries = scores.header.models;
  const rows: Results['rows'] = [];
  const paired: Results['paired'] = [];
  for (const model of entries) {
    const modelScores = perModel.get(model.name) ?? [];
    for (const group of groups) {
      const pick = (metric: MetricName) => group.indices.map((i) => modelScores[i]?.[metric]).filter((v): v is number => v !== undefined);
      rows.push({
        model: model.name,
        bin: group.bin,
        binIndex: group.binIndex,
        border: group.border,
        metrics: Object.fromEntries(METRIC_NAMES.map((metric) => [metric, jsonSummary(summarize(pick(metric)))])) as Results['rows'][number]['metrics'],
      });
    }
  }
  // PConv against every other model; each published model against every other model but PConv
  // (PConv's rows hold that pair), two published models once (the earlier minus the later).
  const comparisons: [string, string][] = [];
  if (perModel.has(MODEL_NAMES.pconv)) for (const m of entries) if (m.kind !== 'pconv') comparisons.push([MODEL_NAMES.pconv, m.name]);
  entries.forEach((m, i) => {
    if (m.kind !== 'published') return;
    for (const other of entries.slice(i + 1)) if (other.kind !== 'pconv') comparisons.push([m.name, other.name]);
    for (const other of entries.slice(0, i)) if (other.kind !== 'pconv' && other.kind !== 'published') comparisons.push([m.name, other.name]);
  });
  for (const [name, against] of comparisons) {
    const reference = perModel.get(name) ?? [];
    const modelScores = perModel.get(against) ?? [];
    for (const group of groups) {
      for (const metric of METRIC_NAMES) {
        const a = group.indices.map((i) => reference[i]?.[metric]);
        const b = group.indices.map((i) => modelScores[i]?.[metric]);
        const both = a.map((v, j) => [v, b[j]] as const).filter((p): p is readonly [number, number] => p[0] !== undefined && p[1] !== undefined);
        paired.push({
          model: name,
          against,
          bin: group.bin,
          binIndex: group.binIndex,
          border: group.border,
          metric,
          difference: jsonSummary(
            pairedDifference(
              both.map((p) => p[0]),
              both.map((p) => p[1]),
            ),
          ),
        });
      }
    }
  }
  return { ...scores.header, rows, samples, paired };
}

/** JSON has no NaN: empty summaries carry nulls. */
function jsonSummary(s: Summary) {
  const num = (v: number) => (Number.isFinite(v) ? v : null);
  return { n: s.n, mean: num(s.mean), std: num(s.std), ci95: [num(s.ci95[0]), num(s.ci95[1])] as [number | null, number | null] };
}
