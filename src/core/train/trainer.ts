import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { OnEvent } from '../../protocol/events.js';
import { type CheckpointSlot, runLayout } from '../../protocol/run-layout.js';
import { trainLogLineText, type ValidationQuality } from '../../protocol/training-log.js';
import { type ExperimentConfig, lossWeightsOf, trainingSeed, usesVggFeatures } from '../config/schema.js';
import { type Batch, BatchSource } from '../data/batch-source.js';
import { checkImagesReadable } from '../data/check-images.js';
import { concatFloat32 } from '../data/concat-float32.js';
import { excludeHintOf, splitRoot } from '../data/image-list.js';
import { CENTRE_CROP, loadImageCrop } from '../data/load-image.js';
import { describeLoaderStats, type LoaderStats } from '../data/loader-stats.js';
import type { BackendInfo } from '../engine/backend.js';
import { InterruptedError, UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { type FeatureExtractor, inpaintingLoss, LOSS_TERM_NAMES, type LossTerms, type LossWeights } from '../model/inpainting-loss.js';
import { modelInputs } from '../model/model-inputs.js';
import { buildNetwork, weightMap } from '../model/network.js';
import type { InpaintingUNet, ModelKind } from '../model/unet.js';
import { deriveSeed } from '../rng.js';
import { EventFileWriter } from '../tensorboard/event-file-writer.js';
import { trainStepValues, validationValues } from '../tensorboard/training-summaries.js';
import { Adam } from './adam.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { describeWeightedTerms, lossBalanceWarning, weightedLossTerms } from './loss-balance.js';
import { writeSampleGrid } from './sample-grid.js';
import { restoreWeights } from './trained-network.js';
import { refuseTestMasksForTraining, trainingMaskSampler } from './training-masks.js';
import { refuseWhatCannotFit } from './training-memory.js';
import { validationQuality } from './validation-quality.js';

export type Phase = 1 | 2;

/** One value per loss term, as logged. */
export type LossValues = Record<(typeof LOSS_TERM_NAMES)[number], number>;

export interface TrainOptions {
  readonly config: ExperimentConfig;
  /** Hash of the resolved config; a checkpoint of another config is not resumed. */
  readonly configHash: string;
  readonly kind: ModelKind;
  readonly runDir: string;
  readonly backend: BackendInfo;
  readonly trainFiles: readonly string[];
  readonly validationFiles: readonly string[];
  /** Phases to run now (default both). */
  readonly phases?: readonly Phase[];
  /** Continue from the latest checkpoint. */
  readonly resume?: boolean;
  /** Delete this model's checkpoints and log and start over. */
  readonly restart?: boolean;
  readonly features?: FeatureExtractor;
  readonly signal?: AbortSignal;
  readonly onEvent?: OnEvent;
}

export interface TrainResult {
  readonly kind: ModelKind;
  /** Global steps done (phase 1 and phase 2 together). */
  readonly step: number;
  readonly lastLosses: LossValues | undefined;
  readonly checkpoint: string;
  readonly seconds: number;
  /** The loss weights it trained with: loss.*, overridden by loss.baseline for the baseline. */
  readonly lossWeights: LossWeights;
  /** The last validation pass of this call (absent if none ran). */
  readonly lastValidation?: ValidationResult;
  /** Whether the data loader kept up in this call: images/s needed vs delivered, waits (absent if no step ran). */
  readonly dataLoader?: LoaderStats;
}

/** One validation pass: the loss on the validation pairs and the quality of the composited predictions. */
export interface ValidationResult {
  readonly step: number;
  readonly phase: Phase;
  readonly loss: LossValues;
  readonly quality: ValidationQuality;
}

export function checkpointDir(runDir: string, kind: ModelKind, which: CheckpointSlot): string {
  return runLayout(runDir).checkpoint(kind, which);
}

export function trainingLogPath(runDir: string, kind: ModelKind): string {
  return runLayout(runDir).trainLog(kind);
}

/**
 * Trains one model through the paper's two phases with a custom loop (not model.fit): Adam,
 * phase 1 with batch norm in training mode everywhere, phase 2 with the encoder's batch norm frozen
 * (statistics neither used from the batch nor updated; gamma/beta frozen too if configured) at
 * its own learning rate. Checkpoints (weights, optimizer state, step, phase, config hash) are
 * written atomically every train.checkpointEvery steps and at each phase end; batches are a pure
 * function of (seed, step), so a resumed run continues exactly. Ctrl-C saves a checkpoint and
 * throws InterruptedError; a NaN or infinite loss stops with the last good checkpoint kept. Every
 * training and validation image is decoded once before the first step, so an unreadable one
 * stops training before it starts; one spoilt during the run stops it at the step that draws it,
 * with a checkpoint of that step saved and the file named. What the training log gets, a
 * TensorBoard event file under tensorboard/<kind>/ gets too (docs/tensorboard.md).
 */
export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const { config, kind, runDir } = options;
  const train = config.train;
  if (!train)
    throw new UserError('TRAIN_NOT_CONFIGURED', 'the config has no train section', {
      hint: 'Add train: with batchSize, phase1 and phase2 (see configs/demo.yaml).',
    });
  const emit = options.onEvent ?? (() => {});
  const started = performance.now();
  const latestDir = checkpointDir(runDir, kind, 'latest');
  const logPath = trainingLogPath(runDir, kind);
  const phaseEnds: Record<Phase, number> = { 1: train.phase1.steps, 2: train.phase1.steps + train.phase2.steps };
  const lossWeights = lossWeightsOf(kind, config.loss);
  if (kind === 'conv' && config.loss.baseline) {
    const listed = Object.entries(lossWeights)
      .map(([term, weight]) => `${term} ${weight}`)
      .join(', ');
    emit({ type: 'log', level: 'info', message: `${kind}: loss weights ${listed} (loss.baseline over loss.*)` });
  }

  await refuseTestMasksForTraining(config, runDir);
  const net = buildNetwork(config, kind);
  // Before --restart deletes anything: a refused configuration loses nothing.
  refuseWhatCannotFit(options.backend, net, config, train.batchSize, `training ${kind}`);
  try {
    await checkTrainingImages(options, emit);
  } catch (error) {
    net.dispose();
    throw error;
  }
  if (options.restart) {
    await rm(runLayout(runDir).modelCheckpoints(kind), { recursive: true, force: true });
    await rm(logPath, { force: true });
    await rm(runLayout(runDir).tensorboard(kind), { recursive: true, force: true });
  }
  const adam = new Adam(train.phase1.learningRate);
  const weights = weightMap(net);
  let step = 0;
  const existing = await loadCheckpoint(latestDir).catch((error: unknown) => {
    if (error instanceof UserError && error.code === 'CHECKPOINT_MISSING') return undefined;
    throw error;
  });
  if (existing) {
    if (!options.resume) {
      throw new UserError('TRAIN_EXISTS', `${kind} already has a checkpoint at step ${existing.meta.step} in ${latestDir}`, {
        hint: 'Pass --resume to continue it, or --restart to start over.',
      });
    }
    if (existing.meta.configHash !== options.configHash) {
      throw new UserError('CHECKPOINT_CONFIG_CHANGED', `the checkpoint in ${latestDir} was made with another config`, {
        hint: 'Resume with the config it was trained with, or pass --restart to start over.',
      });
    }
    restoreWeights(net, existing);
    const restored = (prefix: string) =>
      new Map([...existing.tensors].filter(([key]) => key.startsWith(prefix)).map(([key, t]) => [key.slice(prefix.length), tf.tensor(t.values, t.shape)]));
    adam.restore({ t: existing.meta.optimizer.t, m: restored('adam.m/'), v: restored('adam.v/') });
    step = existing.meta.step;
    await truncateLog(logPath, step);
    emit({ type: 'log', level: 'info', message: `${kind}: resuming at step ${step} (phase ${existing.meta.phase})` });
  }

  const source = new BatchSource({
    files: options.trainFiles,
    size: config.data.imageSize,
    batchSize: train.batchSize,
    seed: deriveSeed(trainingSeed(config), 'train', kind),
    masks: await trainingMaskSampler(config),
  });
  const validation = await validationSet(config, options.validationFiles);
  let lastLosses: LossValues | undefined;
  let lastValidation: ValidationResult | undefined;
  await mkdir(runLayout(runDir).logsDir, { recursive: true });
  // Opened at the first step that runs, so a call with nothing left to do leaves no empty file.
  let events: EventFileWriter | undefined;

  const save = async (phase: Phase, phaseFinished: boolean, dirs: string[]) => {
    const tensors = new Map<string, tf.Tensor>();
    for (const [key, w] of weights) tensors.set(key, w.read());
    const state = adam.state();
    for (const [key, t] of state.m) tensors.set(`adam.m/${key}`, t);
    for (const [key, t] of state.v) tensors.set(`adam.v/${key}`, t);
    const meta = {
      model: kind,
      phase,
      step,
      phaseFinished,
      seed: trainingSeed(config),
      optimizer: { kind: 'adam' as const, t: state.t, learningRate: adam.learningRate },
      configHash: options.configHash,
      backend: { name: options.backend.name, version: options.backend.version, device: options.backend.device },
      createdAt: new Date().toISOString(),
      config: config as unknown as Record<string, unknown>,
    };
    for (const dir of dirs) await saveCheckpoint(dir, meta, tensors);
  };

  try {
    for (const phase of [1, 2] as const) {
      if (options.phases && !options.phases.includes(phase)) continue;
      const end = phaseEnds[phase];
      if (step >= end) continue;
      if (phase === 2 && step < phaseEnds[1]) {
        throw new UserError('TRAIN_PHASE1_UNFINISHED', `${kind} is at step ${step} of phase 1 (${phaseEnds[1]} steps)`, {
          hint: 'Finish phase 1 first: run train without --phase, or with --phase 1.',
        });
      }
      events ??= await EventFileWriter.open(runLayout(runDir).tensorboard(kind), { firstStep: step + 1 });
      const settings = phase === 1 ? train.phase1 : train.phase2;
      // train.phase2.resetOptimizer: a fresh Adam at phase 2's first step, as PConv-Keras'
      // recompile gives. Only there: a run resumed inside phase 2 keeps the checkpoint's state,
      // which was reset at that step too; one resumed at the phase boundary resets it here.
      if (phase === 2 && step === phaseEnds[1] && train.phase2.resetOptimizer) adam.reset();
      adam.learningRate = settings.learningRate;
      for (const bn of net.encoderBatchNorms()) bn.frozen = settings.freezeEncoderBatchNorm;
      const frozenAffine = new Set(
        settings.freezeEncoderBatchNorm && settings.freezeEncoderBatchNormAffine ? net.encoderBatchNorms().flatMap((bn) => bn.trainableWeights) : [],
      );
      const trainable = new Map<string, tf.Variable>();
      for (const [key, w] of weights) if (w.trainable && !frozenAffine.has(w)) trainable.set(key, w.read() as tf.Variable);
      emit({
        type: 'stage',
        stage: `train-${kind}-phase${phase}`,
        status: 'started',
        message: `steps ${step}..${end}, learning rate ${settings.learningRate}, encoder batch norm ${settings.freezeEncoderBatchNorm ? 'frozen' : 'training'}${phase === 2 && train.phase2.resetOptimizer ? ', Adam reset at phase 2' : ''}`,
      });
      const phaseStart = { time: performance.now(), step };
      for (; step < end; ) {
        if (options.signal?.aborted) {
          await save(phase, false, [latestDir]);
          throw new InterruptedError(`${kind}: interrupted at step ${step}; checkpoint saved`);
        }
        const stepStarted = performance.now();
        let batch: Batch;
        try {
          batch = await source.next(step);
        } catch (error) {
          // A file that became unreadable after the check: keep the steps done, as an interruption does.
          const saved = await save(phase, false, [latestDir]).then(
            () => true,
            () => false,
          );
          throw batchFailure(error, kind, step, phase, saved, latestDir);
        }
        const losses = await trainStep(net, kind, config, batch, trainable, adam, options.features);
        const stepSeconds = (performance.now() - stepStarted) / 1000;
        if (!Number.isFinite(losses.total)) {
          throw new UserError('TRAIN_NOT_FINITE', `${kind}: the loss became ${losses.total} at step ${step} (phase ${phase})`, {
            hint: `Lower train.phase${phase}.learningRate or check the data; the last good checkpoint (${latestDir}) is kept, resume with --resume.`,
          });
        }
        if (step === 0) reportLossBalance(kind, config, losses, emit);
        step++;
        lastLosses = losses;
        await appendFile(logPath, `${trainLogLineText({ type: 'train', model: kind, phase, step, learningRate: settings.learningRate, ...losses })}\n`);
        await events.append(step, { summary: trainStepValues({ phase, learningRate: settings.learningRate, stepSeconds, losses }) });
        const elapsed = (performance.now() - phaseStart.time) / 1000;
        emit({
          type: 'progress',
          stage: `train-${kind}-phase${phase}`,
          done: step - (phase === 1 ? 0 : phaseEnds[1]),
          total: end - (phase === 1 ? 0 : phaseEnds[1]),
          unit: 'steps',
          metrics: {
            loss: losses.total,
            valid: losses.valid,
            hole: losses.hole,
            tv: losses.tv,
            step,
            stepsPerSecond: (step - phaseStart.step) / Math.max(elapsed, 1e-9),
          },
        });
        if (step % train.validateEvery === 0 && validation) {
          const samples = join(runLayout(runDir).samplesDir, `${kind}-step-${String(step).padStart(7, '0')}.png`);
          const { loss, quality, grid } = await validate(net, kind, config, validation, samples, options.features);
          // Relative to the run folder, so the log stays true when the folder moves.
          await appendFile(
            logPath,
            `${trainLogLineText({ type: 'validation', model: kind, phase, step, samples: relative(runDir, samples), ...loss, quality })}\n`,
          );
          await events.append(step, { summary: validationValues({ losses: loss, quality, samples: grid }) });
          lastValidation = { step, phase, loss, quality };
          emit({ type: 'validation', model: kind, phase, step, loss, quality, samples: resolve(samples) });
        }
        if (step % train.checkpointEvery === 0 && step < end) await save(phase, false, [latestDir]);
      }
      await save(phase, true, [checkpointDir(runDir, kind, phase === 1 ? 'phase1' : 'phase2'), latestDir]);
      emit({ type: 'stage', stage: `train-${kind}-phase${phase}`, status: 'finished', message: `loss ${lastLosses?.total.toFixed(4) ?? '-'} at step ${step}` });
    }
  } finally {
    // Every append has finished its write, so closing loses nothing; a failure to close must not hide the error that ended training.
    await events?.close().catch(() => undefined);
    await source.close();
    adam.dispose();
    net.dispose();
    validation?.dispose();
  }
  const dataLoader = source.stats();
  if (dataLoader.batches > 0) emit({ type: 'log', level: 'info', message: `${kind}: ${describeLoaderStats(dataLoader)}` });
  return {
    kind,
    step,
    lastLosses,
    checkpoint: latestDir,
    seconds: (performance.now() - started) / 1000,
    lossWeights,
    ...(lastValidation ? { lastValidation } : {}),
    ...(dataLoader.batches > 0 ? { dataLoader } : {}),
  };
}

