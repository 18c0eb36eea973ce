import * as tf from '@tensorflow/tfjs';
import { replaceKernel } from './replace-kernel.js';
import { conv2dBackpropInputByForwardConv } from './wasm-conv2d-backprop-input.js';

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
  const original = replaceKernel(
    tf.Conv2DBackpropInput,
    'webgpu',
    (params) => {
      const { dy, filter } = params.inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D };
      const { strides, pad, dataFormat, dimRoundingMode, inputShape } = params.attrs as unknown as tf.Conv2DBackpropInputAttrs;
      const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
      if (dataFormat !== 'NHWC' || sh !== sw) return original.kernelFunc(params);
      // A Tensor returned from a kernel is used as the output as it is (tfjs engine.runKernelFunc).
      return conv2dBackpropInputByForwardConv(
        dy,
        filter,
        inputShape as [number, number, number, number],
        strides,
        pad,
        dimRoundingMode,
      ) as unknown as tf.TensorInfo;
    },
    'registerWebgpuConv2dBackpropInput',
  );
  registered = true;
}
