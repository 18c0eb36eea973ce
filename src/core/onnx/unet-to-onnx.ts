import * as tf from '@tensorflow/tfjs';
import { FreezableBatchNorm } from '../model/freezable-batch-norm.js';
import { type ConvPadding, convPad, PartialConv2D } from '../model/partial-conv.js';
import type { InpaintingUNet } from '../model/unet.js';
import { OnnxGraph } from './onnx-graph.js';

/** The graph's interface: images and masks in NHWC as the rest of the tool holds them. */
export const ONNX_INPUTS = { images: 'images', masks: 'masks' } as const;
export const ONNX_OUTPUT = 'output';

export interface UNetOnnxOptions {
  /** Image side the graph takes (config data.imageSize); the batch size stays free. */
  readonly size: number;
  /** The baseline's hole fill, one value per RGB channel (modelInputs' fill). */
  readonly fillPixel: readonly [number, number, number];
}

/**
 * Features with a channel-constant mask: `x` [N, channels, H, W] whose mask is the one channel
 * `mask` [N, 1, H, W]. A layer's output is one part; a decoder's input is two, [skip, upsampled],
 * concatenated by the next convolution.
 */
interface MaskedPart {
  readonly x: string;
  readonly mask: string;
  readonly channels: number;
}

/**
 * The inference graph of an InpaintingUNet (eval mode: batch norm with moving statistics) as an
 * ONNX model: `images` [N, size, size, 3] and `masks` [N, size, size, 1] (1 = valid) in,
 * `output` [N, size, size, 3] out, the raw prediction clipped to [0, 1], which is what inpaint,
 * eval and bench take from `modelInputs` + `predict` + clip. The arithmetic is the model's own,
 * operation for operation (PartialConv2D with NVIDIA's semantics, FreezableBatchNorm's
 * formula, nearest upsampling by floor), so outputs agree with tfjs to float32 rounding.
 *
 * The mask travels as one channel per part rather than tiled over every feature channel: a
 * partial convolution's valid count is sum_i channels_i * boxsum(mask_i), the same integers.
 */
export function unetToOnnx(net: InpaintingUNet, options: UNetOnnxOptions): Uint8Array {
  const unbuilt = net
    .layers()
    .filter((layer) => !layer.built)
    .map((layer) => layer.name);
  if (unbuilt.length > 0)
    throw new Error(`unetToOnnx: layers ${unbuilt.join(', ')} have no weights yet; build the network (buildNetwork) or run it once before exporting`);
  const g = new OnnxGraph();
  const { size } = options;
  const images = g.input(ONNX_INPUTS.images, ['N', size, size, 3]);
  const masks = g.input(ONNX_INPUTS.masks, ['N', size, size, 1]);
  const x0 = g.node('Transpose', [images], { perm: { ints: [0, 3, 1, 2] } });
  const m0 = g.node('Transpose', [masks], { perm: { ints: [0, 3, 1, 2] } });
  const known = g.node('Mul', [x0, m0]);
  let input: MaskedPart;
  if (net.args.kind === 'pconv') input = { x: known, mask: m0, channels: 3 };
  else {
    const pixel = g.constant('fill_pixel', [1, 3, 1, 1], Float32Array.from(options.fillPixel));
    const holes = g.node('Sub', [g.scalar(1), m0]);
    const filled = g.node('Add', [known, g.node('Mul', [holes, pixel])]);
    // The paper's baseline: the filled image alone; with model.baselineMaskChannel, the mask as a fourth channel.
    input = net.args.maskChannel ? { x: g.node('Concat', [filled, m0], { axis: { int: 1 } }), mask: m0, channels: 4 } : { x: filled, mask: m0, channels: 3 };
  }
  let side = size;
  let part = input;
  const skips: { part: MaskedPart; side: number }[] = [{ part, side }];
  for (const block of net.encoder) {
    part = runBlock(g, block, [part], side);
    side = Math.ceil(side / strideOf(block.conv.layer));
    skips.push({ part, side });
  }
  skips.pop();
  for (const block of net.decoder) {
    const skip = skips.pop() as (typeof skips)[number];
    const scales = g.constant('scales', [4], Float32Array.of(1, 1, skip.side / side, skip.side / side));
    const up = (value: string) =>
      g.node('Resize', [value, '', scales], {
        mode: { string: 'nearest' },
        coordinate_transformation_mode: { string: 'asymmetric' },
        nearest_mode: { string: 'floor' },
      });
    const upsampled = { x: up(part.x), mask: net.args.kind === 'pconv' ? up(part.mask) : part.mask, channels: part.channels };
    side = skip.side;
    part = runBlock(g, block, [skip.part, upsampled], side);
  }
  let x = part.x;
  if (net.head) {
    const [kernel, bias] = weightsOf(net.head);
    x = g.node('Sigmoid', [g.node('Conv', [x, convWeight(g, kernel as tf.LayerVariable), biasOf(g, bias)], { kernel_shape: { ints: [1, 1] } })]);
  }
  const clipped = g.node('Clip', [x, g.scalar(0), g.scalar(1)]);
  g.node('Transpose', [clipped], { perm: { ints: [0, 2, 3, 1] } }, ONNX_OUTPUT);
  g.output(ONNX_OUTPUT, ['N', size, size, 3]);
  return g.toBytes();
}