/**
 * Decodes every training and validation image once before the first step (checkImagesReadable,
 * fully: ~4 ms a 256x256 photo, less than the loader's one crop of it, so at most one epoch of data
 * loading), so that an unreadable file stops the run now, with all such files named, rather than
 * at the step that first draws it, hours in. Skipped for files already checked unchanged in this
 * process (the second model of `train`).
 */
async function checkTrainingImages(options: TrainOptions, emit: OnEvent): Promise<void> {
  const files = [...options.trainFiles, ...options.validationFiles];
  const started = performance.now();
  await checkImagesReadable(files, {
    root: splitRoot(options.config.data, 'train'),
    excludeHint: excludeHintOf(options.config.data, ['train', 'validation']),
    decode: true,
    signal: options.signal,
    onProgress: (done, total) => emit({ type: 'progress', stage: 'train images', done, total, unit: 'images' }),
  });
  const seconds = (performance.now() - started) / 1000;
  emit({
    type: 'log',
    level: 'info',
    message: `${options.kind}: ${files.length} training and validation images checked, all readable (${seconds.toFixed(1)} s)`,
  });
}

/**
 * What stops training when a batch cannot be loaded: for an unreadable image (load-image's
 * UserError), the same error naming the file, with the step reached and how to go on from it.
 */
