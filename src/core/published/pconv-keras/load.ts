import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { UserError } from '../../errors.js';
import type { PublishedModel } from '../published-model.js';
import { KerasH5Error, type KerasLayer, type KerasWeight, readKerasWeights } from './keras-h5.js';
import { type KerasBatchNorm, type KerasConvWeights, type PconvKerasLevel, PconvKerasUnet, type PconvKerasWeights } from './pconv-keras-unet.js';

const HINT =
  "Use PConv-Keras' published ImageNet weights (pconv_imagenet.26-1.07.h5, from the link in MathiasGruber/PConv-Keras' README) or a file saved by its PConvUnet (model.save_weights).";

/**
 * Loads PConv-Keras weights (issue 18): a Keras save_weights HDF5 file of the seed's PConvUnet.
 * The architecture comes from the file: the PConv2D layers (those with an img_kernel) in the
 * file's layer order, half encoder and half decoder; each BatchNormalization belongs to the PConv2D
 * before it; the last layer with a 1x1 kernel is the output. Everything is checked against the
 * seed's wiring, and the first layer that is missing or misshapen is named.
 */
export async function loadPconvKeras(file: string): Promise<PublishedModel> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    throw new UserError('MODEL_WEIGHTS_MISSING', `PConv-Keras weights file ${file} ${info ? 'is not a file' : 'does not exist'}`, { hint: HINT });
  }
  let layers: KerasLayer[];
  try {
    layers = await readKerasWeights(file);
  } catch (error) {
    if (error instanceof KerasH5Error) throw invalid(file, error.message);
    throw error;
  }
  const weights = pconvKerasArchitecture(file, layers);
  const levels = weights.encoder.length;
  return new PconvKerasUnet(weights, `PConv-Keras UNet (${levels} levels, 3-channel masks) from ${basename(file)}`);
}

function invalid(file: string, why: string): UserError {
  return new UserError('MODEL_WEIGHTS_INVALID', `${file} is not PConv-Keras UNet weights: ${why}`, { hint: HINT });
}

const BN_PARTS = ['gamma', 'beta', 'moving_mean', 'moving_variance'] as const;

/** Sorts the file's layers into the seed's UNet and checks every shape; exported for tests. */
export function pconvKerasArchitecture(file: string, layers: readonly KerasLayer[]): PconvKerasWeights {
  const weighted = layers.filter((l) => l.weights.length > 0);
  const pconvs: { layer: KerasLayer; bn?: KerasLayer }[] = [];
  let output: KerasLayer | undefined;
  if (!weighted.some((l) => l.weights.some((w) => w.name === 'img_kernel'))) {
    const found = weighted.slice(0, 6).map((l) => l.name);
    throw invalid(file, `it has no PConv2D layers (layers with an img_kernel weight; found ${found.join(', ') || 'no layers with weights'})`);
  }
  for (const layer of weighted) {
    const names = layer.weights.map((w) => w.name);
    if (names.includes('img_kernel')) {
      if (output) throw invalid(file, `PConv2D layer ${layer.name} comes after the output convolution ${output.name}`);
      pconvs.push({ layer });
    } else if (names.includes('moving_mean')) {
      const last = pconvs.at(-1);
      if (!last || last.bn || output) throw invalid(file, `batch norm ${layer.name} does not follow a PConv2D layer`);
      last.bn = layer;
    } else if (names.includes('kernel')) {
      if (pconvs.length === 0) throw invalid(file, `plain convolution ${layer.name} comes before the first PConv2D layer`);
      if (output) throw invalid(file, `it has a second plain convolution ${layer.name} after ${output.name}`);
      output = layer;
    } else {
      throw invalid(file, `layer ${layer.name} (weights ${names.join(', ')}) is not in PConv-Keras' UNet`);
    }
  }
  if (pconvs.length % 2 !== 0) throw invalid(file, `it has ${pconvs.length} PConv2D layers; the UNet has as many decoder as encoder layers`);
  const levels = pconvs.length / 2;

  const encoder: PconvKerasLevel[] = [];
  let channels = 3;
  for (let i = 0; i < levels; i++) {
    const { layer, bn } = pconvs[i] as { layer: KerasLayer; bn?: KerasLayer };
    const where = `${layer.name} (encoder level ${i + 1})`;
    const level = pconvLevel(file, where, layer, channels, undefined);
    if (i === 0 && bn) throw invalid(file, `${where} has batch norm ${bn.name}; the seed's first layer has none`);
    if (i > 0 && !bn) throw invalid(file, `${where} has no batch norm after it (the seed names it EncBN${i})`);
    encoder.push({ ...level, ...(bn ? { batchNorm: batchNorm(file, bn, where, level.shape[3]) } : {}) });
    channels = level.shape[3];
  }
  const decoder: PconvKerasLevel[] = [];
  for (let j = 0; j < levels; j++) {
    const { layer, bn } = pconvs[levels + j] as { layer: KerasLayer; bn?: KerasLayer };
    const where = `${layer.name} (decoder level ${j + 1})`;
    const skip = j === levels - 1 ? 3 : (encoder[levels - 2 - j] as PconvKerasLevel).shape[3];
    const level = pconvLevel(file, where, layer, skip + channels, `skip ${skip} + upsampled ${channels} channels`);
    const last = j === levels - 1;
    if (last && bn) throw invalid(file, `${where} has batch norm ${bn.name}; the seed's last decoder layer has none`);
    if (!last && !bn) throw invalid(file, `${where} has no batch norm after it`);
    decoder.push({ ...level, ...(bn ? { batchNorm: batchNorm(file, bn, where, level.shape[3]) } : {}) });
    channels = level.shape[3];
  }
  if (!output) throw invalid(file, `it has no output convolution (outputs_img, Conv2D 3x1x1) after its last PConv2D ${pconvs.at(-1)?.layer.name}`);
  const out = conv(file, `output ${output.name}`, output, 'kernel', [1, 1, channels, 3]);
  return { encoder, decoder, output: out };
}

