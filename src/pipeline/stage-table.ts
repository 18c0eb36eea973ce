import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { trainingPartOf } from '../core/config/config-hash.js';
import type { ExperimentConfig } from '../core/config/schema.js';
import { checkImagesReadable } from '../core/data/check-images.js';
import { describeDataFolders, excludeHintOf, splitRoot } from '../core/data/image-list.js';
import { UserError } from '../core/errors.js';
import { makeStagingDir, replaceDir, writeFileAtomic } from '../core/io/atomic.js';
import { sha256Of, stableStringify } from '../core/io/stable-json.js';
import { maskSetSpecOf } from '../core/masks/mask-plan.js';
import { verifyMaskSet } from '../core/masks/read-mask-set.js';
import { type Shard, type WriteMaskSetResult, writeMaskSet } from '../core/masks/write-mask-set.js';
import { type CheckpointMeta, loadCheckpointMeta, verifyCheckpoint } from '../core/train/checkpoint.js';
import { type Phase, type TrainResult, trainModel } from '../core/train/trainer.js';
import { refuseTestMasksForTraining } from '../core/train/training-masks.js';
import { checkTrainingFits } from '../core/train/training-memory.js';
import { writeEvalShard } from '../eval/eval-shards.js';
import { type EvaluateOptions, scoreRun } from '../eval/evaluate.js';
import { publishedModelsOf, weightsSha256 } from '../eval/published-models.js';
import { writeReport } from '../eval/report/write-report.js';
import { summariseScores } from '../eval/summarise-scores.js';
import { inspectTestImages } from '../eval/test-images.js';
import { writeEvaluation } from '../eval/write-evaluation.js';
import { DRILLDOWN_FORMAT } from '../protocol/drilldown.js';
import type { OnEvent } from '../protocol/events.js';
import type { Results } from '../protocol/results.js';
import { CHECKPOINT_FILES, MASK_MANIFEST_FILE, type ModelKindName, type RunLayout, type RunStage, type StageMarker } from '../protocol/run-layout.js';
import { configDifferences } from './config-differences.js';
import { checkEvalOutputs } from './eval-outputs.js';
import type { ExperimentInputs } from './experiment-inputs.js';
import { filesFingerprint } from './files-fingerprint.js';

/** Settings of single stages that only their own command sets; `run` uses the defaults. */
export interface StageOptions {
  readonly masks?: {
    /** Replace a mask set made with other settings (`run` always does: its config decides). */
    readonly replace?: boolean;
    readonly workers?: number;
    readonly shard?: Shard;
  };
  readonly train?: {
    readonly phases?: readonly Phase[];
    /** train --resume / --restart; without either, `train` refuses to touch an existing checkpoint. */
    readonly resume?: boolean;
    readonly restart?: boolean;
  };
  /** The evaluation's own settings, as scoreRun takes them (eval --restart, --model, a shard, ...). */
  readonly eval?: Pick<EvaluateOptions, 'engine' | 'workers' | 'batchSize' | 'classical' | 'external' | 'published' | 'shard' | 'restart'>;
}

/** What the stages made in this process, for the command to print. */
export interface StageProducts {
  masks?: WriteMaskSetResult;
  training?: TrainResult[];
  results?: Results;
  evalShard?: string;
  report?: Awaited<ReturnType<typeof writeReport>>;
}

export interface StageContext {
  readonly layout: RunLayout;
  /** Absent only for `report`, which works from a run folder alone. */
  readonly inputs?: ExperimentInputs;
  readonly options: StageOptions;
  /** Outputs hashes of the earlier stages (as run now, or as found on disk). */
  readonly upstream: Partial<Record<RunStage, string>>;
  /** The stage's marker as found on disk, if any: what its last complete run read. */
  readonly marker?: StageMarker;
  /** Hash of what the stage would read now (its `inputs`). */
  readonly inputsHash?: string;
  /** Asked to run even though it may be up to date (run --from / --only, eval --restart). */
  readonly forced: boolean;
  /** The command that asked, for messages. */
  readonly command: string;
  /** The config file as the user named it, for the records. */
  readonly configFile?: string;
  readonly versions: Record<string, string>;
  readonly products: StageProducts;
  readonly signal?: AbortSignal;
  readonly emit: OnEvent;
}