function batchFailure(error: unknown, kind: ModelKind, step: number, phase: Phase, saved: boolean, latestDir: string): unknown {
  if (!(error instanceof UserError)) return error;
  const kept = saved ? `checkpoint saved at step ${step}` : `the checkpoint of step ${step} could not be saved; the last one in ${latestDir} is kept`;
  return new UserError(error.code, `${kind}: ${error.message} (in the batch of step ${step}, phase ${phase}); ${kept}`, {
    details: error.details,
    hint: `Remove or replace the file, then continue from the checkpoint in ${latestDir} (train --resume; run resumes by itself). Leaving the file out with data.exclude instead changes the training config, so training would start over.`,
    cause: error,
  });
}

/**
 * Step 0's weighted loss terms, and a warning when one dwarfs the L1 terms (lossBalanceWarning):
 * the first step shows a mismatch of VGG16 weights and preprocessing before hours are spent.
 */
function reportLossBalance(kind: ModelKind, config: ExperimentConfig, losses: LossValues, emit: OnEvent): void {
  const weights = lossWeightsOf(kind, config.loss);
  const terms = weightedLossTerms(losses, weights);
  emit({ type: 'log', level: 'info', message: `${kind} step 0: weighted loss terms ${describeWeightedTerms(terms)} (total ${losses.total.toPrecision(4)})` });
  const warning = lossBalanceWarning(terms, usesVggFeatures(weights) ? config.loss.vgg?.preprocessing : undefined);
  if (warning) emit({ type: 'log', level: 'warn', message: `${kind} step 0: ${warning}` });
}

