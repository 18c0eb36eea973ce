import * as tf from '@tensorflow/tfjs';
import { replaceKernel } from '../shared/replace-kernel.js';

/**
 * Conv2D for the wasm backend's deep layers as im2col + one matrix product. tfjs-backend-wasm 4.22
 * hands XNNPACK a new convolution operator whenever the filter tensor is new (its cache is keyed by
 * tensor id), and in training it is new on every step (Adam writes a new tensor). Creating that
 * operator transposes and packs the filter in scalar loops: for the UNet's 3x3x1024x512 layers at
 * 4x4 px that is ~60 ms of a ~70 ms convolution (11 ms with the same filter again,
 * docs/profile-wasm.md). The matrix-product path packs the filter more cheaply:
 *
 *   y[(b, i, j), o] = sum over (kh, kw, c) of xpad[b, i*s + kh, j*s + kw, c] * W[kh, kw, c, o]
 *
 * i.e. A . W2d with A the [B*OH*OW, kh*kw*C] matrix of input patches (one slice per tap, joined
 * along the channels in the filter's (kh, kw, c) order) and W2d the filter as it is stored. Taken
 * only where the patches are small next to the filter (few output positions: B*OH*OW <= 2*O);
 * elsewhere the convolution is faster and stays. Stride s reads the taps from the s x s phases
 * of the padded input (a reshape), so no strided copy is needed.
 */
export function conv2dByMatMul(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: [number, number] | number,
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(x.shape, filter.shape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [kh, kw, inChannels, outChannels] = filter.shape;
  const [batch, height, width] = x.shape;
  const { outHeight, outWidth } = info;
  const { top, left } = info.padInfo;
  // The padded grid the taps read, in whole stride phases.
  const rows = Math.ceil(Math.max((outHeight - 1) * sh + kh, top + height) / sh) * sh;
  const cols = Math.ceil(Math.max((outWidth - 1) * sw + kw, left + width) / sw) * sw;
  return tf.tidy(() => {
    // rows >= top + height (and cols >= left + width): the whole input fits, zeros pad the rest.
    const xpad = tf.pad(x, [
      [0, 0],
      [top, rows - top - height],
      [left, cols - left - width],
      [0, 0],
    ]);
    const phases = tf.reshape(xpad, [batch, rows / sh, sh, cols / sw, sw, inChannels]);
    const taps: tf.Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const tap = tf.slice(phases, [0, Math.floor(i / sh), i % sh, Math.floor(j / sw), j % sw, 0], [batch, outHeight, 1, outWidth, 1, inChannels]);
        taps.push(tf.reshape(tap, [batch * outHeight * outWidth, inChannels]));
      }
    }
    const patches = taps.length === 1 ? (taps[0] as tf.Tensor) : tf.concat(taps, 1);
    // tfjs-wasm caches its XNNPACK product operator by the right operand's data id, which this
    // reshape keeps; our BatchMatMul (wasm/batch-matmul.ts) copies an operand it saw with another shape.
    const product = tf.matMul(patches as tf.Tensor2D, tf.reshape(filter, [kh * kw * inChannels, outChannels]) as tf.Tensor2D);
    return tf.reshape(product, [batch, outHeight, outWidth, outChannels]) as tf.Tensor4D;
  });
}

/** Whether conv2dByMatMul is the faster form for these shapes (measured on the UNet's layers). */
export function preferConv2dByMatMul(batchOutPositions: number, filterShape: readonly number[]): boolean {
  const [kh, kw, inChannels, outChannels] = filterShape as [number, number, number, number];
  const filterSize = kh * kw * inChannels * outChannels;
  // Packing only dominates for large filters; the patch matrix must stay small next to them.
  return filterSize >= 1 << 20 && batchOutPositions > 0 && batchOutPositions <= 2 * outChannels && kh * kw <= 49;
}

let registered = false;

/**
 * Replaces the wasm backend's Conv2D (once): deep layers (preferConv2dByMatMul) take the matrix
 * product; everything else, and NCHW, dilation or non-float32 inputs, goes to the original.
 * Call before tf.setBackend('wasm').
 */
export function registerWasmConv2dDeep(): void {
  if (registered) return;
  const original = replaceKernel(
    tf.Conv2D,
    'wasm',
    (params) => {
      const { x, filter } = params.inputs as { x: tf.Tensor4D; filter: tf.Tensor4D };
      const { strides, pad, dataFormat, dilations, dimRoundingMode } = params.attrs as unknown as tf.Conv2DAttrs;
      const [dh, dw] = typeof dilations === 'number' ? [dilations, dilations] : (dilations ?? [1, 1]);
      if (dataFormat !== 'NHWC' || dh !== 1 || dw !== 1 || x.dtype !== 'float32' || filter.dtype !== 'float32') return original.kernelFunc(params);
      const info = tf.backend_util.computeConv2DInfo(x.shape, filter.shape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
      if (!preferConv2dByMatMul(info.batchSize * info.outHeight * info.outWidth, filter.shape)) return original.kernelFunc(params);
      // A Tensor returned from a kernel is used as the output as it is (tfjs engine.runKernelFunc).
      return conv2dByMatMul(x, filter, strides, pad, dimRoundingMode) as unknown as tf.TensorInfo;
    },
    'registerWasmConv2dDeep',
  );
  registered = true;
}