export interface StageDefinition {
  readonly stage: RunStage;
  /** Earlier stages whose outputs this one reads: they must be intact before it starts. */
  readonly needs: readonly RunStage[];
  /** Hash of everything the stage reads: its settings and its upstream stages' outputs. */
  inputs(ctx: StageContext): Promise<string>;
  /** Hash of the stage's outputs when every one of them is present and intact, else undefined. */
  outputs(layout: RunLayout): Promise<string | undefined>;
  /** Why the outputs are not intact, for a later stage that needs them. */
  missing?(layout: RunLayout): Promise<UserError>;
  /** Checks that must pass before any stage of the command starts work (cheap, or hours are at stake). */
  preflight?(ctx: StageContext): Promise<void>;
  run(ctx: StageContext): Promise<void>;
  /** False when the work done does not stand for the whole stage (a shard, one phase): no marker. */
  complete?(ctx: StageContext): boolean;
}

async function hashFile(path: string): Promise<string | undefined> {
  try {
    return sha256Of(await readFile(path));
  } catch {
    return undefined;
  }
}

function needConfig(ctx: StageContext): ExperimentInputs {
  if (!ctx.inputs) throw new Error(`stage needs a config, and ${ctx.command} gave none`);
  return ctx.inputs;
}

function kindOf(stage: 'train-pconv' | 'train-conv'): ModelKindName {
  return stage === 'train-pconv' ? 'pconv' : 'conv';
}

async function trainInputs(ctx: StageContext, kind: ModelKindName): Promise<string> {
  const inputs = needConfig(ctx);
  const splits = await inputs.splits();
  return sha256Of(`${inputs.trainHashOf(kind)}|${splits.train.length}|${splits.validation.length}|${await inputs.trainData()}`);
}

async function latestMeta(layout: RunLayout, kind: ModelKindName): Promise<CheckpointMeta | undefined> {
  return loadCheckpointMeta(layout.checkpoint(kind, 'latest')).catch(() => undefined);
}

/**
 * Training of one model through both phases. `run` resumes a checkpoint of the same config and
 * refuses to replace one of another config unless asked (--from / --only): hours of training are
 * not overwritten because a config was edited.
 */
function trainStage(stage: 'train-pconv' | 'train-conv'): StageDefinition {
  const kind = kindOf(stage);
  return {
    stage,
    needs: [],
    inputs: (ctx) => trainInputs(ctx, kind),
    outputs: async (layout) => {
      const dir = layout.checkpoint(kind, 'phase2');
      if (!(await verifyCheckpoint(dir)).ok) return undefined;
      return hashFile(join(dir, CHECKPOINT_FILES.meta));
    },
    preflight: async (ctx) => {
      const inputs = needConfig(ctx);
      checkTrainingFits(await inputs.backend(), inputs.config, kind);
      await refuseTestMasksForTraining(inputs.config, ctx.layout.dir);
      if (ctx.command !== 'train') await refuseOtherConfigCheckpoint(ctx, kind);
    },
    complete: (ctx) => ctx.options.train?.phases === undefined,
    run: async (ctx) => {
      const inputs = needConfig(ctx);
      const { config } = inputs;
      if (ctx.options.train?.phases === undefined && !ctx.options.train?.restart && (await restoreFinalCheckpoint(ctx, kind))) return;
      const splits = await inputs.splits();
      const asked = ctx.options.train;
      let resume = asked?.resume ?? false;
      let restart = asked?.restart ?? false;
      if (ctx.command !== 'train') {
        // run: continue a checkpoint of this config; one of another config was refused in preflight unless forced.
        const latest = await latestMeta(ctx.layout, kind);
        resume = latest?.configHash === inputs.trainHashOf(kind);
        restart = !resume;
      }
      const result = await trainModel({
        config,
        configHash: inputs.trainHashOf(kind),
        kind,
        runDir: ctx.layout.dir,
        backend: await inputs.backend(),
        trainFiles: splits.train,
        validationFiles: splits.validation,
        phases: asked?.phases,
        resume,
        restart,
        features: await inputs.features(),
        signal: ctx.signal,
        onEvent: ctx.emit,
      });
      ctx.products.training = [...(ctx.products.training ?? []), result];
      await writeTrainingRecord(ctx, inputs.config, result, { train: splits.train.length, validation: splits.validation.length });
    },
  };
}

