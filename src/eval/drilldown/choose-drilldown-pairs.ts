import type { MaskGroup } from '../../core/masks/manifest-counts.js';
import { METRIC_DIRECTION, type MetricName } from '../../protocol/results.js';
import type { ImageMetrics } from '../metrics.js';

/**
 * Which pairs the report looks at closely: in every bin and border subset, each model's worst and
 * best pairs by L1 in the holes. Why that metric (docs/science.md, "Worst and best pairs"): it
 * counts only the pixels the model made up, per hole pixel, so within a bin it ranks how well the
 * holes were filled rather than how large they were; PSNR and SSIM cover the whole composite,
 * whose known pixels are the ground truth's, so a pair with a small hole scores well there
 * however badly it was filled, and PSNR saturates at its 100 dB cap.
 */
export const DRILLDOWN_METRIC: MetricName = 'l1Hole';
/** Pairs at each end (worst, best) per model, bin and subset. */
export const DRILLDOWN_PER_SIDE = 3;

export interface DrilldownPicks {
  readonly model: string;
  /** Pair indices k, worst first. */
  readonly worst: readonly number[];
  /** Pair indices k, best first. */
  readonly best: readonly number[];
}

export interface DrilldownChoice {
  readonly group: MaskGroup;
  /** In the order of `models`; a model with no score to rank in the group has none. */
  readonly picks: readonly DrilldownPicks[];
}

export interface DrilldownRule {
  readonly metric: MetricName;
  readonly perSide: number;
}

export const DRILLDOWN_RULE: DrilldownRule = { metric: DRILLDOWN_METRIC, perSide: DRILLDOWN_PER_SIDE };

/**
 * For each group and model: the `perSide` worst and `perSide` best pairs among those the model has
 * a finite score of `metric` for (a pair without holes has no hole L1 and is not ranked by it).
 * Equal scores go by pair index, lower first, at both ends, so the choice is a function of the
 * scores alone: any batch size, worker count, shard split or resumption chooses the same pairs. A
 * group of n < 2 x perSide ranked pairs gives the worse half (ceil(n/2)) to `worst` and the rest
 * to `best`, so no pair is listed at both ends for one model. Because each end is the first few of
 * one total order, the pairs chosen among all pairs are among those chosen within each shard's
 * part of them, which is what lets `merge` take the pictures that the shards wrote.
 */
export function chooseDrilldownPairs(
  groups: readonly MaskGroup[],
  perModel: ReadonlyMap<string, readonly (ImageMetrics | undefined)[]>,
  models: readonly string[],
  rule: DrilldownRule = DRILLDOWN_RULE,
): DrilldownChoice[] {
  const lowerIsBetter = METRIC_DIRECTION[rule.metric] === 'lower';
  const choices: DrilldownChoice[] = [];
  for (const group of groups) {
    const picks: DrilldownPicks[] = [];
    for (const model of models) {
      const scores = perModel.get(model) ?? [];
      const ranked = group.indices.flatMap((k) => {
        const value = scores[k]?.[rule.metric];
        return value !== undefined && Number.isFinite(value) ? [{ k, value }] : [];
      });
      if (ranked.length === 0) continue;
      // Best first; equal values by k at both ends.
      const bestFirst = [...ranked].sort((a, b) => (lowerIsBetter ? a.value - b.value : b.value - a.value) || a.k - b.k);
      const worstFirst = [...ranked].sort((a, b) => (lowerIsBetter ? b.value - a.value : a.value - b.value) || a.k - b.k);
      const worst = worstFirst.slice(0, Math.min(rule.perSide, Math.ceil(ranked.length / 2))).map((p) => p.k);
      const best = bestFirst
        .filter((p) => !worst.includes(p.k))
        .slice(0, Math.min(rule.perSide, Math.floor(ranked.length / 2)))
        .map((p) => p.k);
      picks.push({ model, worst, best });
    }
    if (picks.length > 0) choices.push({ group, picks });
  }
  return choices;
}

/** Every pair chosen for some model, once, in pair order. */
export function chosenPairs(choices: readonly DrilldownChoice[]): number[] {
  return [...new Set(choices.flatMap((c) => c.picks.flatMap((p) => [...p.worst, ...p.best])))].sort((a, b) => a - b);
}
