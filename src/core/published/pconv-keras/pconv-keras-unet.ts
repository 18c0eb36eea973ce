import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors.js';
import type { PublishedModel } from '../published-model.js';
import { type PconvKerasConv, pconvKeras } from './pconv-keras-layer.js';

/** A Keras BatchNormalization's weights (center and scale on, as the seed builds them). */
export interface KerasBatchNorm {
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  readonly movingMean: Float32Array;
  readonly movingVariance: Float32Array;
}

export interface KerasConvWeights {
  /** [k, k, Cin, Cout] values in Keras' (HWIO) order. */
  readonly kernel: Float32Array;
  readonly shape: readonly [number, number, number, number];
  readonly bias: Float32Array;
}

export interface PconvKerasLevel extends KerasConvWeights {
  /** The Keras layer name, for messages (p_conv2d_49). */
  readonly name: string;
  readonly batchNorm?: KerasBatchNorm;
}

/** The seed's UNet by level: encoder[0] is the first (stride 2) layer, decoder[0] the deepest. */
export interface PconvKerasWeights {
  readonly encoder: readonly PconvKerasLevel[];
  readonly decoder: readonly PconvKerasLevel[];
  /** The final Conv2D(3, 1, activation='sigmoid'). */
  readonly output: KerasConvWeights;
}

/** Keras' BatchNormalization default epsilon. */
const BN_EPSILON = 1e-3;

interface Level {
  readonly conv: PconvKerasConv;
  /** Inference batch norm folded to x * scale + shift. */
  readonly scale?: tf.Tensor1D;
  readonly shift?: tf.Tensor1D;
}

/**
 * The UNet of the seed's libs/pconv_model.py (build_pconv_unet, e715f7a), for any depth and width
 * the weights hold (the published file: 8 levels, 64-128-256-512x5 channels, kernels 7,5,5,3...):
 * - inputs: image on [0, 1] (holes whatever: the first layer multiplies by the mask) and a
 *   3-channel mask, 1 = valid;
 * - encoder: PConv2D stride 2, BatchNormalization from the second level on, ReLU;
 * - decoder: UpSampling2D (nearest, 2x) of image and mask, Concatenate([skip, upsampled]) for both,
 *   PConv2D stride 1, BatchNormalization except at the last level, LeakyReLU(0.2); the last level's
 *   skip is the input image and mask;
 * - output: Conv2D 1x1 with bias, sigmoid.
 * Batch norm runs with its moving statistics, as the seed predicts (load(..., train_bn=False)).
 */
export class PconvKerasUnet implements PublishedModel {
  readonly format = 'pconv-keras-h5' as const;
  readonly description: string;
  readonly sizeMultiple: number;
  private readonly encoder: Level[];
  private readonly decoder: Level[];
  private readonly outKernel: tf.Tensor4D;
  private readonly outBias: tf.Tensor1D;

  constructor(weights: PconvKerasWeights, description: string) {
    this.description = description;
    this.sizeMultiple = 2 ** weights.encoder.length;
    this.encoder = weights.encoder.map(toLevel);
    this.decoder = weights.decoder.map(toLevel);
    this.outKernel = tf.tensor4d(weights.output.kernel, [...weights.output.shape]);
    this.outBias = tf.tensor1d(weights.output.bias);
  }

  async predict(images: Float32Array, valid: Float32Array, count: number, size: number): Promise<Float32Array> {
    if (size % this.sizeMultiple !== 0) {
      throw new UserError('MODEL_SIZE', `${this.description} takes sides that are a multiple of ${this.sizeMultiple}, not ${size}`);
    }
    const pixels = size * size;
    if (images.length !== count * pixels * 3 || valid.length !== count * pixels) {
      throw new Error(`predict: ${images.length} image and ${valid.length} mask values for ${count} images of ${size} px`);
    }
    const out = new Float32Array(count * pixels * 3);
    // One image at a time: the 512 px network's first layers hold hundreds of MB per image.
    for (let i = 0; i < count; i++) {
      const y = tf.tidy(() => {
        const x = tf.tensor4d(images.subarray(i * pixels * 3, (i + 1) * pixels * 3), [1, size, size, 3]);
        const m = tf.tensor4d(valid.subarray(i * pixels, (i + 1) * pixels), [1, size, size, 1]);
        return this.forward(x, m);
      });
      out.set(await y.data(), i * pixels * 3);
      y.dispose();
    }
    return out;
  }

  /** images [B, S, S, 3], valid [B, S, S, 1] (the seed's 3-channel mask, the same on each channel). */
  forward(images: tf.Tensor4D, valid: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const skips: { x: tf.Tensor4D; mask: tf.Tensor4D }[] = [{ x: images, mask: valid }];
      let x = images;
      let mask = valid;
      for (const level of this.encoder) {
        const out = pconvKeras([{ x, mask }], level.conv, 2);
        x = tf.relu(batchNorm(out.x, level));
        mask = out.mask;
        skips.push({ x, mask });
      }
      skips.pop();
      for (const level of this.decoder) {
        const skip = skips.pop();
        if (!skip) throw new Error('decoder deeper than encoder');
        const [, h, w] = x.shape;
        const up = { x: upsample(x, h, w), mask: upsample(mask, h, w) };
        const out = pconvKeras([skip, up], level.conv, 1);
        x = tf.leakyRelu(batchNorm(out.x, level), 0.2);
        mask = out.mask;
      }
      const y = tf.sigmoid(tf.add(tf.conv2d(x, this.outKernel, 1, 'valid'), this.outBias));
      return tf.clipByValue(y, 0, 1) as tf.Tensor4D;
    });
  }

  dispose(): void {
    for (const level of [...this.encoder, ...this.decoder]) {
      level.conv.kernel.dispose();
      level.conv.bias.dispose();
      level.scale?.dispose();
      level.shift?.dispose();
    }
    this.outKernel.dispose();
    this.outBias.dispose();
  }
}

function toLevel(w: PconvKerasLevel): Level {
  const conv = { kernel: tf.tensor4d(w.kernel, [...w.shape]), bias: tf.tensor1d(w.bias) };
  const bn = w.batchNorm;
  if (!bn) return { conv };
  const scale = new Float32Array(bn.gamma.length);
  const shift = new Float32Array(bn.gamma.length);
  for (let c = 0; c < scale.length; c++) {
    const s = (bn.gamma[c] as number) / Math.sqrt((bn.movingVariance[c] as number) + BN_EPSILON);
    scale[c] = s;
    shift[c] = (bn.beta[c] as number) - (bn.movingMean[c] as number) * s;
  }
  return { conv, scale: tf.tensor1d(scale), shift: tf.tensor1d(shift) };
}

function batchNorm(x: tf.Tensor4D, level: Level): tf.Tensor4D {
  return level.scale && level.shift ? (tf.add(tf.mul(x, level.scale), level.shift) as tf.Tensor4D) : x;
}

/** Keras' UpSampling2D((2, 2)): every pixel repeated into a 2x2 block. */
function upsample(x: tf.Tensor4D, h: number, w: number): tf.Tensor4D {
  return tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w]);
}