/**
 * A finished training's phase-2 checkpoint is a copy of its latest one: when the phase-2 copy is
 * damaged or gone and the latest is whole, the latest is copied back instead of training again
 * (the trainer would find nothing left to do and leave the stage without its output).
 */
async function restoreFinalCheckpoint(ctx: StageContext, kind: ModelKindName): Promise<boolean> {
  const latestDir = ctx.layout.checkpoint(kind, 'latest');
  const phase2Dir = ctx.layout.checkpoint(kind, 'phase2');
  const latest = await verifyCheckpoint(latestDir);
  if (!latest.ok || latest.meta.phase !== 2 || !latest.meta.phaseFinished || latest.meta.configHash !== needConfig(ctx).trainHashOf(kind)) return false;
  const phase2 = await verifyCheckpoint(phase2Dir);
  if (phase2.ok) return false;
  const staging = await makeStagingDir(phase2Dir);
  await cp(latestDir, staging, { recursive: true });
  await replaceDir(staging, phase2Dir);
  ctx.emit({ type: 'log', level: 'warn', message: `${phase2.problem}; restored it from ${latestDir}, which holds the same finished training` });
  return true;
}

async function refuseOtherConfigCheckpoint(ctx: StageContext, kind: ModelKindName): Promise<void> {
  if (ctx.forced) return;
  const inputs = needConfig(ctx);
  const latest = await latestMeta(ctx.layout, kind);
  if (!latest) return;
  if (latest.configHash === inputs.trainHashOf(kind)) {
    // The same config on other photos: a finished model would be called up to date without having
    // seen them, and retraining it would replace it unasked. An unfinished one resumes on the
    // photos as they are (how a bad photo is fixed mid-training).
    if (latest.phase === 2 && latest.phaseFinished && ctx.marker && ctx.marker.inputs !== ctx.inputsHash) {
      const stage = kind === 'pconv' ? 'train-pconv' : 'train-conv';
      throw new UserError(
        'TRAIN_DATA_CHANGED',
        `the training or validation photos changed since the ${kind} model in ${ctx.layout.modelCheckpoints(kind)} finished training`,
        {
          details: [
            `${describeDataFolders(inputs.config.data, ['train', 'validation'])}: a photo added, removed, replaced or touched (names, sizes and modification times are compared)`,
          ],
          hint: `To train again on the photos as they are now, replacing that model, pass --from ${stage}; to keep it, put the photos back or use another run folder (--run).`,
        },
      );
    }
    return;
  }
  const changes = configDifferences(trainingPartOf(latest.config, kind), trainingPartOf(inputs.config as unknown as Record<string, unknown>, kind));
  const stage = kind === 'pconv' ? 'train-pconv' : 'train-conv';
  throw new UserError(
    'CHECKPOINT_CONFIG_CHANGED',
    `${ctx.layout.modelCheckpoints(kind)} holds a ${kind} model trained with other settings (step ${latest.step})`,
    {
      details: changes.length ? changes.slice(0, 12) : ['(the recorded config differs in a way that does not show as a key: e.g. from an older pconv-bench)'],
      hint: `To train again with this config and replace that model, pass --from ${stage}; to keep it, use another run folder (--run) or the config it was trained with.`,
    },
  );
}

