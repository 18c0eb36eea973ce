import * as tf from '@tensorflow/tfjs';

export interface PartialConv2DArgs {
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides?: number;
  readonly useBias?: boolean;
  /** Added to the valid-input count before dividing; 1e-8 in float32 (NVIDIA). */
  readonly eps?: number;
  /** PConv-Keras' variant, only to import its weights: ratio k*k/S (no Cin) and bias in holes too. */
  readonly kerasCompat?: boolean;
  /** Seed of the Glorot-uniform kernel initialiser, for reproducible runs. */
  readonly seed?: number;
  readonly name?: string;
  readonly trainable?: boolean;
}

type Shape = (number | null)[];

/**
 * The partial convolution of Liu et al. 2018 with NVIDIA's semantics (REFERENCE.md section 2).
 * Inputs [x, mask], both [B, H, W, Cin] with mask 1 = valid; outputs [y, updatedMask], both
 * [B, H', W', filters]:
 *
 *   S = conv(mask, ones[k, k, Cin, 1])     valid inputs per window, all channels counted
 *   U = clip(S, 0, 1)                       1 where any input was valid
 *   y = (conv(x * mask, W) * (k*k*Cin) / (S + eps) * U + b) * U
 *
 * The mask path is a constant: the ones kernel is no variable and no trainable weight depends on
 * S, so no gradient flows through it. Padding is 'same' with zeros, so the image border counts as
 * hole.
 */
export class PartialConv2D extends tf.layers.Layer {
  static className = 'PartialConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly useBias: boolean;
  readonly eps: number;
  readonly kerasCompat: boolean;
  readonly seed: number | undefined;
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: PartialConv2DArgs) {
    super({ name: args.name, trainable: args.trainable });
    if (!(Number.isInteger(args.filters) && args.filters > 0)) throw new RangeError(`PartialConv2D: filters must be a positive integer, not ${args.filters}`);
    if (!(Number.isInteger(args.kernelSize) && args.kernelSize > 0))
      throw new RangeError(`PartialConv2D: kernelSize must be a positive integer, not ${args.kernelSize}`);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
    this.useBias = args.useBias ?? true;
    this.eps = args.eps ?? 1e-8;
    this.kerasCompat = args.kerasCompat ?? false;
    this.seed = args.seed;
    if (!(Number.isInteger(this.strides) && this.strides > 0)) throw new RangeError(`PartialConv2D: strides must be a positive integer, not ${this.strides}`);
  }

  override build(inputShape: Shape | Shape[]): void {
    const [xShape] = splitShapes(inputShape);
    const inChannels = xShape[3];
    if (inChannels == null) throw new Error('PartialConv2D: the channel dimension of x must be known');
    this.kernel = this.addWeight(
      'kernel',
      [this.kernelSize, this.kernelSize, inChannels, this.filters],
      'float32',
      tf.initializers.glorotUniform({ seed: this.seed }),
    );
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const [xShape] = splitShapes(inputShape);
    const out = (size: number | null | undefined) => (size == null ? null : Math.ceil(size / this.strides));
    const shape: Shape = [xShape[0] ?? null, out(xShape[1]), out(xShape[2]), this.filters];
    return [shape, [...shape]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const [x, mask] = inputs as [tf.Tensor4D, tf.Tensor4D];
      if (!this.kernel) throw new Error('PartialConv2D: call() before build()');
      const k = this.kernelSize;
      const inChannels = x.shape[3];
      // conv(mask, ones[k, k, Cin, 1]) with the channels summed first: for 0/1 masks the same
      // integer counts exactly (float32 holds them), but a box sum of one channel instead of a
      // Cin-channel convolution with one output channel, which XNNPACK runs poorly.
      const channelCount = inChannels === 1 ? mask : tf.sum(mask, 3, true);
      const validCount = tf.conv2d(channelCount as tf.Tensor4D, tf.ones([k, k, 1, 1]) as tf.Tensor4D, this.strides, 'same');
      const updated = tf.clipByValue(validCount, 0, 1);
      const windowSize = this.kerasCompat ? k * k : k * k * inChannels;
      const ratio = tf.mul(tf.div(windowSize, tf.add(validCount, this.eps)), updated);
      const raw = tf.conv2d(tf.mul(x, mask) as tf.Tensor4D, this.kernel.read() as tf.Tensor4D, this.strides, 'same');
      let y: tf.Tensor = tf.mul(raw, ratio);
      if (this.bias) y = tf.add(y, this.bias.read());
      if (!this.kerasCompat) y = tf.mul(y, updated);
      const updatedMask = tf.tile(updated, [1, 1, 1, this.filters]);
      return [y, updatedMask];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      useBias: this.useBias,
      eps: this.eps,
      kerasCompat: this.kerasCompat,
    };
  }
}

function splitShapes(inputShape: Shape | Shape[]): [Shape, Shape] {
  if (!Array.isArray(inputShape[0])) throw new Error('PartialConv2D expects two inputs: [x, mask]');
  const [x, mask] = inputShape as Shape[];
  if (!x || !mask || x.length !== 4 || mask.length !== 4) throw new Error('PartialConv2D expects [x, mask], both of rank 4 (NHWC)');
  return [x, mask];
}

tf.serialization.registerClass(PartialConv2D);
