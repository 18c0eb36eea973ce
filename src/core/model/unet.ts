import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../rng.js';
import { FreezableBatchNorm } from './freezable-batch-norm.js';
import { PartialConv2D } from './partial-conv.js';

/** pconv: the paper's model; conv: the same UNet with ordinary convolutions (the paper's baseline). */
export type ModelKind = 'pconv' | 'conv';

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
}

/** A convolution with the partial-convolution interface: [x, mask] in, [y, mask'] out. */
interface MaskedConv {
  readonly layer: tf.layers.Layer;
  apply(x: tf.Tensor, mask: tf.Tensor): [tf.Tensor, tf.Tensor];
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

function maskedConv(kind: ModelKind, seed: number, name: string, filters: number, kernelSize: number, strides: number): MaskedConv {
  const layerSeed = deriveSeed(seed, kind, name);
  if (kind === 'pconv') {
    const layer = new PartialConv2D({ name, filters, kernelSize, strides, seed: layerSeed });
    return { layer, apply: (x, mask) => layer.apply([x, mask]) as [tf.Tensor, tf.Tensor] };
  }
  // The baseline sees holes only through its input (mean-pixel fill + mask channel); the mask
  // still travels beside the features so both UNets share one wiring.
  const layer = tf.layers.conv2d({
    name,
    filters,
    kernelSize,
    strides,
    padding: 'same',
    kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed }),
  });
  return {
    layer,
    apply: (x, mask) => {
      const y = layer.apply(x) as tf.Tensor;
      const resized = strides === 1 ? mask : tf.image.resizeNearestNeighbor(mask as tf.Tensor4D, [y.shape[1] as number, y.shape[2] as number]);
      return [y, resized];
    },
  };
}

/**
 * The UNet of REFERENCE.md section 3, as explicit layers rather than a LayersModel: the trainer
 * needs per-layer control (encoder batch norm frozen in phase 2, variable lists per phase) that
 * tfjs' `training` flag cannot give. Encoder: stride-2 convolutions (7, 5, 5, then 3), batch norm
 * from e2, ReLU. Decoder: nearest x2 upsampling of features and mask, concatenated after the
 * skip ([skip, upsampled]), 3x3 convolution, batch norm and LeakyReLU 0.2, except the last layer
 * (3 channels, no norm, linear or the sigmoid head).
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
        conv: maskedConv(args.kind, args.seed, `e${level}`, encoderChannels(args, level), encoderKernel(level), 2),
        norm: level === 1 ? undefined : new FreezableBatchNorm({ name: `e${level}_bn` }),
        activation: 'relu',
      });
    }
    for (let level = args.levels - 1; level >= 0; level--) {
      const index = 2 * args.levels - level;
      const last = level === 0;
      this.decoder.push({
        conv: maskedConv(args.kind, args.seed, `d${index}`, last ? 3 : encoderChannels(args, level), 3, 1),
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

  /**
   * Runs the network. `input` is the pconv model's image with holes zeroed (3 channels) or the
   * baseline's mean-filled image plus mask (4 channels); `mask` is the mask broadcast to the
   * input's channels (1 = valid). Returns the raw output image [B, H, W, 3].
   */
  predict(input: tf.Tensor4D, mask: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => {
      const skips: [tf.Tensor, tf.Tensor][] = [[input, mask]];
      let x: tf.Tensor = input;
      let m: tf.Tensor = mask;
      for (const block of this.encoder) {
        [x, m] = runBlock(block, x, m, training);
        skips.push([x, m]);
      }
      skips.pop();
      for (const block of this.decoder) {
        const [skipX, skipM] = skips.pop() as [tf.Tensor, tf.Tensor];
        const size: [number, number] = [skipX.shape[1] as number, skipX.shape[2] as number];
        const upX = tf.image.resizeNearestNeighbor(x as tf.Tensor4D, size);
        const upM = tf.image.resizeNearestNeighbor(m as tf.Tensor4D, size);
        [x, m] = runBlock(block, tf.concat([skipX, upX], 3), tf.concat([skipM, upM], 3), training);
      }
      if (this.head) x = this.head.apply(x) as tf.Tensor;
      return x as tf.Tensor4D;
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

  countParameters(): number {
    return this.layers().reduce((sum, layer) => sum + layer.weights.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0), 0);
  }
}

function runBlock(block: Block, x: tf.Tensor, mask: tf.Tensor, training: boolean): [tf.Tensor, tf.Tensor] {
  let [y, m] = block.conv.apply(x, mask);
  if (block.norm) y = block.norm.apply(y, { training }) as tf.Tensor;
  if (block.activation === 'relu') y = tf.relu(y);
  else if (block.activation === 'leaky') y = tf.leakyRelu(y, 0.2);
  return [y, m];
}
