import * as tf from '@tensorflow/tfjs';
import type { ModelKindName } from '../../protocol/run-layout.js';

/** ImageNet's mean pixel on [0, 1], the baseline's default hole fill (docs/science.md, "The baseline"). */
export const IMAGENET_MEAN_PIXEL = [0.485, 0.456, 0.406] as const;

/** The baseline's hole fill per RGB channel on [0, 1] (config model.baselineFill). */
export function fillPixelOf(fill: 'mean-pixel' | 'grey'): readonly [number, number, number] {
  return fill === 'grey' ? [0.5, 0.5, 0.5] : IMAGENET_MEAN_PIXEL;
}

/**
 * How the baseline is fed (config model.baselineFill and model.baselineMaskChannel): the holes'
 * fill, and whether the mask is a fourth input channel. An ExperimentConfig's `model` is one.
 */
export interface BaselineInput {
  readonly baselineFill: 'mean-pixel' | 'grey';
  readonly baselineMaskChannel: boolean;
}

/** Input channels of a model: 3 (the image), 4 for a baseline that also takes the mask as a channel. */
export function inputChannelsOf(kind: ModelKindName, baselineMaskChannel: boolean): 3 | 4 {
  return kind === 'conv' && baselineMaskChannel ? 4 : 3;
}

/**
 * What each model sees of an image with holes. Ground-truth pixels of the hole never reach a
 * model: PConv gets the image with holes zeroed, and the mask through its partial convolutions;
 * the baseline gets the image with holes filled by a constant (the paper's form, its Fig. 2e/f),
 * plus the mask as a fourth channel when `baselineMaskChannel` is set. `mask` is [B, H, W, 1],
 * 1 = valid; the returned mask is that same mask, which the UNet applies to every input channel
 * (one channel, not copies).
 */
export function modelInputs(kind: ModelKindName, images: tf.Tensor4D, mask: tf.Tensor4D, baseline: BaselineInput): { input: tf.Tensor4D; mask: tf.Tensor4D } {
  return tf.tidy(() => {
    const known = tf.mul(images, mask);
    if (kind === 'pconv') return { input: known as tf.Tensor4D, mask };
    const pixel = tf.tensor1d([...fillPixelOf(baseline.baselineFill)]);
    const filled = tf.add(known, tf.mul(tf.sub(1, mask), pixel)) as tf.Tensor4D;
    return { input: baseline.baselineMaskChannel ? (tf.concat([filled, mask], 3) as tf.Tensor4D) : filled, mask };
  });
}

/** What a model is given, as results.json records it (ResultsSchema's models[].input). */
export interface ModelInputDescription {
  /** What stands in the holes: zeros (PConv) or the baseline's fill. */
  readonly holes: 'zero' | 'mean-pixel' | 'grey';
  /** How the mask reaches the model: its partial convolutions, a fourth input channel, or not at all. */
  readonly mask: 'partial-convolutions' | 'channel' | 'none';
}

export function describeModelInput(kind: ModelKindName, baseline: BaselineInput): ModelInputDescription {
  if (kind === 'pconv') return { holes: 'zero', mask: 'partial-convolutions' };
  return { holes: baseline.baselineFill, mask: baseline.baselineMaskChannel ? 'channel' : 'none' };
}

/**
 * How a checkpoint's network must be fed: its recorded config (checkpoint.json) decides, not the
 * current one. A checkpoint from before model.baselineMaskChannel existed was a baseline with the
 * mask as a fourth channel, the only form then; a recorded config without baselineFill (none is
 * known) keeps `fallback`'s.
 */
export function recordedBaselineInput(recordedConfig: Readonly<Record<string, unknown>>, fallback: BaselineInput): BaselineInput {
  const model = (recordedConfig.model ?? {}) as Record<string, unknown>;
  const fill = model.baselineFill === 'mean-pixel' || model.baselineFill === 'grey' ? model.baselineFill : fallback.baselineFill;
  const maskChannel = typeof model.baselineMaskChannel === 'boolean' ? model.baselineMaskChannel : true;
  return { baselineFill: fill, baselineMaskChannel: maskChannel };
}
