import * as tf from '@tensorflow/tfjs';
import { PartialConv2D } from '../../../src/core/model/partial-conv.js';
import type { InpaintingUNet } from '../../../src/core/model/unet.js';

/**
 * The UNet's forward pass as it was before masks travelled as one channel per segment (commit
 * 8804206): every mask tiled to its features' channels, the decoder upsampling and concatenating
 * those full masks, each partial convolution multiplying by the full mask and summing it over
 * channels, its updated mask tiled to `filters`. Kept only as the reference that the one-channel
 * path must equal bit for bit; it runs the same layers (weights, batch norm, activations) of `net`.
 * `mask` is [B, H, W, 1] or already one per input channel.
 */
export function predictWithFullMasks(net: InpaintingUNet, input: tf.Tensor4D, mask: tf.Tensor4D, training: boolean): tf.Tensor4D {
  return tf.tidy(() => {
    const full = mask.shape[3] === input.shape[3] ? mask : (tf.tile(mask, [1, 1, 1, input.shape[3]]) as tf.Tensor4D);
    const skips: [tf.Tensor, tf.Tensor][] = [[input, full]];
    let x: tf.Tensor = input;
    let m: tf.Tensor = full;
    for (const block of net.encoder) {
      [x, m] = runBlock(block, x, m, training);
      skips.push([x, m]);
    }
    skips.pop();
    for (const block of net.decoder) {
      const [skipX, skipM] = skips.pop() as [tf.Tensor, tf.Tensor];
      const size: [number, number] = [skipX.shape[1] as number, skipX.shape[2] as number];
      const upX = tf.image.resizeNearestNeighbor(x as tf.Tensor4D, size);
      const upM = tf.image.resizeNearestNeighbor(m as tf.Tensor4D, size);
      [x, m] = runBlock(block, tf.concat([skipX, upX], 3), tf.concat([skipM, upM], 3), training);
    }
    if (net.head) x = net.head.apply(x) as tf.Tensor;
    return x as tf.Tensor4D;
  });
}

type Block = InpaintingUNet['encoder'][number];

function runBlock(block: Block, x: tf.Tensor, mask: tf.Tensor, training: boolean): [tf.Tensor, tf.Tensor] {
  let [y, m] = maskedConv(block.conv.layer, x, mask);
  if (block.norm) y = block.norm.apply(y, { training }) as tf.Tensor;
  if (block.activation === 'relu') y = tf.relu(y);
  else if (block.activation === 'leaky') y = tf.leakyRelu(y, 0.2);
  return [y, m];
}

function maskedConv(layer: tf.layers.Layer, x: tf.Tensor, mask: tf.Tensor): [tf.Tensor, tf.Tensor] {
  if (layer instanceof PartialConv2D) return fullMaskPartialConv(layer, x as tf.Tensor4D, mask as tf.Tensor4D);
  // The baseline: an ordinary convolution; the full mask is resized along with the features.
  const y = layer.apply(x) as tf.Tensor;
  const resized = y.shape[1] === x.shape[1] ? mask : tf.image.resizeNearestNeighbor(mask as tf.Tensor4D, [y.shape[1] as number, y.shape[2] as number]);
  return [y, resized];
}

/** PartialConv2D.call of commit 8804206, on the layer's own variables (so gradients reach them). */
function fullMaskPartialConv(layer: PartialConv2D, x: tf.Tensor4D, mask: tf.Tensor4D): [tf.Tensor, tf.Tensor] {
  const [kernel, bias] = layer.weights.map((w) => w.read());
  const k = layer.kernelSize;
  const inChannels = x.shape[3];
  const channelCount = inChannels === 1 ? mask : tf.sum(mask, 3, true);
  const validCount = tf.conv2d(channelCount as tf.Tensor4D, tf.ones([k, k, 1, 1]) as tf.Tensor4D, layer.strides, 'same');
  const updated = tf.clipByValue(validCount, 0, 1);
  const windowSize = layer.kerasCompat ? k * k : k * k * inChannels;
  const ratio = tf.mul(tf.div(windowSize, tf.add(validCount, layer.eps)), updated);
  const raw = tf.conv2d(tf.mul(x, mask) as tf.Tensor4D, kernel as tf.Tensor4D, layer.strides, 'same');
  let y: tf.Tensor = tf.mul(raw, ratio);
  if (bias) y = tf.add(y, bias);
  if (!layer.kerasCompat) y = tf.mul(y, updated);
  return [y, tf.tile(updated, [1, 1, 1, layer.filters])];
}