/** training.json: the last training of each model, with the loss settings it ran with. */
async function writeTrainingRecord(
  ctx: StageContext,
  config: ExperimentConfig,
  result: TrainResult,
  images: { train: number; validation: number },
): Promise<void> {
  let earlier: { models?: TrainResult[] } = {};
  try {
    earlier = JSON.parse(await readFile(ctx.layout.training, 'utf8'));
  } catch {
    // None yet, or unreadable: this training starts the record afresh.
  }
  const { vgg, ...lossWeights } = config.loss;
  const record = {
    version: ctx.versions['pconv-bench'],
    config: ctx.configFile ?? null,
    backend: needConfig(ctx).startedBackendRecord(),
    // Recorded so a report can say when the perceptual and style terms were off (no VGG16 weights).
    loss: { ...lossWeights, vgg: vgg ? { weights: vgg.weights, preprocessing: vgg.preprocessing } : null },
    // The split sizes the models trained and validated on, for the report's methods section.
    images,
    finishedAt: new Date().toISOString(),
    models: [...(earlier.models ?? []).filter((m) => m.kind !== result.kind), result],
  };
  await writeFileAtomic(ctx.layout.training, `${JSON.stringify(record, null, 1)}\n`);
}

const masksStage: StageDefinition = {
  stage: 'masks',
  needs: [],
  inputs: async (ctx) => {
    const { config } = needConfig(ctx);
    return sha256Of(stableStringify(maskSetSpecOf(config.masks, config.data.imageSize, config.seed)));
  },
  outputs: async (layout) => ((await verifyMaskSet(layout.masksDir)).ok ? hashFile(layout.maskManifest) : undefined),
  missing: async (layout) => {
    const check = await verifyMaskSet(layout.masksDir);
    const none = !check.ok && check.file === MASK_MANIFEST_FILE && check.problem.endsWith('is missing');
    return new UserError('MASKS_MISSING', none ? `there is no test mask set in ${layout.masksDir}` : `the test mask set in ${layout.masksDir} is not whole`, {
      details: check.ok || none ? [] : [check.problem],
      hint: 'Make it again with `pconv-bench masks <config>` (or `pconv-bench run <config>`, which does it first).',
    });
  },
  complete: (ctx) => ctx.options.masks?.shard === undefined,
  run: async (ctx) => {
    const { config } = needConfig(ctx);
    const asked = ctx.options.masks;
    ctx.products.masks = await writeMaskSet(maskSetSpecOf(config.masks, config.data.imageSize, config.seed), {
      outDir: ctx.layout.dir,
      force: asked ? (asked.replace ?? false) : true,
      workers: asked?.workers,
      shard: asked?.shard,
      signal: ctx.signal,
      onEvent: ctx.emit,
    });
  },
};

