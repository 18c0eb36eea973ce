import * as tf from '@tensorflow/tfjs';

export interface PartialConv2DArgs {
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides?: number;
  /** How the border is padded (config model.padding); default 'same'. See ConvPadding. */
  readonly padding?: ConvPadding;
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
 * The border padding of the UNet's convolutions (config model.padding), zeros either way:
 * - same: TensorFlow's 'same' (out = ceil(in / s)); for a stride-2 layer on an even side the odd
 *   padding pixel goes to the bottom/right (7x7 on 512 px: 2 above, 3 below);
 * - symmetric: k // 2 pixels on every side, then a 'valid' convolution, as NVIDIA's partialconv and
 *   the PyTorch ports pad (padding=k//2): the stride-2 sampling grid sits one pixel up/left of
 *   'same''s. For odd k, out = ceil(in / s) too.
 * A partial convolution pads its mask the same way, so the padded border counts as hole.
 */
export type ConvPadding = 'same' | 'symmetric';

/** tf.conv2d's `pad` argument for a k x k kernel under `padding`. */
export function convPad(padding: ConvPadding, kernelSize: number): 'same' | number {
  return padding === 'same' ? 'same' : Math.floor(kernelSize / 2);
}

/**
 * One channel segment of a partial convolution's input: features x [B, H, W, C] and their mask,
 * 1 = valid, either [B, H, W, C] or [B, H, W, 1] for a mask that is the same on all C channels.
 * The UNet's layer outputs are such segments (every output channel shares one updated mask), and
 * a decoder input [skip, upsampled] is two of them: carrying one channel instead of C saves the
 * copies (tile, concat, resize, channel sum) of data that is constant across channels.
 */
export interface MaskedSegment {
  readonly x: tf.Tensor4D;
  readonly mask: tf.Tensor4D;
}

/** call()'s options; `applySegments` sets it. */
interface PartialConv2DCallArgs {
  /** Return the updated mask as [B, H', W', 1] instead of tiled to `filters` channels. */
  readonly oneChannelMask?: boolean;
}

/**
 * The partial convolution of Liu et al. 2018 with NVIDIA's semantics (docs/science.md, "The partial convolution").
 * Inputs [x, mask], both [B, H, W, Cin] with mask 1 = valid; outputs [y, updatedMask], both
 * [B, H', W', filters]:
 *
 *   S = conv(mask, ones[k, k, Cin, 1])     valid inputs per window, all channels counted
 *   U = clip(S, 0, 1)                       1 where any input was valid
 *   y = (conv(x * mask, W) * (k*k*Cin) / (S + eps) * U + b) * U
 *
 * The inputs may also be channel segments [x1, mask1, x2, mask2, ...], taken as their
 * concatenation, each mask with its segment's channels or one channel (MaskedSegment).
 * `applySegments` is that form with the updated mask returned as one channel, which is how the
 * UNet uses the layer; both forms run the same arithmetic (`partialConvolution` below).
 *
 * The mask path is a constant: the ones kernel is no variable and no trainable weight depends on
 * S, so no gradient flows through it. Padding is zeros, 'same' (TensorFlow's) or 'symmetric'
 * (NVIDIA's k // 2 on every side; ConvPadding), of mask and features alike, so the image border
 * counts as hole.
 */
export class PartialConv2D extends tf.layers.Layer {
  static className = 'PartialConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: ConvPadding;
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
    this.padding = args.padding ?? 'same';
    if (this.padding !== 'same' && this.padding !== 'symmetric')
      throw new RangeError(`PartialConv2D: padding must be 'same' or 'symmetric', not ${String(this.padding)}`);
    this.useBias = args.useBias ?? true;
    this.eps = args.eps ?? 1e-8;
    this.kerasCompat = args.kerasCompat ?? false;
    this.seed = args.seed;
    if (!(Number.isInteger(this.strides) && this.strides > 0)) throw new RangeError(`PartialConv2D: strides must be a positive integer, not ${this.strides}`);
  }

  override build(inputShape: Shape | Shape[]): void {
    const inChannels = segmentShapes(inputShape).reduce((sum: number | null, [x]) => (sum == null || x[3] == null ? null : sum + x[3]), 0);
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
    const [[xShape]] = segmentShapes(inputShape) as [[Shape, Shape]];
    const k = this.kernelSize;
    const pad = convPad(this.padding, k);
    const out = (size: number | null | undefined) =>
      size == null ? null : pad === 'same' ? Math.ceil(size / this.strides) : Math.floor((size + 2 * pad - k) / this.strides) + 1;
    const shape: Shape = [xShape[0] ?? null, out(xShape[1]), out(xShape[2]), this.filters];
    return [shape, [...shape]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: PartialConv2DCallArgs = {}): tf.Tensor[] {
    return tf.tidy(() => {
      if (!this.kernel) throw new Error('PartialConv2D: call() before build()');
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const segments: MaskedSegment[] = [];
      for (let i = 0; i + 1 < list.length; i += 2) segments.push({ x: list[i] as tf.Tensor4D, mask: list[i + 1] as tf.Tensor4D });
      if (segments.length === 0 || list.length % 2 !== 0)
        throw new Error(`PartialConv2D '${this.name}': expects inputs [x, mask] or [x1, mask1, x2, mask2, ...], got ${list.length} tensor(s)`);
      const [y, updated] = partialConvolution(segments, this.kernel.read() as tf.Tensor4D, this.bias?.read() as tf.Tensor1D | undefined, this, this.name);
      return [y, kwargs.oneChannelMask ? updated : tf.tile(updated, [1, 1, 1, this.filters])];
    });
  }

  /**
   * The layer on channel segments (their concatenation is the input), returning [y, U] with the
   * updated mask U as [B, H', W', 1]: the same values as call() with full masks, without the
   * per-channel copies. Eager tensors only (computeOutputShape describes the [x, mask] form).
   */
  applySegments(segments: readonly MaskedSegment[]): [tf.Tensor4D, tf.Tensor4D] {
    const kwargs: PartialConv2DCallArgs = { oneChannelMask: true };
    return this.apply(
      segments.flatMap(({ x, mask }) => [x, mask]),
      kwargs,
    ) as [tf.Tensor4D, tf.Tensor4D];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      useBias: this.useBias,
      eps: this.eps,
      kerasCompat: this.kerasCompat,
    };
  }
}

interface PartialConvolutionArgs {
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: ConvPadding;
  readonly eps: number;
  readonly kerasCompat: boolean;
}

/**
 * The arithmetic of the partial convolution on channel segments, shared by both call forms:
 * returns y [B, H', W', filters] and U [B, H', W', 1].
 */
function partialConvolution(
  segments: readonly MaskedSegment[],
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D | undefined,
  { kernelSize: k, strides, padding, eps, kerasCompat }: PartialConvolutionArgs,
  name: string,
): [tf.Tensor, tf.Tensor] {
  checkSegments(segments, name);
  const inChannels = segments.reduce((sum, { x }) => sum + (x.shape[3] as number), 0);
  if (inChannels !== kernel.shape[2])
    throw new Error(`PartialConv2D '${name}': the inputs have ${inChannels} channels in all, the kernel was built for ${kernel.shape[2]}`);
  // conv(mask, ones[k, k, Cin, 1]) as a box sum of the number of valid channels per pixel: for
  // 0/1 masks the same integers exactly (float32 holds them), but a box sum of one channel instead
  // of a Cin-channel convolution with one output channel, which XNNPACK runs poorly. A one-channel
  // mask of C channels counts C times.
  const counts = segments.map(({ x, mask }) => {
    const channels = x.shape[3] as number;
    if (mask.shape[3] !== 1) return tf.sum(mask, 3, true);
    return channels === 1 ? mask : tf.mul(mask, channels);
  });
  const channelCount = counts.length === 1 ? (counts[0] as tf.Tensor) : tf.addN(counts);
  // Symmetric padding pads k // 2 zeros on every side (a number for tf.conv2d: the same sums as
  // tf.pad and a 'valid' convolution, without the copy); the mask's padding is hole either way.
  const pad = convPad(padding, k);
  const validCount = tf.conv2d(channelCount as tf.Tensor4D, tf.ones([k, k, 1, 1]) as tf.Tensor4D, strides, pad);
  const updated = tf.clipByValue(validCount, 0, 1);
  const windowSize = kerasCompat ? k * k : k * k * inChannels;
  const ratio = tf.mul(tf.div(windowSize, tf.add(validCount, eps)), updated);
  // A one-channel mask multiplies by broadcasting; per segment, then one concat (measured on wasm:
  // as fast as one same-shape multiply, faster than tiling and concatenating the masks first).
  const masked = segments.map(({ x, mask }) => tf.mul(x, mask));
  const input = masked.length === 1 ? (masked[0] as tf.Tensor) : tf.concat(masked, 3);
  const raw = tf.conv2d(input as tf.Tensor4D, kernel, strides, pad);
  let y: tf.Tensor = tf.mul(raw, ratio);
  if (bias) y = tf.add(y, bias);
  if (!kerasCompat) y = tf.mul(y, updated);
  return [y, updated];
}

function checkSegments(segments: readonly MaskedSegment[], name: string): void {
  const [first] = segments;
  if (!first) throw new Error(`PartialConv2D '${name}': no input segment`);
  for (const [i, { x, mask }] of segments.entries()) {
    const what = `PartialConv2D '${name}', input segment ${i}`;
    if (x.rank !== 4 || mask.rank !== 4) throw new Error(`${what}: x and mask must be rank 4 (NHWC), got [${x.shape}] and [${mask.shape}]`);
    if (mask.shape[3] !== 1 && mask.shape[3] !== x.shape[3])
      throw new Error(`${what}: the mask must have 1 channel or x's ${x.shape[3]}, got [${mask.shape}] for x [${x.shape}]`);
    for (const t of [x, mask]) {
      if (t.shape[0] !== first.x.shape[0] || t.shape[1] !== first.x.shape[1] || t.shape[2] !== first.x.shape[2])
        throw new Error(`${what}: batch, height and width must match the first x [${first.x.shape}], got [${t.shape}]`);
    }
  }
}

/** Input shapes as [x, mask] pairs. */
function segmentShapes(inputShape: Shape | Shape[]): [Shape, Shape][] {
  if (!Array.isArray(inputShape[0])) throw new Error('PartialConv2D expects two inputs: [x, mask]');
  const shapes = inputShape as Shape[];
  if (shapes.length % 2 !== 0 || shapes.some((shape) => shape.length !== 4))
    throw new Error('PartialConv2D expects [x, mask] (or [x1, mask1, x2, mask2, ...]), each of rank 4 (NHWC)');
  const pairs: [Shape, Shape][] = [];
  for (let i = 0; i < shapes.length; i += 2) pairs.push([shapes[i] as Shape, shapes[i + 1] as Shape]);
  return pairs;
}

tf.serialization.registerClass(PartialConv2D);
