import { conv2dBackpropInputByForwardConv, replaceConv2dBackpropInput } from '../shared/conv2d-backprop-input-forward-conv.js';

let registered = false;

/**
 * Conv2DBackpropInput for the webgpu backend as one forward convolution of dy with the flipped,
 * transposed (and, for stride s, phase-split) filter: conv2dBackpropInputByForwardConv, the form the
 * wasm backend uses too. tfjs-backend-webgpu's own kernel is a direct loop per input pixel; its
 * forward convolution is a tiled matrix product. Measured on an H200 at 512 px batch 4: the
 * 3x3 192 -> 64 layer's input gradient took 8.8 ms against 3.4 ms for the forward convolution of
 * the same size (docs/profile-webgpu.md). Unequal strides and NCHW go to tfjs' kernel.
 */
export function registerWebgpuConv2dBackpropInput(): void {
  if (registered) return;
  replaceConv2dBackpropInput('webgpu', () => conv2dBackpropInputByForwardConv, 'registerWebgpuConv2dBackpropInput');
  registered = true;
}