type Block = InpaintingUNet['encoder'][number];

/** Convolution (of the parts concatenated), batch norm, activation: runBlock in unet.ts. */
function runBlock(g: OnnxGraph, block: Block, parts: MaskedPart[], side: number): MaskedPart {
  const layer = block.conv.layer;
  let part: MaskedPart;
  if (layer instanceof PartialConv2D) part = partialConv(g, layer, parts, side);
  else {
    // The baseline: an ordinary convolution; its mask only travels along (the fill, and the
    // mask channel if it has one, are how it sees holes), so the graph never reads it again.
    const [kernel, bias] = weightsOf(layer) as [tf.LayerVariable, tf.LayerVariable | undefined];
    const [k, , , filters] = kernel.shape as [number, number, number, number];
    const x = concat(
      g,
      parts.map((p) => p.x),
    );
    const y = g.node('Conv', [x, convWeight(g, kernel), biasOf(g, bias)], convAttributes(k, strideOf(layer), side, paddingOf(layer)));
    part = { x: y, mask: (parts[0] as MaskedPart).mask, channels: filters };
  }
  let y = part.x;
  if (block.norm) y = batchNorm(g, block.norm, y);
  if (block.activation === 'relu') y = g.node('Relu', [y]);
  else if (block.activation === 'leaky') y = g.node('LeakyRelu', [y], { alpha: { float: 0.2 } });
  return { ...part, x: y };
}

function concat(g: OnnxGraph, values: string[]): string {
  return values.length === 1 ? (values[0] as string) : g.node('Concat', values, { axis: { int: 1 } });
}

/** PartialConv2D.call, operation for operation, with the masks as parts. */
function partialConv(g: OnnxGraph, layer: PartialConv2D, parts: MaskedPart[], side: number): MaskedPart {
  // The UNet never builds PConv-Keras' variant (it exists to import that project's weights).
  if (layer.kerasCompat)
    throw new Error(`unetToOnnx: ${layer.name} uses kerasCompat, which the ONNX export does not write; run inference with --inference tfjs`);
  const k = layer.kernelSize;
  const attributes = convAttributes(k, layer.strides, side, layer.padding);
  const inChannels = parts.reduce((sum, p) => sum + p.channels, 0);
  // x * mask per part (a one-channel mask broadcast over the part's channels), then concatenated.
  const masked = concat(
    g,
    parts.map((p) => g.node('Mul', [p.x, p.mask])),
  );
  let channelCount = '';
  for (const p of parts) {
    const weighted = p.channels === 1 ? p.mask : g.node('Mul', [p.mask, g.scalar(p.channels)]);
    channelCount = channelCount ? g.node('Add', [channelCount, weighted]) : weighted;
  }
  const ones = g.constant('ones', [1, 1, k, k], new Float32Array(k * k).fill(1));
  const validCount = g.node('Conv', [channelCount, ones], attributes);
  const updated = g.node('Clip', [validCount, g.scalar(0), g.scalar(1)]);
  const windowSize = k * k * inChannels;
  const ratio = g.node('Mul', [g.node('Div', [g.scalar(windowSize), g.node('Add', [validCount, g.scalar(layer.eps)])]), updated]);
  const [kernel, bias] = weightsOf(layer);
  const raw = g.node('Conv', [masked, convWeight(g, kernel as tf.LayerVariable)], attributes);
  let y = g.node('Mul', [raw, ratio]);
  if (bias) y = g.node('Add', [y, channelVector(g, bias)]);
  y = g.node('Mul', [y, updated]);
  return { x: y, mask: updated, channels: layer.filters };
}

