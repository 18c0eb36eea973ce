import * as tf from '@tensorflow/tfjs';
import type { ModelKindName } from '../../protocol/run-layout.js';
import { deriveSeed } from '../rng.js';
import { FreezableBatchNorm } from './freezable-batch-norm.js';
import { inputChannelsOf } from './model-inputs.js';
import { type ConvPadding, convPad, type MaskedSegment, PartialConv2D } from './partial-conv.js';

/** pconv: the paper's model; conv: the same UNet with ordinary convolutions (the paper's baseline). */
export type ModelKind = ModelKindName;

export interface UNetArgs {
  readonly kind: ModelKind;
  /** Encoder depth (8 at 512 px); the image side must be a multiple of 2^levels. */
  readonly levels: number;
  readonly baseChannels: number;
  readonly maxChannels: number;
  /** none: the paper's linear output; sigmoid: PConv-Keras' 1x1 convolution + sigmoid head. */
  readonly head: 'none' | 'sigmoid';
  /** Seeds the weight initialisers; each layer derives its own from it and its name. */
  readonly seed: number;
  /**
   * conv only: the input is the filled image plus the mask as a fourth channel (config
   * model.baselineMaskChannel); unset or false: the 3-channel filled image, the paper's baseline.
   */
  readonly maskChannel?: boolean;
  /** Border padding of every k x k convolution, both kinds (config model.padding); default 'same'. */
  readonly padding?: ConvPadding;
}

/**
 * A convolution with the partial-convolution interface: channel segments in (their concatenation
 * is the input), [y, mask'] out with mask' of one channel, shared by every output channel.
 */
interface MaskedConv {
  readonly layer: tf.layers.Layer;
  apply(segments: readonly MaskedSegment[]): [tf.Tensor4D, tf.Tensor4D];
}

interface Block {
  readonly conv: MaskedConv;
  readonly norm?: FreezableBatchNorm;
  readonly activation: 'relu' | 'leaky' | 'none';
}

/** Kernel sizes of the paper's encoder: 7 for e1, 5 for e2 and e3, 3 below. */
function encoderKernel(level: number): number {
  return level === 1 ? 7 : level <= 3 ? 5 : 3;
}

/** Channels of encoder level i (1-based): base * 2^(i-1), capped (64, 128, 256, 512, 512, ...). */
export function encoderChannels(args: Pick<UNetArgs, 'baseChannels' | 'maxChannels'>, level: number): number {
  return Math.min(args.baseChannels * 2 ** (level - 1), args.maxChannels);
}

function maskedConv(
  kind: ModelKind,
  seed: number,
  name: string,
  filters: number,
  kernelSize: number,
  strides: number,
  padding: ConvPadding = 'same',
): MaskedConv {
  const layerSeed = deriveSeed(seed, kind, name);
  if (kind === 'pconv') {
    const layer = new PartialConv2D({ name, filters, kernelSize, strides, padding, seed: layerSeed });
    return { layer, apply: (segments) => layer.applySegments(segments) };
  }
  // The baseline sees holes only through its input (the fill, and the mask channel if it has one); a mask still
  // travels beside the features so both UNets share one wiring: the first segment's (the input's
  // or the skip's), resized to the output, which no layer reads.
  const layer = tf.layers.conv2d({
    name,
    filters,
    kernelSize,
    strides,
    // Symmetric: k // 2 zeros on every side by tf.pad below, then a 'valid' convolution.
    padding: padding === 'same' ? 'same' : 'valid',
    kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed }),
  });
  return {
    layer,
    apply: (segments) => {
      const [first] = segments as [MaskedSegment];
      const x =
        segments.length === 1
          ? first.x
          : tf.concat(
              segments.map((s) => s.x),
              3,
            );
      const pad = convPad(padding, kernelSize);
      const padded =
        pad === 'same'
          ? x
          : tf.pad(x, [
              [0, 0],
              [pad, pad],
              [pad, pad],
              [0, 0],
            ]);
      const y = layer.apply(padded) as tf.Tensor4D;
      const resized = strides === 1 ? first.mask : tf.image.resizeNearestNeighbor(first.mask, [y.shape[1] as number, y.shape[2] as number]);
      return [y, resized];
    },
  };
}

/**
 * The paper's UNet (docs/science.md, "The UNet"), as explicit layers rather than a LayersModel: the trainer
 * needs per-layer control (encoder batch norm frozen in phase 2, variable lists per phase) that
 * tfjs' `training` flag cannot give. Encoder: stride-2 convolutions (7, 5, 5, then 3), batch norm
 * from e2, ReLU. Decoder: nearest x2 upsampling of features and mask, concatenated after the
 * skip ([skip, upsampled]), 3x3 convolution, batch norm and LeakyReLU 0.2, except the last layer
 * (3 channels, no norm, linear or the sigmoid head).
 *
 * Masks travel as one channel per channel segment: a layer's output channels share one updated
 * mask, so the decoder's [skip, upsampled] input is two segments with a mask each rather than a
 * mask copied to every channel (PartialConv2D.applySegments; same values, bitwise).
 */
