import { availableParallelism, cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { type ExperimentConfig, usesVggFeatures } from '../core/config/schema.js';
import type { BackendInfo } from '../core/engine/backend.js';
import { InterruptedError } from '../core/errors.js';
import { createPredictor, type InferenceEngineRequest } from '../core/infer/predictor.js';
import type { FeatureExtractor } from '../core/model/inpainting-loss.js';
import { buildNetwork, weightMap } from '../core/model/network.js';
import { Adam } from '../core/train/adam.js';
import { trainStep } from '../core/train/trainer.js';
import { refuseWhatCannotFit } from '../core/train/training-memory.js';
import type { BenchResult, BenchSettings } from '../protocol/bench.js';
import type { OnEvent } from '../protocol/events.js';
import { syntheticBatch } from './synthetic-batch.js';
import { summarizeTimings } from './timing.js';

export interface RunBenchmarkOptions {
  /** From benchConfig: model, loss and learning rate exactly as train reads them. */
  readonly config: ExperimentConfig;
  /** The active backend; its threads (where it can say) are recorded with the result. */
  readonly backend: BackendInfo;
  readonly warmup: number;
  readonly repeats: number;
  readonly features?: FeatureExtractor;
  /** Engine of the inference pass, as inpaint and eval choose it (default auto). */
  readonly inference?: InferenceEngineRequest;
  /** How the features were made, for the result (null: no VGG terms). */
  readonly vgg: string | null;
  readonly signal?: AbortSignal;
  readonly onEvent?: OnEvent;
}

/**
 * Times the PConv UNet on the active backend with the functions `train` and `inpaint` use:
 * buildNetwork, the trainer's own trainStep (forward, loss, gradients, Adam, the loss read back) and
 * an inference pass as inpaint and eval run it (createPredictor: ONNX Runtime or TensorFlow.js, clipped output
 * read back).
 * Warm-up steps first (kernel compilation, allocator growth), then `repeats` timed ones; the
 * figures are medians. Peak RSS is the process's high-water mark, read after the timed work.
 */
export async function runBenchmark(options: RunBenchmarkOptions): Promise<BenchResult> {
  const { config, warmup, repeats } = options;
  const train = config.train;
  if (!train) throw new Error('runBenchmark: the config has no train section (benchConfig makes one)');
  if (!(Number.isInteger(warmup) && warmup >= 0 && Number.isInteger(repeats) && repeats >= 1))
    throw new RangeError(`runBenchmark: warmup must be >= 0 and repeats >= 1 (integers), not ${warmup} and ${repeats}`);
  const emit = options.onEvent ?? (() => {});
  const started = performance.now();
  const size = config.data.imageSize;
  const batchSize = train.batchSize;
  const batch = syntheticBatch(size, batchSize, config.seed);
  const net = buildNetwork(config, 'pconv');
  refuseWhatCannotFit(options.backend, net, config, batchSize, 'bench: training', { size: '--size', batch: '--batch' });
  const adam = new Adam(train.phase1.learningRate);
  // Phase 1's variable list, as trainModel builds it: every trainable weight.
  const trainable = new Map<string, tf.Variable>();
  let totalParameters = 0;
  let trainableParameters = 0;
  for (const [key, w] of weightMap(net)) {
    const count = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
    totalParameters += count;
    if (w.trainable) {
      trainable.set(key, w.read() as tf.Variable);
      trainableParameters += count;
    }
  }
  const checkAbort = () => {
    if (options.signal?.aborted) throw new InterruptedError('bench: interrupted');
  };

  try {
    const stepTimes: number[] = [];
    const tensorCounts: number[] = [];
    let lastLoss = Number.NaN;
    for (let i = 0; i < warmup + repeats; i++) {
      checkAbort();
      const t0 = performance.now();
      const losses = await trainStep(net, 'pconv', config, batch, trainable, adam, options.features);
      const ms = performance.now() - t0;
      lastLoss = losses.total;
      if (i >= warmup) {
        stepTimes.push(ms);
        tensorCounts.push(tf.memory().numTensors);
      }
      emit({ type: 'progress', stage: 'bench-train', done: i + 1, total: warmup + repeats, unit: 'steps', metrics: { ms, loss: losses.total } });
    }
    const memoryAfterTraining = numericFields(tf.memory());

    // The trained weights go to the inference engine once, as inpaint and eval do (not timed).
    const predictor = await createPredictor(net, { kind: 'pconv', size, baselineFill: config.model.baselineFill, engine: options.inference ?? 'auto' });
    const inferenceTimes: number[] = [];
    for (const note of predictor.notes) emit({ type: 'log', level: 'info', message: note });
    try {
      for (let i = 0; i < warmup + repeats; i++) {
        checkAbort();
        const t0 = performance.now();
        await predictor.predict(batch.images, batch.masks, batchSize);
        const ms = performance.now() - t0;
        if (i >= warmup) inferenceTimes.push(ms);
        emit({ type: 'progress', stage: 'bench-inference', done: i + 1, total: warmup + repeats, unit: 'batches', metrics: { ms } });
      }
    } finally {
      await predictor.dispose();
    }

    const step = summarizeTimings(stepTimes);
    const inference = summarizeTimings(inferenceTimes);
    const settings: BenchSettings = {
      size,
      batch: batchSize,
      loss: usesVggFeatures(config.loss) ? 'full' : 'l1',
      levels: config.model.levels,
      baseChannels: config.model.baseChannels,
      maxChannels: config.model.maxChannels,
      head: config.model.head,
      warmup,
      repeats,
      vgg: options.vgg,
      lossWeights: { valid: config.loss.valid, hole: config.loss.hole, perceptual: config.loss.perceptual, style: config.loss.style, tv: config.loss.tv },
      learningRate: train.phase1.learningRate,
    };
    return {
      tool: 'pconv-bench',
      framework: `@tensorflow/tfjs ${tf.version.tfjs}`,
      backend: { name: options.backend.name, version: options.backend.version, device: options.backend.device, threads: options.backend.threads },
      machine: { cpu: cpus()[0]?.model.trim() ?? 'unknown CPU', cores: availableParallelism(), runtime: `Node ${process.version}` },
      settings,
      parameters: { trainable: trainableParameters, total: totalParameters },
      train: { msPerStep: step, stepsPerSecond: 1000 / step.median, imagesPerSecond: (1000 * batchSize) / step.median, lastLoss },
      inference: { engine: predictor.engine, msPerBatch: inference, imagesPerSecond: (1000 * batchSize) / inference.median },
      memory: {
        peakRssBytes: process.resourceUsage().maxRSS * 1024,
        framework: memoryAfterTraining,
        tensorsLeakedPerStep: tensorCounts.length > 1 ? ((tensorCounts.at(-1) as number) - (tensorCounts[0] as number)) / (tensorCounts.length - 1) : null,
      },
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    adam.dispose();
    net.dispose();
  }
}

/** The numeric fields of tf.memory() (backends add their own, e.g. numBytesInGPU on webgpu). */
function numericFields(info: object): Record<string, number> {
  return Object.fromEntries(Object.entries(info).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
}
