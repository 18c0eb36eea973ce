import * as tf from '@tensorflow/tfjs';

/**
 * Conv2DBackpropFilter for the wasm backend, which does not ship it (so tfjs cannot train
 * convolutions on wasm without this). Built from one forward convolution that XNNPACK runs fast
 * (ENGINE.md, "conv-filter-grad kernel"):
 *
 *   dW[kh, kw, c, o] = sum over b, i, j of xpad[b, i*s + kh, j*s + kw, c] * dy[b, i, j, o]
 *
 * which is a valid convolution of transpose(xpad, [3, 1, 2, 0]) (C, Hp, Wp, B) with the filter
 * transpose(dy, [1, 2, 0, 3]) (OH, OW, B, O) at dilation s, sliced to k x k and transposed back.
 * The bottom/right padding gets s extra rows and columns so the slice is always in range.
 */
export function conv2dBackpropFilterByForwardConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { top, left, bottom, right } = info.padInfo;
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [kh, kw, inChannels, outChannels] = filterShape;
  return tf.tidy(() => {
    const xpad = tf.pad(x, [
      [0, 0],
      [top, bottom + sh],
      [left, right + sw],
      [0, 0],
    ]);
    const xt = tf.transpose(xpad, [3, 1, 2, 0]);
    const filter = tf.transpose(dy, [1, 2, 0, 3]);
    const full = tf.conv2d(xt as tf.Tensor4D, filter as tf.Tensor4D, 1, 'valid', 'NHWC', [sh, sw]);
    const cropped = tf.slice(full, [0, 0, 0, 0], [inChannels, kh, kw, outChannels]);
    return tf.transpose(cropped, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

let registered = false;

/** Registers the kernel for the wasm backend (once). */
export function registerWasmConv2dBackpropFilter(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropFilter,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, not ${dataFormat}`);
      // A Tensor returned from a kernel is used as the output as it is (tfjs engine.runKernelFunc).
      return conv2dBackpropFilterByForwardConv(
        x,
        dy,
        filterShape as [number, number, number, number],
        strides,
        pad,
        dimRoundingMode,
      ) as unknown as tf.TensorInfo;
    },
  });
}