/** One training step (forward, loss, gradients, Adam update); exported for `pconv-bench bench`, which times exactly this. */
export async function trainStep(
  net: InpaintingUNet,
  kind: ModelKind,
  config: ExperimentConfig,
  batch: { size: number; count: number; images: Float32Array; masks: Float32Array },
  trainable: Map<string, tf.Variable>,
  adam: Adam,
  features?: FeatureExtractor,
): Promise<LossValues> {
  const names = new Map([...trainable].map(([key, v]) => [v.name, key]));
  let kept: LossTerms | undefined;
  const { grads, values } = tf.tidy(() => {
    const images = tf.tensor4d(batch.images, [batch.count, batch.size, batch.size, 3]);
    const mask = tf.tensor4d(batch.masks, [batch.count, batch.size, batch.size, 1]);
    const { input, mask: modelMask } = modelInputs(kind, images, mask, config.model);
    const result = tf.variableGrads(() => {
      const output = net.predict(input, modelMask, true);
      kept = inpaintingLoss(images, output, mask, lossWeightsOf(kind, config.loss), features);
      // variableGrads disposes what its function made except the returned value: keep the terms.
      for (const name of LOSS_TERM_NAMES) tf.keep(kept[name]);
      return kept.total;
    }, [...trainable.values()]);
    const terms = kept as LossTerms;
    const values = tf.keep(tf.stack(LOSS_TERM_NAMES.map((name) => terms[name])));
    tf.dispose(LOSS_TERM_NAMES.map((name) => terms[name]));
    return { grads: result.grads, values };
  });
  const keyed = new Map(Object.entries(grads).map(([name, g]) => [names.get(name) ?? name, g]));
  adam.apply(trainable, keyed);
  tf.dispose(grads);
  const data = await values.data();
  values.dispose();
  return lossValues(data);
}

