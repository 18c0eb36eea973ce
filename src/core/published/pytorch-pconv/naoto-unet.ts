import * as tf from '@tensorflow/tfjs';
import { oihwToHwio } from '../../io/torch-state-dict.js';
import { type MaskedPart, type NaotoPconvWeights, naotoPartialConv } from './naoto-pconv-layer.js';

/**
 * The PConvUNet of naoto0804/pytorch-inpainting-with-partial-conv (net.py), wired from a state
 * dict's key names and shapes, so any number of levels (layer_size, 7 by default) and any widths:
 *
 *   enc_1..enc_L   PCBActiv: partial conv with stride 2 (kernels 7, 5, 5, 3, ... by default),
 *                  batch norm where the file has enc_i.bn (all but enc_1), then ReLU
 *   dec_L..dec_1   nearest 2x upsampling of the deeper output and its mask (F.upsample's default),
 *                  concatenated [upsampled, h_{i-1}] with h_0 the input image and mask, then a
 *                  partial conv with stride 1, batch norm where the file has dec_i.bn (all but
 *                  dec_1), then LeakyReLU 0.2 except on dec_1 (no activation: its raw output is the
 *                  normalised image)
 *
 * Two layouts of the layer's keys, net.py's two versions: `conv.input_conv` / `conv.mask_conv`
 * (bias only on dec_1) and the first `conv.conv2d` / `conv.mask2d` (a bias on every conv and on the
 * mask conv, kept at zero). Batch norm runs as at evaluation: running statistics, eps 1e-5.
 */

export const BATCH_NORM_EPSILON = 1e-5;

export interface NaotoLayerSpec {
  /** enc_1 ... enc_L, dec_L ... dec_1. */
  readonly name: string;
  readonly kernel: number;
  readonly stride: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly bias: boolean;
  readonly batchNorm: boolean;
  readonly activation: 'relu' | 'leaky' | 'none';
}

export interface NaotoUnetSpec {
  /** Key names of the layer: current net.py (input_conv, mask_conv) or its first version (conv2d, mask2d). */
  readonly layout: { readonly conv: 'input_conv' | 'conv2d'; readonly mask: 'mask_conv' | 'mask2d' };
  readonly levels: number;
  readonly encoders: readonly NaotoLayerSpec[];
  /** dec_L first, dec_1 last. */
  readonly decoders: readonly NaotoLayerSpec[];
}

/** A state dict that is not this network, saying which key is missing or misshapen. */
export class NaotoArchitectureError extends Error {}

const BN_PARTS = ['weight', 'bias', 'running_mean', 'running_var'] as const;

