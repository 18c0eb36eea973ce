import * as tf from '@tensorflow/tfjs';
import { type ExperimentConfig, usesVggFeatures } from '../core/config/schema.js';
import { onReferenceBackend } from '../core/engine/backend.js';
import { createPredictor, type InferenceEngineRequest } from '../core/infer/predictor.js';
import { inpaintingLoss, LOSS_TERM_NAMES, type LossTerms } from '../core/model/inpainting-loss.js';
import { modelInputs } from '../core/model/model-inputs.js';
import { buildNetwork, weightMap } from '../core/model/network.js';
import type { VerifyResult } from '../protocol/bench.js';
import type { OnEvent } from '../protocol/events.js';
import type { BenchFeatures } from './bench-features.js';
import { maxRelativeDifference } from './max-relative-difference.js';
import { type SyntheticBatch, syntheticBatch } from './synthetic-batch.js';

/**
 * Tolerances of the comparison with the cpu backend, as max |ours - cpu| / max |cpu| per tensor.
 * Float32 kernels that sum in another order (XNNPACK's tiling, SIMD, threads) differ by ~1e-6
 * relative per convolution; measured for wasm against cpu on the paper-width UNet at 64x64: 7e-7
 * in the output, 1e-6 in the loss, 4e-4 in the worst gradient. A wrong kernel (wrong padding, a
 * transposed filter, a missed renormalisation, a wrong batch offset) is off by 1e-1 or more.
 */
export const VERIFY_TOLERANCES = { output: 1e-3, loss: 1e-3, gradients: 1e-2 } as const;

/** Gradients are compared relative to at least this share of the largest gradient (see verifyAgainstCpu). */
export const GRADIENT_FLOOR = 1e-3;

function maxAbs(values: Float32Array): number {
  let max = 0;
  for (const v of values) max = Math.max(max, Math.abs(v));
  return max;
}

export interface VerifyOptions {
  /** A bench config at the verification size (small: the cpu backend is slow). */
  readonly config: ExperimentConfig;
  /** The name of the backend under test, active now (for the messages and the result). */
  readonly backend: string;
  /** Makes the loss's feature extractor on the active backend (called once per backend). */
  readonly makeFeatures: () => Promise<BenchFeatures>;
  /** The inference engine bench timed: its clipped output is checked against the cpu backend's too. */
  readonly inference?: InferenceEngineRequest;
  readonly onEvent?: OnEvent;
}

/** What one backend computed on the shared inputs and weights. */
interface Computed {
  readonly weights: Map<string, Float32Array>;
  readonly output: Float32Array;
  readonly losses: Map<string, number>;
  readonly gradients: Map<string, Float32Array>;
  /** The inference engine's clipped output on the same weights and inputs, and what ran it. */
  readonly engine?: { readonly name: string; readonly output: Float32Array };
}

/**
 * Runs the same network, weights and inputs on the backend under test and on the cpu backend (the
 * reference: plain JavaScript) and compares the inference output, every loss term and the gradient
 * of every trainable weight. Leaves the backend under test active again.
 */
