import * as tf from '@tensorflow/tfjs';
import type { FeatureExtractor } from './inpainting-loss.js';

/** The VGG16 convolutions up to block3_pool, the only ones the loss needs, with their shapes. */
export const VGG16_LAYERS = vgg16Layers([64, 128, 256]);

/**
 * VGG16's block1 to block3 convolutions with the given channel counts per block: [64, 128, 256]
 * is VGG16; tests use narrower ones to keep their weight files small.
 */
export function vgg16Layers(widths: readonly [number, number, number]) {
  const [a, b, c] = widths;
  return [
    ['block1_conv1', 3, a],
    ['block1_conv2', a, a],
    ['block2_conv1', a, b],
    ['block2_conv2', b, b],
    ['block3_conv1', b, c],
    ['block3_conv2', c, c],
    ['block3_conv3', c, c],
  ] as const;
}

export type VggLayerName = (typeof VGG16_LAYERS)[number][0];

export interface ConvWeights {
  /** [3, 3, in, out], the layout of Keras (TensorFlow ordering) and of tfjs. */
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
}

export type Vgg16Weights = ReadonlyMap<VggLayerName, ConvWeights>;

/** caffe: Keras' imagenet weights (BGR, 0..255 minus the mean pixel); torch: PyTorch's (normalised RGB). */
export type VggPreprocessing = 'caffe' | 'torch';

/** Maps images in [0, 1] (RGB) to what the weights were trained on. */
export function preprocessForVgg(images: tf.Tensor4D, preprocessing: VggPreprocessing): tf.Tensor4D {
  return tf.tidy(() => {
    if (preprocessing === 'torch') return tf.div(tf.sub(images, [0.485, 0.456, 0.406]), [0.229, 0.224, 0.225]) as tf.Tensor4D;
    const bgr = tf.reverse(images, 3);
    return tf.sub(tf.mul(bgr, 255), [103.939, 116.779, 123.68]) as tf.Tensor4D;
  });
}

/**
 * Frozen VGG16 features at block1_pool, block2_pool and block3_pool (docs/science.md, "The loss"). The
 * weights are constants, not variables: gradients reach the images, never the network.
 * dispose() frees the weights.
 */
export function vgg16FeatureExtractor(weights: Vgg16Weights, preprocessing: VggPreprocessing): FeatureExtractor & { dispose(): void } {
  // Channel counts come from the weights, so narrower test networks run through the same code.
  const layers = VGG16_LAYERS.map(([name]) => {
    const w = weights.get(name);
    if (!w) throw new Error(`VGG16 weights lack ${name}`);
    const cout = w.bias.length;
    return { kernel: tf.tensor4d(w.kernel, [3, 3, w.kernel.length / (9 * cout), cout]), bias: tf.tensor1d(w.bias) };
  });
  const convs = (x: tf.Tensor4D, from: number, to: number) => {
    let y = x;
    for (let i = from; i < to; i++) {
      const layer = layers[i] as { kernel: tf.Tensor4D; bias: tf.Tensor1D };
      y = tf.relu(tf.add(tf.conv2d(y, layer.kernel, 1, 'same'), layer.bias)) as tf.Tensor4D;
    }
    return tf.maxPool(y, 2, 2, 'valid') as tf.Tensor4D;
  };
  const extractor = (images: tf.Tensor4D) => {
    const x = preprocessForVgg(images, preprocessing);
    const pool1 = convs(x, 0, 2);
    const pool2 = convs(pool1, 2, 4);
    const pool3 = convs(pool2, 4, 7);
    return [pool1, pool2, pool3];
  };
  return Object.assign(extractor, { dispose: () => tf.dispose(layers.flatMap((l) => [l.kernel, l.bias])) });
}
