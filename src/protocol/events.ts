import { z } from 'zod';
import { LossValuesSchema, ValidationQualitySchema } from './training-log.js';

/**
 * The --json event stream: one JSON object per line on stdout. Consumers (the VS Code extension,
 * CI scripts) validate each line with PconvEventSchema; `v` changes only with a breaking change.
 * Core code emits CoreEvent values through an onEvent callback; the CLI adds v and time.
 */
const StageName = z.string().min(1).describe('masks, masks-import, train, eval, report, ...');

export const StageEventSchema = z.strictObject({
  type: z.literal('stage'),
  stage: StageName,
  status: z.enum(['started', 'finished', 'skipped']),
  message: z.string().optional(),
});

export const ProgressEventSchema = z.strictObject({
  type: z.literal('progress'),
  stage: StageName,
  done: z.int().min(0),
  total: z.int().min(0),
  unit: z.string(),
  /**
   * Current figures of long work, e.g. the loss terms of a training step (training also gives
   * `step`, the global step, phase 1 and phase 2 counted together).
   */
  metrics: z.record(z.string(), z.number()).optional(),
});

export const LogEventSchema = z.strictObject({
  type: z.literal('log'),
  level: z.enum(['info', 'warn']),
  message: z.string(),
});

export const ResultEventSchema = z.strictObject({
  type: z.literal('result'),
  command: z.string(),
  data: z.record(z.string(), z.unknown()),
});

/**
 * A validation pass of training (every train.validateEvery steps): the loss on the validation pairs
 * and the quality of the model's composited predictions on them (the same record as the training
 * log's validation line; ValidationQualitySchema says how they are scored). A type added to the
 * stream, so `v` stays 1: a consumer built before it sees a line its schema refuses and skips it
 * (the VS Code extension notes such lines in its output channel and goes on). Its human form is the
 * validation line on stderr.
 */
export const ValidationEventSchema = z.strictObject({
  type: z.literal('validation'),
  model: z.enum(['pconv', 'conv']),
  phase: z.union([z.literal(1), z.literal(2)]),
  /** Global step (phase 1 and phase 2 counted together). */
  step: z.int().min(1),
  loss: z.strictObject(LossValuesSchema.shape),
  quality: ValidationQualitySchema,
  /** The sample grid written at this validation, as an absolute path. */
  samples: z.string(),
});

export const CoreEventSchema = z.discriminatedUnion('type', [StageEventSchema, ProgressEventSchema, LogEventSchema, ResultEventSchema, ValidationEventSchema]);
export type CoreEvent = z.infer<typeof CoreEventSchema>;
export type OnEvent = (event: CoreEvent) => void;

const stamp = { v: z.literal(1), time: z.iso.datetime() };

export const PconvEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...stamp, type: z.literal('start'), command: z.string(), argv: z.array(z.string()), version: z.string() }),
  StageEventSchema.extend(stamp),
  ProgressEventSchema.extend({ ...stamp, ratePerSecond: z.number().min(0).optional(), etaSeconds: z.number().min(0).optional() }),
  LogEventSchema.extend(stamp),
  ResultEventSchema.extend(stamp),
  ValidationEventSchema.extend(stamp),
  z.strictObject({
    ...stamp,
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
    hint: z.string().optional(),
    details: z.array(z.string()),
    /** Config problems with their positions, for editor diagnostics. */
    problems: z
      .array(z.strictObject({ file: z.string(), path: z.string(), message: z.string(), line: z.int().optional(), column: z.int().optional() }))
      .optional(),
  }),
  z.strictObject({ ...stamp, type: z.literal('end'), exitCode: z.int(), durationSeconds: z.number().min(0) }),
]);
export type PconvEvent = z.infer<typeof PconvEventSchema>;
