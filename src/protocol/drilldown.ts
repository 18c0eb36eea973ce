import { z } from 'zod';
import { METRIC_NAMES } from './results.js';

/**
 * drilldown.json of `pconv-bench eval` (beside results.json): for each bin and border subset, each
 * model's worst and best pairs by one metric, and for every pair chosen, the paths of its pictures
 * (masked input, mask, every model's composite, ground truth; PNGs under drilldown/, relative to the
 * run folder) and every model's metrics on it. A file of its own rather than a section of
 * results.json: results.json stays the summaries that `check`, `compare` and the editor read, in
 * the format they know, and a run evaluated before the drill-down existed still reports.
 *
 * Like results.json it holds no timestamps or absolute paths: the same evaluation gives the same
 * bytes for any batch size, worker count, shard split or resumption.
 */
export const DRILLDOWN_FORMAT = 'pconv-bench/drilldown@1';

/** A model's metrics on one pair, as its per-pair scores hold them (l1Hole null: no hole). */
export const PairMetricsSchema = z.strictObject({ l1Hole: z.number().nullable(), l1: z.number(), psnr: z.number(), ssim: z.number() });
export type PairMetrics = z.infer<typeof PairMetricsSchema>;

export const DrilldownPairSchema = z.strictObject({
  /** Mask k of the set, with test image k mod n (results.json conventions.pairs). */
  k: z.int().min(0),
  binIndex: z.int().min(0),
  border: z.enum(['no-border', 'border']),
  holeRatio: z.number().min(0).max(1),
  /** The image with its holes white. */
  input: z.string(),
  /** White = known pixel, black = hole. */
  mask: z.string(),
  target: z.string(),
  /** Per model: its output composited with the known pixels (what was scored). */
  outputs: z.record(z.string(), z.string()),
  /** Per model that scored the pair. */
  metrics: z.record(z.string(), PairMetricsSchema),
});
export type DrilldownPair = z.infer<typeof DrilldownPairSchema>;

export const DrilldownSchema = z.strictObject({
  format: z.literal(DRILLDOWN_FORMAT),
  /** The evaluation this belongs to: results.json's masks.manifestSha256 and its models, in order. */
  masksSha256: z.string(),
  models: z.array(z.string()),
  /** What ranks the pairs, and how many of each end per model, bin and subset. */
  metric: z.enum(METRIC_NAMES),
  perSide: z.int().min(1),
  groups: z.array(
    z.strictObject({
      bin: z.string(),
      binIndex: z.int().min(0),
      border: z.enum(['no-border', 'border']),
      /** Models without a score to rank in the group have no entry. */
      picks: z.array(
        z.strictObject({
          model: z.string(),
          /** Worst first. */
          worst: z.array(z.int().min(0)),
          /** Best first. */
          best: z.array(z.int().min(0)),
        }),
      ),
    }),
  ),
  /** Every pair some model picked, once, by k. */
  pairs: z.array(DrilldownPairSchema),
});
export type Drilldown = z.infer<typeof DrilldownSchema>;

/** Every picture a drill-down lists, relative to the run folder. */
export function drilldownPicturePaths(drilldown: Drilldown): string[] {
  return drilldown.pairs.flatMap((p) => [p.input, p.mask, ...drilldown.models.flatMap((m) => (p.outputs[m] ? [p.outputs[m]] : [])), p.target]);
}
