import { groupMasks } from '../core/masks/manifest-counts.js';
import type { MaskEntry } from '../protocol/mask-manifest.js';
import { METRIC_NAMES, type Results } from '../protocol/results.js';
import type { ImageMetrics } from './metrics.js';
import { summarize } from './statistics.js';

/**
 * Where a run's per-pair scores (scores/) do not summarise to its results.json rows (the same sums
 * in the same order), in words; undefined when they all do. Scores of another evaluation than the
 * one results.json reports would show other numbers than the run's tables (compare, the report's
 * table of pairs).
 */
export function scoresDisagreement(
  results: Results,
  entries: readonly MaskEntry[],
  scores: ReadonlyMap<string, ReadonlyMap<number, { readonly metrics: ImageMetrics }>>,
): string | undefined {
  for (const group of groupMasks(entries)) {
    for (const row of results.rows.filter((r) => r.binIndex === group.binIndex && r.border === group.border)) {
      const modelScores = scores.get(row.model);
      for (const metric of METRIC_NAMES) {
        const values = group.indices.map((k) => modelScores?.get(k)?.metrics[metric]).filter((v): v is number => v !== undefined);
        const s = summarize(values);
        const expected = row.metrics[metric];
        const same =
          s.n === expected.n && (expected.mean === null ? s.n === 0 : Math.abs(s.mean - expected.mean) <= 1e-9 * Math.max(1, Math.abs(expected.mean)));
        if (!same)
          return `the per-pair scores of ${row.model} in scores/ are not those its results.json summarises (${row.bin} ${row.border}, ${metric}: n ${s.n}, mean ${s.mean} there; n ${expected.n}, mean ${expected.mean} in results.json)`;
      }
    }
  }
  return undefined;
}
