import * as tf from '@tensorflow/tfjs';

/**
 * PConv-Keras' partial convolution (MathiasGruber/PConv-Keras, libs/pconv_layer.py as of 52e1f6d,
 * the Keras 2.2.4 / TensorFlow 1.12 code the published pconv_imagenet.26-1.07.h5 was trained
 * with; the later tf.keras port, 092039a, computes the same). Inference only. It differs from
 * NVIDIA's layer (and from ours, src/core/model/partial-conv.ts) in three ways:
 * - scaling: the mask is convolved with an all-ones k x k x Cin kernel, so the valid count S runs
 *   over every input channel, but the ratio is k*k / (S + 1e-8), not k*k*Cin / S: a window with
 *   every input valid is scaled by 1/Cin (the network learnt with that; PR #67 left it alone);
 * - bias: added after the scaling everywhere, in holes too (there the scaled output is 0, so the
 *   output is the bias);
 * - padding: (k-1)/2 zeros on every side of image and mask, then a 'valid' convolution, so the
 *   stride-2 sampling grid starts at the first pixel (not TensorFlow's 'same' alignment); the
 *   padded border counts as hole.
 * The mask update is min(S, 1) (S is a count, so 0 or 1), one value for every output channel.
 */
export interface PconvKerasSegment {
  /** Features [B, H, W, C]. */
  readonly x: tf.Tensor4D;
  /** Its mask, 1 = valid: [B, H, W, C], or [B, H, W, 1] when it is the same on all C channels. */
  readonly mask: tf.Tensor4D;
}

export interface PconvKerasConv {
  /** [k, k, Cin, Cout], Keras' img_kernel. */
  readonly kernel: tf.Tensor4D;
  /** [Cout]. */
  readonly bias: tf.Tensor1D;
}

export interface PconvKerasOutput {
  readonly x: tf.Tensor4D;
  /** [B, H', W', 1]: the updated mask, the same on every output channel. */
  readonly mask: tf.Tensor4D;
}

/**
 * One PConv2D call on the concatenation of `segments` (the decoder concatenates [skip, upsampled],
 * image and mask alike). The mask convolution sums the segments' masks over their channels first
 * and convolves that count with a k x k box: the same number as the seed's all-ones kernel over
 * Cin channels, without a second full-width convolution.
 */
export function pconvKeras(segments: readonly PconvKerasSegment[], conv: PconvKerasConv, stride: number): PconvKerasOutput {
  return tf.tidy(() => {
    const [k, , cin] = conv.kernel.shape;
    // (k-1)/2 zeros on every side, given to the convolution as a number: the sums of tf.pad and a
    // 'valid' convolution without copying the input (as PartialConv2D does for 'symmetric').
    const pad = Math.floor((k - 1) / 2);
    let channels = 0;
    let count: tf.Tensor4D | undefined;
    const masked: tf.Tensor4D[] = [];
    for (const { x, mask } of segments) {
      const c = x.shape[3];
      channels += c;
      masked.push(tf.mul(x, mask));
      const segmentCount = (mask.shape[3] === 1 ? tf.mul(mask, c) : tf.sum(mask, 3, true)) as tf.Tensor4D;
      count = count ? tf.add(count, segmentCount) : segmentCount;
    }
    if (!count) throw new Error('pconvKeras needs at least one segment');
    if (channels !== cin) throw new Error(`pconvKeras: the segments hold ${channels} channels, the kernel takes ${cin}`);
    const input = masked.length === 1 ? (masked[0] as tf.Tensor4D) : tf.concat(masked, 3);
    const raw = tf.conv2d(input, conv.kernel, stride, pad);
    const sum = tf.conv2d(count, tf.ones([k, k, 1, 1]) as tf.Tensor4D, stride, pad);
    const newMask = tf.clipByValue(sum, 0, 1);
    const ratio = tf.mul(tf.div(k * k, tf.add(sum, 1e-8)), newMask);
    const x = tf.add(tf.mul(raw, ratio), conv.bias) as tf.Tensor4D;
    return { x, mask: newMask };
  });
}
