import { z } from 'zod';

/**
 * results.json of `pconv-bench eval`: shared with the report and the VS Code extension. It holds no
 * timestamps or absolute paths, so the same run gives the same bytes wherever it ran (times are in
 * run.json). Each metric
 * per (model, bin, border subset) is summarised with mean, standard deviation, n and a 95% interval;
 * paired differences compare PConv with each other model on the identical (image, mask) pairs.
 */
const SummarySchema = z.strictObject({
  n: z.int().min(0),
  mean: z.number().nullable(),
  std: z.number().nullable(),
  ci95: z.tuple([z.number().nullable(), z.number().nullable()]),
});

export const METRIC_NAMES = ['l1Hole', 'l1', 'psnr', 'ssim'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Which way is better, for every metric: lower L1, higher PSNR and SSIM. */
export const METRIC_DIRECTION: Record<MetricName, 'lower' | 'higher'> = { l1Hole: 'lower', l1: 'lower', psnr: 'higher', ssim: 'higher' };

export const ResultsSchema = z.strictObject({
  format: z.literal('pconv-bench/results@1'),
  experiment: z.strictObject({ name: z.string(), configHash: z.string() }),
  conventions: z.record(z.string(), z.string()),
  masks: z.strictObject({ manifestSha256: z.string(), count: z.int(), width: z.int(), height: z.int(), binRule: z.string(), borderMargin: z.int() }),
  images: z.strictObject({ split: z.literal('test'), count: z.int().min(1), pairs: z.int().min(1) }),
  backend: z.strictObject({ name: z.string(), version: z.string(), device: z.string() }),
  versions: z.record(z.string(), z.string()),
  models: z.array(
    z.strictObject({ name: z.string(), kind: z.enum(['pconv', 'conv', 'classical', 'external']), checkpoint: z.string().nullable(), step: z.int().nullable() }),
  ),
  rows: z.array(
    z.strictObject({
      model: z.string(),
      bin: z.string(),
      binIndex: z.int().min(0),
      border: z.enum(['no-border', 'border']),
      metrics: z.strictObject({ l1Hole: SummarySchema, l1: SummarySchema, psnr: SummarySchema, ssim: SummarySchema }),
    }),
  ),
  /** One example pair per bin and subset, as PNG paths relative to the run folder. */
  samples: z.array(
    z.strictObject({
      bin: z.string(),
      binIndex: z.int().min(0),
      border: z.enum(['no-border', 'border']),
      input: z.string(),
      target: z.string(),
      outputs: z.record(z.string(), z.string()),
    }),
  ),
  /** The resolved config that ran. */
  config: z.record(z.string(), z.unknown()),
  paired: z.array(
    z.strictObject({
      model: z.string(),
      against: z.string(),
      bin: z.string(),
      binIndex: z.int().min(0),
      border: z.enum(['no-border', 'border']),
      metric: z.enum(METRIC_NAMES),
      difference: SummarySchema.describe('model minus against, pair by pair'),
    }),
  ),
});
export type Results = z.infer<typeof ResultsSchema>;
