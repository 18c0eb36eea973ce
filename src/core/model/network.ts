import * as tf from '@tensorflow/tfjs';
import { type ExperimentConfig, trainingSeed } from '../config/schema.js';
import { deriveSeed } from '../rng.js';
import { modelInputs } from './model-inputs.js';
import { InpaintingUNet, type ModelKind } from './unet.js';

/** Builds the config's UNet of one kind and creates its weights (one tiny forward pass). */
export function buildNetwork(config: ExperimentConfig, kind: ModelKind): InpaintingUNet {
  const net = new InpaintingUNet({
    kind,
    levels: config.model.levels,
    baseChannels: config.model.baseChannels,
    maxChannels: config.model.maxChannels,
    head: config.model.head,
    padding: config.model.padding,
    seed: deriveSeed(trainingSeed(config), 'init'),
    maskChannel: kind === 'conv' && config.model.baselineMaskChannel,
  });
  const side = 2 ** config.model.levels;
  tf.tidy(() => {
    const { input, mask } = modelInputs(kind, tf.zeros([1, side, side, 3]), tf.ones([1, side, side, 1]), config.model);
    net.predict(input, mask, false);
  });
  return net;
}

/** Every weight of the network under a stable key ("e2_bn#2"), trainable or not. */
export function weightMap(net: InpaintingUNet): Map<string, tf.LayerVariable> {
  const map = new Map<string, tf.LayerVariable>();
  for (const layer of net.layers()) {
    for (const [i, w] of layer.weights.entries()) map.set(`${layer.name}#${i}`, w);
  }
  return map;
}