function lossValues(data: ArrayLike<number>): LossValues {
  return Object.fromEntries(LOSS_TERM_NAMES.map((name, i) => [name, data[i] as number])) as LossValues;
}

interface ValidationSet {
  readonly images: tf.Tensor4D;
  readonly masks: tf.Tensor4D;
  dispose(): void;
}

/**
 * Up to 8 validation images (the first of the validation split), centre-cropped, each with a mask
 * from the training mask sampler seeded by (seed, 'validation-mask', i): the same pairs at every
 * validation of a run, so the loss and quality curves compare like with like.
 */
async function validationSet(config: ExperimentConfig, files: readonly string[]): Promise<ValidationSet | undefined> {
  const chosen = files.slice(0, 8);
  if (chosen.length === 0) return undefined;
  const size = config.data.imageSize;
  const sampler = await trainingMaskSampler(config);
  const images = await Promise.all(chosen.map((file) => loadImageCrop(file, size, CENTRE_CROP)));
  const masks = await Promise.all(
    chosen.map(async (_, i) => Float32Array.from(await sampler(deriveSeed(config.seed, 'validation-mask', i)), (v) => (v === 0 ? 0 : 1))),
  );
  const imageTensor = tf.tensor4d(concatFloat32(images), [chosen.length, size, size, 3]);
  const maskTensor = tf.tensor4d(concatFloat32(masks), [chosen.length, size, size, 1]);
  return { images: imageTensor, masks: maskTensor, dispose: () => tf.dispose([imageTensor, maskTensor]) };
}