const evalStage: StageDefinition = {
  stage: 'eval',
  needs: ['masks'],
  inputs: async (ctx) => {
    const inputs = needConfig(ctx);
    const asked = ctx.options.eval;
    // The inference engine and the extra scorers are inputs: `run --inference tfjs` after an auto
    // run re-evaluates rather than keep ONNX Runtime's numbers.
    return sha256Of(
      [
        ctx.upstream.masks,
        ctx.upstream['train-pconv'],
        ctx.upstream['train-conv'],
        await filesFingerprint((await inputs.splits()).test, splitRoot(inputs.config.data, 'test')),
        `inference=${asked?.engine ?? 'auto'}`,
        // A run evaluated before the drill-down existed evaluates again (from its kept scores) to make one.
        `drilldown=${DRILLDOWN_FORMAT}`,
        ...(asked?.classical === false ? ['classical=off'] : []),
        ...(asked?.external ?? []).map((e) => `external=${e.name}:${e.dir}`),
        // Each published model by its weights' contents: adding one, or changing its file, re-evaluates.
        ...(await Promise.all(
          publishedModelsOf(inputs.config, asked?.published).map(async (m) => `published=${m.name}:${m.format}:${await weightsSha256(m.file, m.name)}`),
        )),
      ].join('|'),
    );
  },
  outputs: async (layout) => {
    const checked = await checkEvalOutputs(layout);
    return 'hash' in checked ? checked.hash : undefined;
  },
  missing: async (layout) => {
    const checked = await checkEvalOutputs(layout);
    return 'problem' in checked ? checked.problem : new UserError('RESULTS_MISSING', `${layout.results} changed while it was read`);
  },
  complete: (ctx) => ctx.options.eval?.shard === undefined,
  // Every test image decoded before the first stage starts: a bad one found after both trainings
  // would cost their hours (eval alone finds it a moment earlier than its first batch would).
  preflight: async (ctx) => {
    const inputs = needConfig(ctx);
    const test = (await inputs.splits()).test;
    await checkImagesReadable(test, {
      root: splitRoot(inputs.config.data, 'test'),
      excludeHint: excludeHintOf(inputs.config.data, ['test']),
      decode: true,
      signal: ctx.signal,
      onProgress: (done, total) => ctx.emit({ type: 'progress', stage: 'test images', done, total, unit: 'images' }),
    });
    // A test image smaller than data.imageSize is refused by eval; found here, before the trainings.
    // Headers only, cached: eval's own check of the same files reads none again.
    await inspectTestImages(test, inputs.config.data.imageSize, splitRoot(inputs.config.data, 'test'));
  },
  run: async (ctx) => {
    const inputs = needConfig(ctx);
    const asked = ctx.options.eval ?? {};
    const scores = await scoreRun({
      config: inputs.config,
      configHash: inputs.trainHash,
      runDir: ctx.layout.dir,
      backend: await inputs.backend(),
      testFiles: (await inputs.splits()).test,
      versions: ctx.versions,
      engine: asked.engine,
      workers: asked.workers,
      batchSize: asked.batchSize,
      classical: asked.classical,
      external: asked.external,
      published: asked.published,
      shard: asked.shard,
      // run --from / --only scores afresh; an interrupted or outdated eval keeps the per-pair
      // scores that are still valid (the eval command says which with --restart).
      restart: asked.restart ?? ctx.forced,
      signal: ctx.signal,
      onEvent: ctx.emit,
    });
    if (asked.shard) {
      ctx.products.evalShard = await writeEvalShard(ctx.layout.dir, scores, asked.shard);
      return;
    }
    ctx.products.results = await writeEvaluation(ctx.layout.dir, summariseScores(scores), scores.drilldown);
  },
};

const reportStage: StageDefinition = {
  stage: 'report',
  needs: ['eval'],
  inputs: async (ctx) => ctx.upstream.eval ?? '',
  // The report and the table of pairs it links to.
  outputs: async (layout) => {
    const [report, pairs] = await Promise.all([hashFile(layout.report), hashFile(layout.pairsPage)]);
    return report !== undefined && pairs !== undefined ? sha256Of(`${report}|${pairs}`) : undefined;
  },
  run: async (ctx) => {
    ctx.products.report = await writeReport(ctx.layout.dir);
    for (const note of ctx.products.report.notes) ctx.emit({ type: 'log', level: 'warn', message: note });
  },
};

/** The experiment, stage by stage, in the order `run` walks it. */
export const STAGE_TABLE: readonly StageDefinition[] = [masksStage, trainStage('train-pconv'), trainStage('train-conv'), evalStage, reportStage];

/** The config as the run folder keeps it, headed by where it came from. */
export function resolvedConfigText(config: ExperimentConfig, configFile: string): string {
  return `# resolved from ${configFile}\n${stringify(config)}`;
}
