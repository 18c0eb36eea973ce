import { type ExperimentConfig, ExperimentConfigSchema } from '../core/config/schema.js';
import { UserError } from '../core/errors.js';

/** l1: valid + 6 x hole only (the loss of the first backend measurements, docs/benchmark-history.md); full: eq. 7 with the VGG16 terms. */
export type BenchLoss = 'l1' | 'full';

export interface BenchModelArgs {
  readonly size: number;
  readonly batch: number;
  readonly loss: BenchLoss;
  /** Encoder depth; default: the paper's rule (8 at 512, 7 at 256), i.e. a 2x2 bottleneck. */
  readonly levels?: number;
  readonly baseChannels: number;
  readonly maxChannels: number;
  readonly head: 'none' | 'sigmoid';
  readonly seed: number;
  /** A VGG16 weights file for the full loss; without one the bench uses random weights (same FLOPs). */
  readonly vggWeights?: string;
}

/** What `loss.vgg.weights` says when the bench draws random VGG16 weights instead of reading a file. */
export const RANDOM_VGG_WEIGHTS = '(random VGG16 weights drawn by the bench: same shapes and FLOPs as real ones)';

/** The paper's depth for a side: as many levels as leave a 2x2 bottleneck (8 at 512, 5 at 64), at most 8. */
export function defaultLevels(size: number): number {
  let levels = 0;
  while (size % 2 ** (levels + 1) === 0 && size / 2 ** (levels + 1) >= 2) levels++;
  return Math.min(levels, 8);
}

/**
 * The experiment config the benchmark trains with, parsed by the same schema `train` reads YAML
 * with, so model and loss get the same defaults and checks. Only model, loss and train matter;
 * data and masks hold placeholders the bench never reads (its images are synthetic).
 */
export function benchConfig(args: BenchModelArgs): ExperimentConfig {
  for (const [flag, value] of [
    ['--size', args.size],
    ['--batch', args.batch],
    ['--base-channels', args.baseChannels],
    ['--max-channels', args.maxChannels],
  ] as const) {
    if (!(Number.isInteger(value) && value >= 1))
      throw new UserError('BAD_ARGUMENT', `${flag} must be a positive integer, not ${value}`, { hint: `Pass e.g. ${flag} 4.` });
  }
  if (args.size < 8)
    throw new UserError('BAD_ARGUMENT', `--size ${args.size} is below 8, the smallest image the config accepts`, { hint: 'Pass --size 8 or more.' });
  const levels = args.levels ?? defaultLevels(args.size);
  if (!(Number.isInteger(levels) && levels >= 2 && levels <= 8) || args.size % 2 ** levels !== 0) {
    throw new UserError('BAD_ARGUMENT', `--size ${args.size} does not fit a UNet of ${levels} levels: the side must be a multiple of 2^levels (levels 2..8)`, {
      hint: `Pass a --size that is a multiple of ${2 ** Math.max(2, Math.min(8, Number.isInteger(levels) ? levels : 2))}, or a smaller --levels.`,
    });
  }
  const loss =
    args.loss === 'l1'
      ? { valid: 1, hole: 6, perceptual: 0, style: 0, tv: 0 }
      : // eq. 7's weights (the schema's defaults). Random weights get torch preprocessing (unit-scale
        // inputs); a real file gets the schema's default for its kind, as in an experiment config.
        { vgg: args.vggWeights === undefined ? { weights: RANDOM_VGG_WEIGHTS, preprocessing: 'torch' as const } : { weights: args.vggWeights } };
  const parsed = ExperimentConfigSchema.safeParse({
    name: 'bench',
    seed: args.seed,
    data: { root: '(synthetic images)', imageSize: args.size },
    masks: { border: { margin: 1 } },
    model: { levels, baseChannels: args.baseChannels, maxChannels: args.maxChannels, head: args.head },
    loss,
    train: {
      batchSize: args.batch,
      phase1: { learningRate: 2e-4, steps: 1, freezeEncoderBatchNorm: false },
      phase2: { learningRate: 5e-5, steps: 0, freezeEncoderBatchNorm: true },
    },
  });
  if (!parsed.success) {
    throw new UserError('BAD_ARGUMENT', 'the benchmark settings do not form a valid experiment config', {
      details: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
      hint: 'Check --size, --levels, --base-channels and --max-channels.',
    });
  }
  return parsed.data;
}

/**
 * Side of the correctness check against the cpu backend: the smallest the UNet accepts (a 1x1
 * bottleneck), because the cpu backend needs minutes for what wasm does in a second (the paper
 * widths at 64x64, batch 1, took 258 s on the busy 2-core machine; 32x32 about a quarter of that).
 */
export function verifySize(levels: number): number {
  return Math.max(8, 2 ** levels);
}

/**
 * Batch of the cpu check: 1. At the smallest side the bottleneck is 1x1, and batch norm in training
 * mode over 2 values per channel is ill-conditioned (the normalised value depends on a - b, which
 * float rounding changes relatively much when a is close to b): at batch 2 the paper-width UNet's
 * gradients differed by up to 9e-3 between correct backends. Over 1 value it is exactly beta.
 */
export const VERIFY_BATCH = 1;
