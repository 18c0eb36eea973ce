import { z } from 'zod';

/**
 * results.json of `pconv-bench eval`: shared with the report and the VS Code extension. It holds no
 * timestamps or absolute paths, so the same run gives the same bytes wherever it ran (times are in
 * run.json). Each metric
 * per (model, bin, border subset) is summarised with mean, standard deviation, n and a 95% interval;
 * paired differences compare PConv with each other model on the identical (image, mask) pairs.
 */
export const SummarySchema = z.strictObject({
  n: z.int().min(0),
  mean: z.number().nullable(),
  std: z.number().nullable(),
  ci95: z.tuple([z.number().nullable(), z.number().nullable()]),
});

export const METRIC_NAMES = ['l1Hole', 'l1', 'psnr', 'ssim'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Which way is better, for every metric: lower L1, higher PSNR and SSIM. */
export const METRIC_DIRECTION: Record<MetricName, 'lower' | 'higher'> = { l1Hole: 'lower', l1: 'lower', psnr: 'higher', ssim: 'higher' };

/**
 * @2 added backend.inference (what ran the models forward); @3 models[].input and
 * models[].lossWeights (what each trained model was given and trained with). Each addition is an
 * optional field, so @2 and @1 files still read; the version moves because the schema is strict,
 * so an older reader says "another format" rather than failing on an unknown key. @4 added
 * published models (issue 18): models[].kind 'published' and models[].published (the weights'
 * format, file name and SHA-256).
 */
export const RESULTS_FORMAT = 'pconv-bench/results@4';
export const READABLE_RESULTS_FORMATS = [RESULTS_FORMAT, 'pconv-bench/results@3', 'pconv-bench/results@2', 'pconv-bench/results@1'] as const;

/** Where a published model's weights came from (@4). */
const PublishedWeightsSchema = z.strictObject({
  /** The format they were read as (src/core/published/published-model.ts PUBLISHED_FORMATS). */
  format: z.string(),
  /** The weights file's name, without its folder. */
  file: z.string(),
  sha256: z.string(),
});

/** What a trained model was given of an image with holes (src/core/model/model-inputs.ts: describeModelInput). */
const ModelInputSchema = z.strictObject({
  /** What stands in the holes: zeros (PConv) or the baseline's fill (model.baselineFill). */
  holes: z.enum(['zero', 'mean-pixel', 'grey']),
  /** How the mask reaches the model: PConv's partial convolutions, a fourth input channel, or not at all. */
  mask: z.enum(['partial-convolutions', 'channel', 'none']),
});

const LossWeightsSchema = z.strictObject({ valid: z.number(), hole: z.number(), perceptual: z.number(), style: z.number(), tv: z.number() });

export const ResultsSchema = z.strictObject({
  format: z.enum(READABLE_RESULTS_FORMATS),
  experiment: z.strictObject({ name: z.string(), configHash: z.string() }),
  conventions: z.record(z.string(), z.string()),
  masks: z.strictObject({ manifestSha256: z.string(), count: z.int(), width: z.int(), height: z.int(), binRule: z.string(), borderMargin: z.int() }),
  images: z.strictObject({ split: z.literal('test'), count: z.int().min(1), pairs: z.int().min(1) }),
  /** inference: what ran the models forward (ONNX Runtime or TensorFlow.js), when not the backend alone. */
  backend: z.strictObject({ name: z.string(), version: z.string(), device: z.string(), inference: z.string().optional() }),
  versions: z.record(z.string(), z.string()),
  models: z.array(
    z.strictObject({
      name: z.string(),
      kind: z.enum(['pconv', 'conv', 'classical', 'external', 'published']),
      checkpoint: z.string().nullable(),
      step: z.int().nullable(),
      /** Trained models (@3): their input, from the checkpoint's recorded config. */
      input: ModelInputSchema.optional(),
      /** Trained models (@3): the loss weights they trained with (loss.*, and loss.baseline for the baseline). */
      lossWeights: LossWeightsSchema.optional(),
      /** Published models (@4): where their weights came from. */
      published: PublishedWeightsSchema.optional(),
    }),
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

/** Why a results.json text cannot be read: not JSON, another format version, or not the schema. */
export type ResultsTextProblem = 'json' | 'format' | 'schema';

/**
 * Reads the text of a results.json for the CLI's report and the editor's report panel alike: an
 * older or foreign file is a clear message naming `path`, never half-read. `reader` names who
 * refuses another format ("this version", "this extension"); each caller adds its own hint.
 */
export function parseResultsText(
  text: string,
  path: string,
  reader: string,
): { readonly ok: true; readonly results: Results } | { readonly ok: false; readonly problem: ResultsTextProblem; readonly message: string } {
  let json: { format?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch (error) {
    return { ok: false, problem: 'json', message: `${path} is not valid JSON (${(error as Error).message})` };
  }
  if (!(READABLE_RESULTS_FORMATS as readonly unknown[]).includes(json.format)) {
    return {
      ok: false,
      problem: 'format',
      message: `${path} has format ${JSON.stringify(json.format ?? 'none')}; ${reader} reads ${READABLE_RESULTS_FORMATS.join(' and ')}`,
    };
  }
  const parsed = ResultsSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, problem: 'schema', message: `${path} does not match the results schema (${first?.path.join('.')}: ${first?.message})` };
  }
  return { ok: true, results: parsed.data };
}
