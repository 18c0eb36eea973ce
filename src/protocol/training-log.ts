import { z } from 'zod';

/**
 * logs/train-<kind>.jsonl (runLayout(dir).trainLog(kind)): one JSON object per line, appended as
 * training goes, read by the report (src/eval/report/training-curves.ts) and the VS Code extension's
 * report panel. A `train` line per step, a `validation` line per validation pass
 * (train.validateEvery). A resumed run first drops the lines past its checkpoint's step.
 *
 * Versioned like the event stream: every line carries `v`, which changes only with a breaking
 * change (a field removed, renamed or given another meaning); fields are only ever added, and
 * readers ignore those they do not know. Lines without `v` were written before the log had a
 * version (pconv-bench before validation quality): the same fields, no `quality`.
 */
export const TRAIN_LOG_VERSION = 1;

/** The loss of eq. 7 and its unweighted terms (src/core/model/inpainting-loss.ts LOSS_TERM_NAMES). */
export const LossValuesSchema = z.object({
  total: z.number(),
  valid: z.number(),
  hole: z.number(),
  perceptual: z.number(),
  styleOut: z.number(),
  styleComp: z.number(),
  tv: z.number(),
});
export type LossValues = z.infer<typeof LossValuesSchema>;

/**
 * Image quality of the model's predictions on the validation pairs, scored as evaluation scores
 * the test pairs (src/core/metrics/image-metrics.ts): each prediction clipped to [0, 1] and
 * composited with the known pixels, then PSNR (dB), SSIM and L1 in the holes (x100) per pair,
 * averaged over the pairs. The pairs are the same at every validation of a run (the first 8
 * validation images, centre-cropped, each with a mask drawn from the training mask sampler with
 * the seed (seed, 'validation-mask', i)), so the points of a curve compare like with like.
 */
export const ValidationQualitySchema = z.strictObject({
  /** How many (image, mask) pairs were scored. */
  pairs: z.int().min(1),
  psnr: z.number(),
  /** null: images under 11 px, smaller than SSIM's Gaussian window. */
  ssim: z.number().nullable(),
  /** Mean over the pairs with holes; null when none had one. */
  l1Hole: z.number().nullable(),
});
export type ValidationQuality = z.infer<typeof ValidationQualitySchema>;

const common = {
  v: z.literal(TRAIN_LOG_VERSION).optional(),
  model: z.enum(['pconv', 'conv']),
  phase: z.union([z.literal(1), z.literal(2)]),
  /** Global step (phase 1 and phase 2 counted together) after which the line was written. */
  step: z.int().min(1),
};

export const TrainLogTrainLineSchema = z.object({ ...common, type: z.literal('train'), learningRate: z.number(), ...LossValuesSchema.shape });

export const TrainLogValidationLineSchema = z.object({
  ...common,
  type: z.literal('validation'),
  /** The grid of the first four validation pairs (input, output, target), relative to the run folder. */
  samples: z.string(),
  ...LossValuesSchema.shape,
  /** Absent on lines written before the log had a version. */
  quality: ValidationQualitySchema.optional(),
});

export const TrainLogLineSchema = z.discriminatedUnion('type', [TrainLogTrainLineSchema, TrainLogValidationLineSchema]);
export type TrainLogLine = z.infer<typeof TrainLogLineSchema>;
export type TrainLogValidationLine = z.infer<typeof TrainLogValidationLineSchema>;

type WithoutVersion<L> = L extends unknown ? Omit<L, 'v'> : never;

/** One log line's text (no newline), stamped with the current version. */
export function trainLogLineText(line: WithoutVersion<TrainLogLine>): string {
  return JSON.stringify({ v: TRAIN_LOG_VERSION, ...line });
}

/**
 * The lines of a log's text that are lines of this format. A line that is not (a torn last line of
 * an interrupted run, a line of a later breaking version) is counted in `skipped`, never fatal.
 */
export function parseTrainLog(text: string): { lines: TrainLogLine[]; skipped: number } {
  const lines: TrainLogLine[] = [];
  let skipped = 0;
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      skipped++;
      continue;
    }
    const parsed = TrainLogLineSchema.safeParse(json);
    if (parsed.success) lines.push(parsed.data);
    else skipped++;
  }
  return { lines, skipped };
}