function batchNorm(g: OnnxGraph, norm: FreezableBatchNorm, x: string): string {
  if (!(norm instanceof FreezableBatchNorm) || !norm.gamma || !norm.beta || !norm.movingMean || !norm.movingVariance)
    throw new Error(`unetToOnnx: ${norm.name} is not built`);
  const vector = (w: tf.LayerVariable) => g.constant(w.name.replace(/\W/g, '_'), [w.shape[0] as number], values(w));
  return g.node('BatchNormalization', [x, vector(norm.gamma), vector(norm.beta), vector(norm.movingMean), vector(norm.movingVariance)], {
    epsilon: { float: norm.epsilon },
  });
}

function strideOf(layer: tf.layers.Layer): number {
  if (layer instanceof PartialConv2D) return layer.strides;
  return ((layer.getConfig() as { strides: number[] }).strides[0] as number) ?? 1;
}

/**
 * The model.padding of a UNet convolution: a PartialConv2D says; the baseline's tf conv2d is
 * 'valid' only in symmetric mode, where the UNet pads k // 2 on every side before it (unet.ts).
 */
function paddingOf(layer: tf.layers.Layer): ConvPadding {
  if (layer instanceof PartialConv2D) return layer.padding;
  return (layer.getConfig() as { padding: string }).padding === 'valid' ? 'symmetric' : 'same';
}

/**
 * A k x k, stride-s convolution with the layer's padding as tfjs computes it for conv2d: 'same'
 * (TensorFlow's split, the odd pixel bottom/right) or symmetric (k // 2 on every side), as ONNX
 * Conv's explicit `pads` [top, left, bottom, right].
 */
function convAttributes(k: number, s: number, side: number, padding: ConvPadding): Record<string, { ints: number[] }> {
  const { top, left, bottom, right } = tf.backend_util.computeConv2DInfo([1, side, side, 1], [k, k, 1, 1], s, 1, convPad(padding, k)).padInfo;
  return { kernel_shape: { ints: [k, k] }, strides: { ints: [s, s] }, pads: { ints: [top, left, bottom, right] } };
}

function weightsOf(layer: tf.layers.Layer): (tf.LayerVariable | undefined)[] {
  return [layer.weights[0], layer.weights[1]];
}

function values(w: tf.LayerVariable): Float32Array {
  return w.read().dataSync() as Float32Array;
}

/** tfjs [kh, kw, in, out] -> ONNX [out, in, kh, kw]. */
function convWeight(g: OnnxGraph, w: tf.LayerVariable): string {
  const [kh, kw, cin, cout] = w.shape as [number, number, number, number];
  const src = values(w);
  const dst = new Float32Array(src.length);
  for (let h = 0; h < kh; h++)
    for (let v = 0; v < kw; v++)
      for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) dst[((o * cin + i) * kh + h) * kw + v] = src[((h * kw + v) * cin + i) * cout + o] as number;
  return g.constant(w.name.replace(/\W/g, '_'), [cout, cin, kh, kw], dst);
}

function biasOf(g: OnnxGraph, w: tf.LayerVariable | undefined): string {
  return w ? g.constant(w.name.replace(/\W/g, '_'), [w.shape[0] as number], values(w)) : '';
}

/** A bias as [1, C, 1, 1], to broadcast over NCHW. */
function channelVector(g: OnnxGraph, w: tf.LayerVariable): string {
  return g.constant(w.name.replace(/\W/g, '_'), [1, w.shape[0] as number, 1, 1], values(w));
}
