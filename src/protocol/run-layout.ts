import { join } from 'node:path';
import { z } from 'zod';

/**
 * The run folder as a contract between the CLI's commands, the pipeline and the VS Code extension:
 * every file and folder name of a run lives here and nowhere else, with the formats of the records
 * the pipeline writes about itself (stage markers, run.json, the lock). Paths only: no I/O, so the
 * extension can import it without loading TensorFlow.js.
 */

/** The stages of an experiment, in the order `run` walks them. */
export const RUN_STAGES = ['masks', 'train-pconv', 'train-conv', 'eval', 'report'] as const;
export type RunStage = (typeof RUN_STAGES)[number];

/** The two trained models' folder names: the PConv UNet and the ordinary-convolution baseline. */
export type ModelKindName = 'pconv' | 'conv';
/** A model's checkpoints: the end of each phase, and the newest one (what a resume starts from). */
export type CheckpointSlot = 'phase1' | 'phase2' | 'latest';

export const RUN_FILES = {
  /** Held by the process working in the folder (src/pipeline/run-lock.ts). */
  lock: '.pconv-bench.lock',
  /** The config the last command ran with, headed by `# resolved from <file>`. */
  resolvedConfig: 'config.resolved.yaml',
  /** What ran, when, and how the last command ended (RunRecordSchema). */
  record: 'run.json',
  results: 'results.json',
  report: 'index.html',
  training: 'training.json',
  evalShard: 'eval-shard.json',
  /** Each model's worst and best pairs per bin and subset, with their pictures' paths (src/protocol/drilldown.ts). */
  drilldown: 'drilldown.json',
  /** Every pair of the evaluation in one sortable table, written beside the report. */
  pairsPage: 'pairs.html',
} as const;

export const RUN_FOLDERS = {
  masks: 'masks',
  checkpoints: 'checkpoints',
  stages: 'stages',
  scores: 'scores',
  logs: 'logs',
  samples: 'samples',
  /** TensorBoard event files, a folder per model: `tensorboard --logdir <run>/tensorboard`. */
  tensorboard: 'tensorboard',
  evalSamples: 'eval-samples',
  /** The drill-down pairs' pictures, flat: pair-00042.input.png, pair-00042.model-pconv.png, ... */
  drilldown: 'drilldown',
  assets: 'assets',
} as const;

export const MASK_MANIFEST_FILE = 'manifest.json';
export const CHECKPOINT_FILES = { meta: 'checkpoint.json', tensors: 'tensors.bin' } as const;

/** Every path of one run folder. */
export function runLayout(dir: string) {
  return {
    dir,
    lock: join(dir, RUN_FILES.lock),
    resolvedConfig: join(dir, RUN_FILES.resolvedConfig),
    record: join(dir, RUN_FILES.record),
    results: join(dir, RUN_FILES.results),
    report: join(dir, RUN_FILES.report),
    training: join(dir, RUN_FILES.training),
    evalShard: join(dir, RUN_FILES.evalShard),
    drilldown: join(dir, RUN_FILES.drilldown),
    pairsPage: join(dir, RUN_FILES.pairsPage),
    masksDir: join(dir, RUN_FOLDERS.masks),
    maskManifest: join(dir, RUN_FOLDERS.masks, MASK_MANIFEST_FILE),
    checkpointsDir: join(dir, RUN_FOLDERS.checkpoints),
    modelCheckpoints: (kind: ModelKindName) => join(dir, RUN_FOLDERS.checkpoints, kind),
    checkpoint: (kind: ModelKindName, slot: CheckpointSlot) => join(dir, RUN_FOLDERS.checkpoints, kind, slot),
    stagesDir: join(dir, RUN_FOLDERS.stages),
    stageMarker: (stage: RunStage) => join(dir, RUN_FOLDERS.stages, `${stage}.json`),
    scoresDir: join(dir, RUN_FOLDERS.scores),
    logsDir: join(dir, RUN_FOLDERS.logs),
    trainLog: (kind: ModelKindName) => join(dir, RUN_FOLDERS.logs, `train-${kind}.jsonl`),
    samplesDir: join(dir, RUN_FOLDERS.samples),
    tensorboardDir: join(dir, RUN_FOLDERS.tensorboard),
    tensorboard: (kind: ModelKindName) => join(dir, RUN_FOLDERS.tensorboard, kind),
    evalSamplesDir: join(dir, RUN_FOLDERS.evalSamples),
    drilldownDir: join(dir, RUN_FOLDERS.drilldown),
    assetsDir: join(dir, RUN_FOLDERS.assets),
  };
}
export type RunLayout = ReturnType<typeof runLayout>;

/** The folders under which an interrupted atomic write can leave a staging folder or a temporary file. */
export const STAGING_PARENTS = (layout: RunLayout): string[] => [
  layout.dir,
  layout.stagesDir,
  layout.logsDir,
  layout.scoresDir,
  layout.assetsDir,
  layout.samplesDir,
  layout.evalSamplesDir,
  layout.drilldownDir,
  layout.modelCheckpoints('pconv'),
  layout.modelCheckpoints('conv'),
];

/** Folders whose subfolders hold atomic writes too (eval-samples/<bin>-<border>/): each subfolder is a staging parent. */
export const STAGING_GRANDPARENTS = (layout: RunLayout): string[] => [layout.evalSamplesDir];

/**
 * stages/<stage>.json: written when a stage finishes. `inputs` hashes what the stage read (its
 * settings and its upstream stages' outputs), `outputs` what it wrote; a stage is up to date only
 * while both still match.
 */
export const StageMarkerSchema = z.object({
  inputs: z.string(),
  outputs: z.string(),
  finishedAt: z.string(),
  /** The command that ran the stage (run, masks, train, eval, report). */
  command: z.string().optional(),
});
export type StageMarker = z.infer<typeof StageMarkerSchema>;

export const StageStatusSchema = z.enum(['ran', 'up to date', 'not asked']);
export type StageStatus = z.infer<typeof StageStatusSchema>;

/**
 * run.json: the folder's own account of the last command that worked in it, written when it ends
 * however it ends, so a reader (the extension, a person) sees a failure as a failure rather than
 * as an interruption.
 */
export const RunRecordSchema = z.object({
  command: z.string(),
  config: z.string().nullable(),
  seed: z.number().nullable(),
  versions: z.record(z.string(), z.string()),
  backend: z.unknown().nullable(),
  stages: z.array(z.object({ stage: z.enum(RUN_STAGES), status: StageStatusSchema })),
  outcome: z.object({
    status: z.enum(['finished', 'failed', 'interrupted']),
    /** The stage that was running when it failed or stopped. */
    stage: z.enum(RUN_STAGES).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** The lock file's content. */
export const RunLockSchema = z.object({ pid: z.number(), host: z.string().optional(), startedAt: z.string().optional(), command: z.string().optional() });
export type RunLockHolder = z.infer<typeof RunLockSchema>;
