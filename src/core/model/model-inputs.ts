import * as tf from '@tensorflow/tfjs';
import type { ModelKind } from './unet.js';

/** ImageNet's mean pixel on [0, 1], the baseline's default hole fill (REFERENCE.md section 4). */
export const IMAGENET_MEAN_PIXEL = [0.485, 0.456, 0.406] as const;

/** The baseline's hole fill per RGB channel on [0, 1] (config model.baselineFill). */
export function fillPixelOf(fill: 'mean-pixel' | 'grey'): readonly [number, number, number] {
  return fill === 'grey' ? [0.5, 0.5, 0.5] : IMAGENET_MEAN_PIXEL;
}

/**
 * What each model sees of an image with holes. Ground-truth pixels of the hole never reach a
 * model: PConv gets the image with holes zeroed; the baseline gets the image with holes filled by
 * a constant, plus the mask as a fourth channel. `mask` is [B, H, W, 1], 1 = valid; the returned
 * mask is that same mask, which the UNet applies to every input channel (one channel, not copies).
 */
export function modelInputs(kind: ModelKind, images: tf.Tensor4D, mask: tf.Tensor4D, fill: 'mean-pixel' | 'grey'): { input: tf.Tensor4D; mask: tf.Tensor4D } {
  return tf.tidy(() => {
    const known = tf.mul(images, mask);
    if (kind === 'pconv') return { input: known as tf.Tensor4D, mask };
    const pixel = tf.tensor1d([...fillPixelOf(fill)]);
    const filled = tf.add(known, tf.mul(tf.sub(1, mask), pixel));
    return { input: tf.concat([filled, mask], 3) as tf.Tensor4D, mask };
  });
}