/**
 * Validation loss on the fixed pairs, the quality of the composited predictions on them (PSNR, SSIM,
 * hole L1: validationQuality, as evaluation scores), and a grid of the first four as a PNG under
 * samples/ (returned too, for TensorBoard).
 */
async function validate(
  net: InpaintingUNet,
  kind: ModelKind,
  config: ExperimentConfig,
  set: ValidationSet,
  samplePath: string,
  features?: FeatureExtractor,
): Promise<{ loss: LossValues; quality: ValidationQuality; grid: Awaited<ReturnType<typeof writeSampleGrid>> }> {
  const [values, output] = tf.tidy(() => {
    const { input, mask } = modelInputs(kind, set.images, set.masks, config.model);
    const prediction = net.predict(input, mask, false);
    const terms = inpaintingLoss(set.images, prediction, set.masks, lossWeightsOf(kind, config.loss), features);
    return [tf.stack(LOSS_TERM_NAMES.map((name) => terms[name])), tf.clipByValue(prediction, 0, 1)];
  });
  const [data, outputs, images, masks] = await Promise.all([values.data(), output.data(), set.images.data(), set.masks.data()]);
  tf.dispose([values, output]);
  const size = config.data.imageSize;
  const grid = await writeSampleGrid(
    samplePath,
    images as Float32Array,
    masks as Float32Array,
    outputs as Float32Array,
    Math.min(4, set.images.shape[0]),
    size,
  );
  const quality = validationQuality(images as Float32Array, masks as Float32Array, outputs as Float32Array, set.images.shape[0], size);
  return { loss: lossValues(data), quality, grid };
}

/** Drops log lines past the checkpoint's step, so a resumed log reads as one uninterrupted run. */
async function truncateLog(path: string, step: number): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return;
  }
  const kept = text.split('\n').filter((line) => {
    if (!line) return false;
    try {
      const entry = JSON.parse(line) as { step?: number };
      return entry.step !== undefined && entry.step <= step;
    } catch {
      return false;
    }
  });
  await writeFileAtomic(path, kept.length ? `${kept.join('\n')}\n` : '');
}
