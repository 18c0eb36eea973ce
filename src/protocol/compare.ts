import { z } from 'zod';
import { METRIC_NAMES, SummarySchema } from './results.js';

/**
 * compare.json of `pconv-bench compare <runDir...> --out DIR`, written beside the page (index.html)
 * it describes: several evaluated runs (other configs, other seeds, a run scoring a published model)
 * compared on the (image, mask) pairs they all scored. Every number is computed from the runs'
 * per-pair scores (scores/*.jsonl) restricted to those shared pairs, so it can differ from a run's
 * own results.json when the runs were evaluated on different pairs (`notes` says so).
 */
export const COMPARE_FORMAT = 'pconv-bench/compare@1';

/** The files `compare` writes into its --out folder (assets: a PNG of each of the page's charts). */
export const COMPARE_FILES = { page: 'index.html', json: 'compare.json', assets: 'assets' } as const;

const BorderSchema = z.enum(['no-border', 'border']);
const CellSchema = { bin: z.string(), binIndex: z.int().min(0), border: BorderSchema };
const MetricSummariesSchema = z.strictObject({ l1Hole: SummarySchema, l1: SummarySchema, psnr: SummarySchema, ssim: SummarySchema });

export const CompareSchema = z.strictObject({
  format: z.literal(COMPARE_FORMAT),
  runs: z.array(
    z.strictObject({
      /** The run's label on the page: the shortest tail of its folder's path that no other run shares. */
      name: z.string(),
      /** The run folder, absolute. */
      dir: z.string(),
      experiment: z.string(),
      configHash: z.string(),
      /** The config's seed (null: not recorded). */
      seed: z.number().nullable(),
      manifestSha256: z.string(),
      testImages: z.int().min(0),
      /** Pairs the run scored with every one of its models. */
      pairs: z.int().min(0),
      /** Each model of the run, labelled "<run name>/<model>". */
      models: z.array(z.strictObject({ name: z.string(), kind: z.string(), label: z.string() })),
    }),
  ),
  /** Pairs that every run scored with every one of its models: all numbers below are on these. */
  sharedPairs: z.int().min(1),
  /** What a reader must know: pairs left out, bins read from the first run, ... (also printed on stderr). */
  notes: z.array(z.string()),
  /** The shared pairs per bin and border subset (binned as in the first run). */
  groups: z.array(z.strictObject({ ...CellSchema, pairs: z.int().min(0) })),
  /** Each run's models per bin and subset: mean, sd, n, 95% t interval of each metric over the shared pairs. */
  rows: z.array(z.strictObject({ run: z.string(), model: z.string(), label: z.string(), ...CellSchema, metrics: MetricSummariesSchema })),
  /** The same model of two runs, pair by pair on the shared pairs: `run` minus `against` (the earlier run on the command line). */
  paired: z.array(
    z.strictObject({
      model: z.string(),
      run: z.string(),
      against: z.string(),
      ...CellSchema,
      metric: z.enum(METRIC_NAMES),
      difference: SummarySchema.describe('run minus against, the same model, pair by pair'),
    }),
  ),
  /**
   * Runs whose resolved configs are the same apart from `seed` (and `ignoredKeys`, which do not
   * change what is computed): how far the seed alone moves each model's mean, next to the
   * difference between models.
   */
  seedGroups: z.array(
    z.strictObject({
      runs: z.array(z.string()),
      seeds: z.array(z.number().nullable()),
      ignoredKeys: z.array(z.string()),
      /** Models that every run of the group scored. */
      models: z.array(z.string()),
      /** Per model: its mean over the shared pairs of the cell in each run (runMeans, in `runs` order), their mean and sample SD across the runs. */
      spread: z.array(
        z.strictObject({
          model: z.string(),
          ...CellSchema,
          metric: z.enum(METRIC_NAMES),
          runMeans: z.array(z.number().nullable()),
          mean: z.number().nullable(),
          sd: z.number().nullable(),
        }),
      ),
      /**
       * `model` minus `against` in each run (perSeed: the mean of the pair-by-pair differences on the
       * cell's shared pairs), summarised across the runs (mean, sample SD, 95% t interval with
       * seeds - 1 degrees of freedom).
       */
      effects: z.array(
        z.strictObject({
          model: z.string(),
          against: z.string(),
          ...CellSchema,
          metric: z.enum(METRIC_NAMES),
          perSeed: z.array(z.number().nullable()),
          acrossSeeds: SummarySchema,
        }),
      ),
    }),
  ),
  /** Config keys (dotted) whose resolved values differ between runs; values in `runs` order, null where unset. */
  configDifferences: z.array(z.strictObject({ key: z.string(), values: z.array(z.string().nullable()), ignoredForSeeds: z.boolean() })),
});
export type Compare = z.infer<typeof CompareSchema>;
export type CompareSummary = z.infer<typeof SummarySchema>;