/** Every key the network reads (num_batches_tracked and any optimizer entry are not). */
export function isNaotoUnetKey(name: string): boolean {
  return /^(enc|dec)_\d+\.(conv\.(input_conv|mask_conv|conv2d|mask2d)\.(weight|bias)|bn\.(weight|bias|running_mean|running_var))$/.test(name);
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** The network a state dict describes; throws NaotoArchitectureError at the first key that does not fit. */
export function naotoUnetSpec(shapes: ReadonlyMap<string, readonly number[]>): NaotoUnetSpec {
  let layout: NaotoUnetSpec['layout'];
  if (shapes.has('enc_1.conv.input_conv.weight')) layout = { conv: 'input_conv', mask: 'mask_conv' };
  else if (shapes.has('enc_1.conv.conv2d.weight')) layout = { conv: 'conv2d', mask: 'mask2d' };
  else {
    const found = [...shapes.keys()].slice(0, 6).join(', ');
    throw new NaotoArchitectureError(`it has no enc_1.conv.input_conv.weight (nor enc_1.conv.conv2d.weight of the first net.py); found: ${found}`);
  }
  const has = (name: string) => shapes.has(`${name}.conv.${layout.conv}.weight`);
  let levels = 0;
  while (has(`enc_${levels + 1}`)) levels++;

  const expect = (key: string, expected: readonly number[]): void => {
    const shape = shapes.get(key);
    if (!shape) throw new NaotoArchitectureError(`it has no ${key}`);
    if (shapeText(shape) !== shapeText(expected)) throw new NaotoArchitectureError(`${key} has shape ${shapeText(shape)}, not ${shapeText(expected)}`);
  };

  const layer = (name: string, inChannels: number, stride: number, activation: NaotoLayerSpec['activation'], outChannels?: number): NaotoLayerSpec => {
    const key = `${name}.conv.${layout.conv}.weight`;
    const shape = shapes.get(key);
    if (!shape) throw new NaotoArchitectureError(`it has no ${key}`);
    const [out, inp, kh, kw] = shape as [number, number, number, number];
    const k = shape.length === 4 && kh === kw && kh % 2 === 1 ? kh : 0;
    if (!k || inp !== inChannels || (outChannels !== undefined && out !== outChannels)) {
      const wanted = `[${outChannels ?? 'out'}, ${inChannels}, k, k] with k odd`;
      throw new NaotoArchitectureError(`${key} has shape ${shapeText(shape)}, not ${wanted}`);
    }
    expect(`${name}.conv.${layout.mask}.weight`, shape);
    const biasKey = `${name}.conv.${layout.conv}.bias`;
    const bias = layout.conv === 'conv2d' || shapes.has(biasKey);
    if (bias) expect(biasKey, [out]);
    if (layout.mask === 'mask2d') expect(`${name}.conv.mask2d.bias`, [out]);
    const batchNorm = shapes.has(`${name}.bn.weight`) || shapes.has(`${name}.bn.running_mean`);
    if (batchNorm) for (const part of BN_PARTS) expect(`${name}.bn.${part}`, [out]);
    return { name, kernel: k, stride, inChannels, outChannels: out, bias, batchNorm, activation };
  };

  const encoders: NaotoLayerSpec[] = [];
  const channels = [3];
  for (let i = 1; i <= levels; i++) {
    const spec = layer(`enc_${i}`, channels[i - 1] as number, 2, 'relu');
    encoders.push(spec);
    channels.push(spec.outChannels);
  }
  const decoders: NaotoLayerSpec[] = [];
  let deeper = channels[levels] as number;
  for (let i = levels; i >= 1; i--) {
    const spec = layer(`dec_${i}`, deeper + (channels[i - 1] as number), 1, i === 1 ? 'none' : 'leaky', i === 1 ? 3 : undefined);
    decoders.push(spec);
    deeper = spec.outChannels;
  }
  return { layout, levels, encoders, decoders };
}

interface LayerTensors {
  readonly conv: NaotoPconvWeights;
  /** Batch norm folded for evaluation: y * scale + shift. */
  readonly scale: tf.Tensor1D | null;
  readonly shift: tf.Tensor1D | null;
}

/** The network with its weights on the tfjs backend; `forward` takes normalised NHWC images and NHW1 masks. */
export class NaotoUnet {
  private readonly layers = new Map<string, LayerTensors>();

  constructor(
    readonly spec: NaotoUnetSpec,
    values: ReadonlyMap<string, Float32Array>,
  ) {
    const get = (key: string): Float32Array => {
      const v = values.get(key);
      if (!v) throw new NaotoArchitectureError(`${key} could not be read`);
      return v;
    };
    for (const s of [...spec.encoders, ...spec.decoders]) {
      const prefix = `${s.name}.conv.${spec.layout.conv}`;
      const kernel = tf.tensor4d(oihwToHwio(get(`${prefix}.weight`), [s.outChannels, s.inChannels, s.kernel, s.kernel]), [
        s.kernel,
        s.kernel,
        s.inChannels,
        s.outChannels,
      ]);
      const bias = s.bias ? tf.tensor1d(get(`${prefix}.bias`)) : null;
      let scale: tf.Tensor1D | null = null;
      let shift: tf.Tensor1D | null = null;
      if (s.batchNorm) {
        const [w, b, mean, variance] = BN_PARTS.map((part) => get(`${s.name}.bn.${part}`)) as [Float32Array, Float32Array, Float32Array, Float32Array];
        // Folded in float64, then rounded once to float32.
        const sc = new Float32Array(s.outChannels);
        const sh = new Float32Array(s.outChannels);
        for (let c = 0; c < s.outChannels; c++) {
          const factor = (w[c] as number) / Math.sqrt((variance[c] as number) + BATCH_NORM_EPSILON);
          sc[c] = factor;
          sh[c] = (b[c] as number) - (mean[c] as number) * factor;
        }
        scale = tf.tensor1d(sc);
        shift = tf.tensor1d(sh);
      }
      this.layers.set(s.name, { conv: { kernel, bias, stride: s.stride }, scale, shift });
    }
  }

  private apply(spec: NaotoLayerSpec, parts: readonly MaskedPart[]): MaskedPart {
    const layer = this.layers.get(spec.name) as LayerTensors;
    const { y, mask } = naotoPartialConv(parts, layer.conv);
    let h: tf.Tensor4D = y;
    if (layer.scale && layer.shift) h = tf.add(tf.mul(h, layer.scale), layer.shift);
    if (spec.activation === 'relu') h = tf.relu(h);
    else if (spec.activation === 'leaky') h = tf.leakyRelu(h, 0.2);
    return { x: h, mask };
  }

  /** The raw output (normalised RGB, NHWC) of normalised images (NHWC) and their masks (NHW1, 1 = known). Call inside tf.tidy. */
  forward(images: tf.Tensor4D, valid: tf.Tensor4D): tf.Tensor4D {
    const skips: MaskedPart[] = [{ x: images, mask: valid }];
    for (const spec of this.spec.encoders) skips.push(this.apply(spec, [skips[skips.length - 1] as MaskedPart]));
    let h = skips[skips.length - 1] as MaskedPart;
    for (const [j, spec] of this.spec.decoders.entries()) {
      const up = (t: tf.Tensor4D) => tf.image.resizeNearestNeighbor(t, [t.shape[1] * 2, t.shape[2] * 2]);
      h = this.apply(spec, [{ x: up(h.x), mask: up(h.mask) }, skips[this.spec.levels - 1 - j] as MaskedPart]);
    }
    return h.x;
  }

  dispose(): void {
    for (const layer of this.layers.values()) tf.dispose([layer.conv.kernel, layer.conv.bias, layer.scale, layer.shift].filter((t) => t !== null));
    this.layers.clear();
  }
}