function pconvLevel(file: string, where: string, layer: KerasLayer, cin: number, why: string | undefined): PconvKerasLevel {
  const kernel = weight(file, where, layer, 'img_kernel');
  const [k, k2, inputs, filters] = kernel.shape;
  if (kernel.shape.length !== 4 || k !== k2 || (k as number) % 2 !== 1 || inputs !== cin) {
    const expected = `[k, k, ${cin}, filters] with odd k${why ? ` (${why})` : ''}`;
    throw invalid(file, `${where} has img_kernel [${kernel.shape.join(', ')}], expected ${expected}`);
  }
  return { name: layer.name, ...conv(file, where, layer, 'img_kernel', [k as number, k as number, cin, filters as number]) };
}

function conv(file: string, where: string, layer: KerasLayer, kernelName: string, shape: [number, number, number, number]): KerasConvWeights {
  const kernel = weight(file, where, layer, kernelName);
  if (kernel.shape.join('x') !== shape.join('x'))
    throw invalid(file, `${where} has ${kernelName} [${kernel.shape.join(', ')}], expected [${shape.join(', ')}]`);
  const bias = weight(file, where, layer, 'bias');
  if (bias.shape.join('x') !== String(shape[3])) throw invalid(file, `${where} has bias [${bias.shape.join(', ')}], expected [${shape[3]}]`);
  return { kernel: kernel.values, shape, bias: bias.values };
}

function batchNorm(file: string, layer: KerasLayer, where: string, channels: number): KerasBatchNorm {
  const parts = BN_PARTS.map((part) => {
    const w = weight(file, `batch norm ${layer.name} after ${where}`, layer, part);
    if (w.shape.join('x') !== String(channels)) {
      throw invalid(file, `batch norm ${layer.name} after ${where} has ${part} [${w.shape.join(', ')}], expected [${channels}]`);
    }
    return w.values;
  });
  const [gamma, beta, movingMean, movingVariance] = parts as [Float32Array, Float32Array, Float32Array, Float32Array];
  return { gamma, beta, movingMean, movingVariance };
}

function weight(file: string, where: string, layer: KerasLayer, name: string): KerasWeight {
  const found = layer.weights.find((w) => w.name === name);
  if (!found) throw invalid(file, `${where} has no weight ${name} (it has ${layer.weights.map((w) => w.name).join(', ')})`);
  return found;
}