export async function verifyAgainstCpu(options: VerifyOptions): Promise<VerifyResult> {
  const { config } = options;
  const started = performance.now();
  const emit = options.onEvent ?? (() => {});
  const train = config.train;
  if (!train) throw new Error('verifyAgainstCpu: the config has no train section');
  const batch = syntheticBatch(config.data.imageSize, train.batchSize, config.seed + 1);
  emit({ type: 'log', level: 'info', message: `verify: ${options.backend} at ${config.data.imageSize}x${config.data.imageSize}, batch ${train.batchSize}` });
  const ours = await computeOnActiveBackend(config, batch, options.makeFeatures, undefined, options.inference);
  const reference = await onReferenceBackend(() => {
    emit({ type: 'log', level: 'info', message: 'verify: the same on the cpu backend (plain JavaScript, slow)' });
    return computeOnActiveBackend(config, batch, options.makeFeatures, ours.weights);
  });
  const checks = [
    check('inference output', [['output', ours.output, reference.output]], VERIFY_TOLERANCES.output),
    // What bench timed for inference when another engine ran it (ONNX Runtime): the same network
    // exported with the same weights, against the cpu backend's output clipped as inference clips it.
    ...(ours.engine && !ours.engine.name.startsWith('TensorFlow.js') ? [engineCheck(ours.engine, reference.output)] : []),
    check(
      'loss terms',
      [...reference.losses].map(([name, value]) => [name, Float32Array.of(ours.losses.get(name) ?? Number.NaN), Float32Array.of(value)]),
      VERIFY_TOLERANCES.loss,
    ),
    check(
      'gradients',
      [...reference.gradients].map(([name, g]) => [name, ours.gradients.get(name) ?? new Float32Array(g.length).fill(Number.NaN), g]),
      VERIFY_TOLERANCES.gradients,
      // A convolution's bias right before batch norm has a gradient of exactly 0 in theory (batch
      // norm removes any constant), so both backends return rounding noise there: measured against
      // that noise it would read as a 1e1 difference. Scaling every gradient by at least 1e-3 of the
      // largest one keeps such tensors quiet while an error in any tensor that carries gradient shows.
      GRADIENT_FLOOR * Math.max(...[...reference.gradients.values()].map(maxAbs)),
    ),
  ];
  return {
    backend: options.backend,
    size: config.data.imageSize,
    batch: train.batchSize,
    loss: usesVggFeatures(config.loss) ? 'full' : 'l1',
    checks,
    ok: checks.every((c) => c.ok),
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * The inference engine's clipped output against the cpu backend's, clipped alike. Values that both
 * clip to 0 or 1 prove nothing, so the check also fails when fewer than 1 in 50 lie inside (0, 1).
 */
function engineCheck(engine: { name: string; output: Float32Array }, reference: Float32Array): VerifyResult['checks'][number] {
  const clipped = reference.map((v) => Math.min(1, Math.max(0, v)));
  const name = `inference output (${engine.name})`;
  const inside = clipped.filter((v) => v > 0 && v < 1).length;
  if (inside * 50 < clipped.length)
    return {
      name,
      maxRelativeDifference: Number.MAX_VALUE,
      worst: `only ${inside} of ${clipped.length} outputs inside (0, 1)`,
      tolerance: VERIFY_TOLERANCES.output,
      ok: false,
    };
  return check(name, [['output', engine.output, clipped]], VERIFY_TOLERANCES.output);
}

function check(name: string, pairs: [string, Float32Array, Float32Array][], tolerance: number, floor = 0): VerifyResult['checks'][number] {
  let worst = { name: '-', value: -1 };
  for (const [label, a, b] of pairs) {
    const value = maxRelativeDifference(a, b, floor);
    if (value > worst.value) worst = { name: label, value };
  }
  // JSON has no Infinity: report a mismatch as a huge finite number (the check fails either way).
  const reported = Number.isFinite(worst.value) ? worst.value : Number.MAX_VALUE;
  return { name, maxRelativeDifference: reported, worst: worst.name, tolerance, ok: worst.value <= tolerance };
}

async function computeOnActiveBackend(
  config: ExperimentConfig,
  batch: SyntheticBatch,
  makeFeatures: () => Promise<BenchFeatures>,
  initial?: ReadonlyMap<string, Float32Array>,
  engine?: InferenceEngineRequest,
): Promise<Computed> {
  const net = buildNetwork(config, 'pconv');
  const { extractor } = await makeFeatures();
  try {
    const weights = weightMap(net);
    if (initial) {
      for (const [key, w] of weights) {
        const values = initial.get(key);
        if (!values) throw new Error(`verify: no initial value for ${key}`);
        tf.tidy(() => {
          w.write(tf.tensor(values, w.shape as number[]));
        });
      }
    }
    const weightValues = new Map<string, Float32Array>();
    for (const [key, w] of weights) weightValues.set(key, (await w.read().data()) as Float32Array);
    const { count, size } = batch;
    const images = tf.tensor4d(batch.images, [count, size, size, 3]);
    const mask = tf.tensor4d(batch.masks, [count, size, size, 1]);
    const { input, mask: modelMask } = modelInputs('pconv', images, mask, config.model);
    // Inference first: the training pass below updates the batch-norm moving statistics.
    const output = tf.tidy(() => net.predict(input, modelMask, false));
    let engineOutput: Computed['engine'];
    if (engine) {
      const predictor = await createPredictor(net, { kind: 'pconv', size, baselineFill: config.model.baselineFill, engine });
      try {
        engineOutput = { name: predictor.engine, output: await predictor.predict(batch.images, batch.masks, count) };
      } finally {
        await predictor.dispose();
      }
    }
    const trainable = [...weights].filter(([, w]) => w.trainable);
    const keyOf = new Map(trainable.map(([key, w]) => [(w.read() as tf.Variable).name, key]));
    let terms: LossTerms | undefined;
    const { grads } = tf.variableGrads(
      () => {
        terms = inpaintingLoss(images, net.predict(input, modelMask, true), mask, config.loss, extractor);
        for (const name of LOSS_TERM_NAMES) tf.keep(terms[name]);
        return terms.total;
      },
      trainable.map(([, w]) => w.read() as tf.Variable),
    );
    const losses = new Map<string, number>();
    for (const name of LOSS_TERM_NAMES) losses.set(name, (await (terms as LossTerms)[name].data())[0] as number);
    const gradients = new Map<string, Float32Array>();
    for (const [name, g] of Object.entries(grads)) gradients.set(keyOf.get(name) ?? name, (await g.data()) as Float32Array);
    const result = {
      weights: weightValues,
      output: (await output.data()) as Float32Array,
      losses,
      gradients,
      ...(engineOutput ? { engine: engineOutput } : {}),
    };
    tf.dispose([images, mask, input, modelMask, output, ...Object.values(grads), ...LOSS_TERM_NAMES.map((name) => (terms as LossTerms)[name])]);
    return result;
  } finally {
    extractor?.dispose();
    net.dispose();
  }
}
