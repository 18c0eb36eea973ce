import { z } from 'zod';

/**
 * What one benchmark run reports: `pconv-bench bench --json` (the `data` of its result event) and
 * the PyTorch peer (bench/peers/pytorch_pconv.py, one JSON object on stdout) print this same
 * shape, so `npm run bench:compare` can validate both and put them side by side.
 */
export const TimingSchema = z.strictObject({
  median: z.number().min(0),
  min: z.number().min(0),
  max: z.number().min(0),
  /** Every timed repeat, in order. */
  samples: z.array(z.number().min(0)).min(1),
});
export type Timing = z.infer<typeof TimingSchema>;

export const BenchSettingsSchema = z.strictObject({
  size: z.int().min(1),
  batch: z.int().min(1),
  loss: z.enum(['l1', 'full']),
  levels: z.int().min(2),
  baseChannels: z.int().min(1),
  maxChannels: z.int().min(1),
  head: z.enum(['none', 'sigmoid']),
  warmup: z.int().min(0),
  repeats: z.int().min(1),
  /** How the VGG16 features of the full loss were computed (random weights: same FLOPs as real ones). */
  vgg: z.string().nullable(),
  /** Loss weights used: valid, hole, perceptual, style, tv. */
  lossWeights: z.strictObject({ valid: z.number(), hole: z.number(), perceptual: z.number(), style: z.number(), tv: z.number() }),
  learningRate: z.number().gt(0),
});
export type BenchSettings = z.infer<typeof BenchSettingsSchema>;

export const BenchResultSchema = z.strictObject({
  /** pconv-bench or pytorch. */
  tool: z.string(),
  /** Framework and version, e.g. "@tensorflow/tfjs 4.22.0" or "torch 1.13.1". */
  framework: z.string(),
  backend: z.strictObject({ name: z.string(), version: z.string(), device: z.string(), threads: z.int().min(1).nullable() }),
  machine: z.strictObject({ cpu: z.string(), cores: z.int().min(1), runtime: z.string() }),
  settings: BenchSettingsSchema,
  parameters: z.strictObject({
    /** Weights the optimiser updates. */
    trainable: z.int().min(0),
    /** Trainable plus batch-norm moving statistics (what a checkpoint holds). */
    total: z.int().min(0),
  }),
  train: z.strictObject({
    /** One step: forward, loss, backward, Adam update, and reading the loss back. */
    msPerStep: TimingSchema,
    stepsPerSecond: z.number().min(0),
    imagesPerSecond: z.number().min(0),
    /** Loss of the last timed step (a finite number shows the step did real work). */
    lastLoss: z.number(),
  }),
  inference: z.strictObject({
    /** What ran it: ONNX Runtime or TensorFlow.js and its backend (absent in older results and in peers). */
    engine: z.string().optional(),
    /** One batch forward in inference mode, output clipped to [0, 1] and read back (as inpaint runs it). */
    msPerBatch: TimingSchema,
    imagesPerSecond: z.number().min(0),
  }),
  memory: z.strictObject({
    /** Peak resident set size of the process so far, bytes. */
    peakRssBytes: z.int().min(0),
    /** Framework figures after the timed steps (tf.memory() for us), numbers only. */
    framework: z.record(z.string(), z.number()),
    /** Tensors left behind per training step (0 when every step cleans up after itself); null for the peer. */
    tensorsLeakedPerStep: z.number().nullable(),
  }),
  seconds: z.number().min(0),
});
export type BenchResult = z.infer<typeof BenchResultSchema>;

export const VerifyCheckSchema = z.strictObject({
  name: z.string(),
  /** max |ours - cpu| / max |cpu| over the worst tensor of this check. */
  maxRelativeDifference: z.number().min(0),
  worst: z.string(),
  tolerance: z.number().gt(0),
  ok: z.boolean(),
});

export const VerifyResultSchema = z.strictObject({
  backend: z.string(),
  size: z.int().min(1),
  batch: z.int().min(1),
  loss: z.enum(['l1', 'full']),
  checks: z.array(VerifyCheckSchema).min(1),
  ok: z.boolean(),
  seconds: z.number().min(0),
});
export type VerifyResult = z.infer<typeof VerifyResultSchema>;
