import * as tf from '@tensorflow/tfjs';

/**
 * Conv2DBackpropFilter for the wasm backend, which does not ship it (so tfjs cannot train
 * convolutions on wasm without this). Built from one forward convolution that XNNPACK runs fast
 * (ENGINE.md, "conv-filter-grad kernel"):
 *
 *   dW[kh, kw, c, o] = sum over b, i, j of xpad[b, i*s + kh, j*s + kw, c] * dy[b, i, j, o]
 *
 * which is a valid convolution of transpose(xpad, [3, 1, 2, 0]) (C, Hp, Wp, B) with the filter
 * transpose(dy, [1, 2, 0, 3]) (OH, OW, B, O) at dilation s, transposed back. xpad is padded (or
 * cut) at the bottom/right to exactly k + (OH - 1) * s rows and columns, so that the convolution
 * returns k x k and needs no slice: wasm's Slice of that [C, k', k', O] result cost more than the
 * convolution on the UNet's widest layers (docs/profile-wasm.md).
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
  const { top, left } = info.padInfo;
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [kh, kw] = filterShape;
  // Rows and columns of x after the top/left padding that the k x k window positions reach.
  const needH = kh + (info.outHeight - 1) * sh - top;
  const needW = kw + (info.outWidth - 1) * sw - left;
  return tf.tidy(() => {
    const [, height, width] = x.shape;
    const cut = needH < height || needW < width ? tf.slice(x, [0, 0, 0, 0], [-1, Math.min(needH, height), Math.min(needW, width), -1]) : x;
    const xpad = tf.pad(cut, [
      [0, 0],
      [top, Math.max(0, needH - height)],
      [left, Math.max(0, needW - width)],
      [0, 0],
    ]);
    const xt = tf.transpose(xpad, [3, 1, 2, 0]);
    const filter = tf.transpose(dy, [1, 2, 0, 3]);
    const full = tf.conv2d(xt as tf.Tensor4D, filter as tf.Tensor4D, 1, 'valid', 'NHWC', [sh, sw]);
    return tf.transpose(full, [1, 2, 0, 3]) as tf.Tensor4D;
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
