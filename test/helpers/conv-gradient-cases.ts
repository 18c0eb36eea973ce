import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/rng.js';

/** One convolution with random inputs, for checking a gradient kernel against the cpu backend. */
export interface ConvCase {
  name: string;
  xShape: [number, number, number, number];
  wShape: [number, number, number, number];
  stride: number | [number, number];
  pad: 'same' | 'valid' | number;
  x: Float32Array;
  w: Float32Array;
  /** Enough values for dy of any of these shapes; the first y.size are used. */
  dySeed: Float32Array;
}

/** A small random case: batch 1-3, sides kernel..17, 1..maxInChannels in, `outChannels` (else 1..6) out, from seed `seed`. */
export function makeConvCase(
  seed: number,
  kernel: number,
  stride: ConvCase['stride'],
  pad: ConvCase['pad'],
  maxInChannels: number,
  label = seed,
  outChannels?: number,
): ConvCase {
  const rng = new Rng(seed);
  const batch = rng.int(1, 3);
  const height = rng.int(kernel, 17);
  const width = rng.int(kernel, 17);
  const cin = rng.int(1, maxInChannels);
  const cout = outChannels ?? rng.int(1, 6);
  const values = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  return {
    name: `#${label} ${kernel}x${kernel}/s${stride} pad ${pad}, x ${batch}x${height}x${width}x${cin} -> ${cout}`,
    xShape: [batch, height, width, cin],
    wShape: [kernel, kernel, cin, cout],
    stride,
    pad,
    x: values(batch * height * width * cin),
    w: values(kernel * kernel * cin * cout),
    dySeed: values(batch * (height + 2) * (width + 2) * cout),
  };
}

/**
 * The gradient of sum(conv2d(x, w) * dy) with respect to x (the Conv2DBackpropInput kernel) or w
 * (Conv2DBackpropFilter), computed on one backend.
 */
export async function convGradient(backend: string, c: ConvCase, wrt: 'input' | 'filter'): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(c.x, c.xShape);
    const w = tf.tensor4d(c.w, c.wShape);
    const y = tf.conv2d(x, w, c.stride, c.pad);
    const dy = tf.tensor(c.dySeed.slice(0, y.size), y.shape);
    const grad =
      wrt === 'input'
        ? tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(input as tf.Tensor4D, w, c.stride, c.pad), dy)))(x)
        : tf.grad((filter: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, filter as tf.Tensor4D, c.stride, c.pad), dy)))(w);
    return grad.dataSync() as Float32Array;
  });
}