export class InpaintingUNet {
  readonly args: UNetArgs;
  readonly encoder: Block[] = [];
  readonly decoder: Block[] = [];
  readonly head?: tf.layers.Layer;

  constructor(args: UNetArgs) {
    if (!(Number.isInteger(args.levels) && args.levels >= 2)) throw new RangeError(`UNet: levels must be an integer >= 2, not ${args.levels}`);
    this.args = args;
    for (let level = 1; level <= args.levels; level++) {
      this.encoder.push({
        conv: maskedConv(args.kind, args.seed, `e${level}`, encoderChannels(args, level), encoderKernel(level), 2, args.padding),
        norm: level === 1 ? undefined : new FreezableBatchNorm({ name: `e${level}_bn` }),
        activation: 'relu',
      });
    }
    for (let level = args.levels - 1; level >= 0; level--) {
      const index = 2 * args.levels - level;
      const last = level === 0;
      this.decoder.push({
        conv: maskedConv(args.kind, args.seed, `d${index}`, last ? 3 : encoderChannels(args, level), 3, 1, args.padding),
        norm: last ? undefined : new FreezableBatchNorm({ name: `d${index}_bn` }),
        activation: last ? 'none' : 'leaky',
      });
    }
    if (args.head === 'sigmoid') {
      this.head = tf.layers.conv2d({
        name: 'head',
        filters: 3,
        kernelSize: 1,
        activation: 'sigmoid',
        kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(args.seed, args.kind, 'head') }),
      });
    }
  }

  /** Channels of the input: 3, or 4 for a baseline with the mask channel (modelInputs gives them). */
  get inputChannels(): 3 | 4 {
    return inputChannelsOf(this.args.kind, this.args.maskChannel === true);
  }

  /**
   * Runs the network. `input` is the pconv model's image with holes zeroed (3 channels) or the
   * baseline's filled image (3 channels, or 4 with the mask channel: inputChannels); `mask` is
   * [B, H, W, 1], the same on every input channel (modelInputs), or one per input channel;
   * 1 = valid. Returns the raw output image [B, H, W, 3].
   */
  predict(input: tf.Tensor4D, mask: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const inputChannels = input.shape[3];
    if (inputChannels !== this.inputChannels)
      throw new Error(
        `InpaintingUNet.predict: the input has ${inputChannels} channels; this ${this.args.kind} network takes ${this.inputChannels} (modelInputs gives them)`,
      );
    if (mask.rank !== 4 || mask.shape[0] !== input.shape[0] || mask.shape[1] !== input.shape[1] || mask.shape[2] !== input.shape[2])
      throw new Error(`InpaintingUNet.predict: the mask [${mask.shape}] must be [B, H, W, 1] for the input [${input.shape}]`);
    if (mask.shape[3] !== 1 && mask.shape[3] !== inputChannels)
      throw new Error(`InpaintingUNet.predict: the mask has ${mask.shape[3]} channels; give 1 (modelInputs does) or the input's ${inputChannels}`);
    return tf.tidy(() => {
      const skips: MaskedSegment[] = [{ x: input, mask }];
      let x: tf.Tensor4D = input;
      let m: tf.Tensor4D = mask;
      for (const block of this.encoder) {
        [x, m] = runBlock(block, [{ x, mask: m }], training);
        skips.push({ x, mask: m });
      }
      skips.pop();
      for (const block of this.decoder) {
        const skip = skips.pop() as MaskedSegment;
        const size: [number, number] = [skip.x.shape[1], skip.x.shape[2]];
        const up = { x: tf.image.resizeNearestNeighbor(x, size), mask: tf.image.resizeNearestNeighbor(m, size) };
        [x, m] = runBlock(block, [skip, up], training);
      }
      return (this.head ? this.head.apply(x) : x) as tf.Tensor4D;
    });
  }

  /** Every layer that holds weights, in a stable order (checkpoints use their names). */
  layers(): tf.layers.Layer[] {
    const all: tf.layers.Layer[] = [];
    for (const block of [...this.encoder, ...this.decoder]) {
      all.push(block.conv.layer);
      if (block.norm) all.push(block.norm);
    }
    if (this.head) all.push(this.head);
    return all;
  }

  /** The encoder's batch-norm layers, which phase 2 freezes. */
  encoderBatchNorms(): FreezableBatchNorm[] {
    return this.encoder.flatMap((block) => (block.norm ? [block.norm] : []));
  }

  /** Frees every layer's weights (the network cannot be used afterwards). */
  dispose(): void {
    for (const layer of this.layers()) layer.dispose();
  }

  countParameters(): number {
    return this.layers().reduce((sum, layer) => sum + layer.weights.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0), 0);
  }
}

function runBlock(block: Block, segments: readonly MaskedSegment[], training: boolean): [tf.Tensor4D, tf.Tensor4D] {
  let [y, m] = block.conv.apply(segments);
  if (block.norm) y = block.norm.apply(y, { training }) as tf.Tensor4D;
  if (block.activation === 'relu') y = tf.relu(y);
  else if (block.activation === 'leaky') y = tf.leakyRelu(y, 0.2);
  return [y, m];
}
