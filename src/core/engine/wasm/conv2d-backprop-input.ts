import type * as tf from '@tensorflow/tfjs';
import { conv2dBackpropInputByForwardConv, replaceConv2dBackpropInput } from '../shared/conv2d-backprop-input-forward-conv.js';
import { conv2dBackpropInputByMatMul } from '../shared/conv2d-backprop-input-matmul.js';

let registered = false;

/**
 * Replaces the wasm backend's own Conv2DBackpropInput (once): tfjs-backend-wasm 4.22 ships it as a
 * plain C++ loop that took 56% of a training step of the UNet (docs/profile-wasm.md), about 10x
 * the time of the forward convolution with the same work. Here it is one XNNPACK convolution
 * (shared/conv2d-backprop-input-forward-conv.ts) or, for the deep layers, one matrix product
 * (shared/conv2d-backprop-input-matmul.ts). Call before tf.setBackend('wasm') so that the original's
 * setup (which binds its wasm function) runs for the shapes the forms do not cover.
 */
export function registerWasmConv2dBackpropInput(): void {
  if (registered) return;
  replaceConv2dBackpropInput(
    'wasm',
    (dy: tf.Tensor4D) => {
      // Few output positions per filter element (the deep layers): the filter's transpose and
      // packing dominate the convolution form, so take the matrix product (measured crossover
      // near B*OH*OW = 4 * O on the UNet's layers, docs/profile-wasm.md).
      const [batch, outHeight, outWidth, outChannels] = dy.shape;
      return batch * outHeight * outWidth <= 4 * outChannels ? conv2dBackpropInputByMatMul : conv2dBackpropInputByForwardConv;
    },
    'registerWasmConv2dBackpropInput',
  );
  registered = true;
}
