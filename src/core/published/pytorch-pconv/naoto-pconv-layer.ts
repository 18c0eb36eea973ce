import * as tf from '@tensorflow/tfjs';

/**
 * The partial convolution of naoto0804/pytorch-inpainting-with-partial-conv (net.py, PartialConv and
 * its first version PConv2d), the variant its PyTorch checkpoints were trained with. It differs from
 * NVIDIA's PartialConv2d (src/core/model) in the renormalisation: it divides by the mask sum alone,
 *
 *   y = W^T (X * M) / sum(M) + b   where sum(M) > 0, else 0;   new mask = [sum(M) > 0]
 *
 * (NVIDIA multiplies by window size / sum(M)), with sum(M) the ones-kernel convolution of the mask
 * over every input channel and the k x k window, so a layer that sees C known channels at a pixel
 * counts that pixel C times. Padding is symmetric, k // 2 zeros on every side, and the padding
 * counts as hole. The new mask is the same for every output channel, so it is kept as one channel
 * here and each input part carries its own one-channel mask and channel count.
 */

/** One part of a layer's input, concatenated in order along channels: NHWC values and their NHW1 mask. */
export interface MaskedPart {
  readonly x: tf.Tensor4D;
  /** 1 = known, 0 = hole, the same for all of `x`'s channels. */
  readonly mask: tf.Tensor4D;
}

export interface NaotoPconvWeights {
  /** [k, k, in, out] (TensorFlow's HWIO). */
  readonly kernel: tf.Tensor4D;
  /** [out], or null where the layer has no conv bias. */
  readonly bias: tf.Tensor1D | null;
  readonly stride: number;
}

/** The layer's output (NHWC, `out` channels) and its updated one-channel mask (NHW1). */
export function naotoPartialConv(parts: readonly MaskedPart[], weights: NaotoPconvWeights): { y: tf.Tensor4D; mask: tf.Tensor4D } {
  const [k, , cin] = weights.kernel.shape;
  const channels = parts.map((p) => p.x.shape[3]);
  if (channels.reduce((a, b) => a + b, 0) !== cin) throw new Error(`partial conv: ${channels.join(' + ')} input channels for a kernel of ${cin}`);
  // k // 2 zeros on every side, as a number: tf.conv2d pads without copying the input.
  const pad = Math.floor(k / 2);
  return tf.tidy(() => {
    const masked = parts.map((p) => tf.mul(p.x, p.mask) as tf.Tensor4D);
    const x = masked.length === 1 ? (masked[0] as tf.Tensor4D) : tf.concat(masked, 3);
    const raw = tf.conv2d(x, weights.kernel, weights.stride, pad);
    // sum(M) over all input channels: part p's mask counts once per channel of that part.
    const masks =
      parts.length === 1
        ? (parts[0] as MaskedPart).mask
        : tf.concat(
            parts.map((p) => p.mask),
            3,
          );
    const counts = tf.tile(tf.tensor4d(channels, [1, 1, parts.length, 1]), [k, k, 1, 1]) as tf.Tensor4D;
    const sum = tf.conv2d(masks, counts, weights.stride, pad);
    const known = tf.greater(sum, 0);
    let y = tf.div(raw, tf.where(known, sum, tf.onesLike(sum))) as tf.Tensor4D;
    if (weights.bias) y = tf.add(y, weights.bias);
    const mask = tf.cast(known, 'float32') as tf.Tensor4D;
    return { y: tf.mul(y, mask) as tf.Tensor4D, mask };
  });
}
