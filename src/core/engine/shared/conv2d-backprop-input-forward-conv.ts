import * as tf from '@tensorflow/tfjs';
import { equalStrideConv2DInfo } from './conv2d-backprop-input-matmul.js';
import { replaceKernel } from './replace-kernel.js';

/**
 * Conv2DBackpropInput (the gradient of a convolution with respect to its input) as one forward
 * convolution, in tf ops: the backends' forward convolutions are their fast ones (XNNPACK on wasm,
 * a tiled matrix product on webgpu), their own input-gradient kernels are plain loops
 * (wasm/conv2d-backprop-input.ts and webgpu/conv2d-backprop-input.ts say how much slower).
 *
 * With v = u + top (u the input row, top conv2d's top padding) written as v = q*s + r (s the
 * stride, 0 <= r < s), each phase r of the input gradient is a stride-1 correlation of dy with
 * the taps kh = r, r+s, r+2s, ... of the filter, flipped:
 *
 *   dx[u] = sum over m of dy[q - m] * W[r + m*s]^T,   m = 0 .. ceil(k/s) - 1, W[kh] = 0 for kh >= k
 *
 * All s*s phases (rows and columns) go into one filter G of ceil(k/s)^2 taps and s*s*C output
 * channels, G[t_h, t_w, o, (r_h*s + r_w)*C + c] = W[r_h + (Kp-1-t_h)*s, r_w + (Kp-1-t_w)*s, c, o];
 * one convolution of dy with G gives every phase, depthToSpace interleaves them, and a slice drops
 * the rows that the padding added. For s = 1 this is the familiar convolution with the flipped,
 * transposed filter. Layers with a large filter and small activations take the matrix-product
 * form instead (shared/conv2d-backprop-input-matmul.ts); the registered kernel picks by shape.
 */
export function conv2dBackpropInputByForwardConv(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  const info = equalStrideConv2DInfo('conv2dBackpropInputByForwardConv', inputShape, filter.shape, strides, pad, dimRoundingMode);
  const s = info.strideHeight;
  const [kh, kw, inChannels] = filter.shape;
  const rows = phasePlan(inputShape[1], info.outHeight, kh, s, info.padInfo.top);
  const cols = phasePlan(inputShape[2], info.outWidth, kw, s, info.padInfo.left);
  return tf.tidy(() => {
    const g = phaseFilter(filter, rows.taps, cols.taps, s);
    // Rows of dy that no input row depends on are cut; missing ones are zero padding of the conv.
    const [cutTop, cutLeft] = [Math.max(0, -rows.before), Math.max(0, -cols.before)];
    const [keepH, keepW] = [info.outHeight - cutTop - Math.max(0, -rows.after), info.outWidth - cutLeft - Math.max(0, -cols.after)];
    const cut = keepH === info.outHeight && keepW === info.outWidth ? dy : tf.slice(dy, [0, cutTop, cutLeft, 0], [-1, keepH, keepW, -1]);
    const phases = tf.conv2d(cut, g, 1, [
      [0, 0],
      [Math.max(0, rows.before), Math.max(0, rows.after)],
      [Math.max(0, cols.before), Math.max(0, cols.after)],
      [0, 0],
    ]);
    const interleaved = s === 1 ? phases : tf.depthToSpace(phases, s);
    if (rows.crop === 0 && cols.crop === 0 && interleaved.shape[1] === inputShape[1] && interleaved.shape[2] === inputShape[2]) return interleaved;
    return tf.slice(interleaved, [0, rows.crop, cols.crop, 0], [-1, inputShape[1], inputShape[2], inChannels]) as tf.Tensor4D;
  });
}

interface PhasePlan {
  /** Taps per phase: ceil(k / s). */
  readonly taps: number;
  /** Zero rows of dy before and after for the conv (negative: rows of dy to cut). */
  readonly before: number;
  readonly after: number;
  /** First row of the interleaved result that is input row 0. */
  readonly crop: number;
}

/** Along one axis: input size n, dy size outSize, kernel k, stride s, conv2d's leading padding. */
function phasePlan(n: number, outSize: number, k: number, s: number, lead: number): PhasePlan {
  const taps = Math.ceil(k / s);
  const first = Math.floor(lead / s);
  const last = Math.floor((n - 1 + lead) / s);
  return { taps, before: taps - 1 - first, after: last - (outSize - 1), crop: lead - first * s };
}

/**
 * G of the doc comment, [tapsH, tapsW, O, s*s*C]. Each tap of the filter is one contiguous [O, C]
 * block after one transpose, so G is a concatenation of whole blocks (and zero blocks): wasm's
 * Slice and Concat copy those with memcpy, where its GatherV2 and Reverse go element by element
 * (about 10x slower on a 3x3x1024x512 filter).
 */
function phaseFilter(filter: tf.Tensor4D, tapsH: number, tapsW: number, s: number): tf.Tensor4D {
  const [kh, kw, inChannels, outChannels] = filter.shape;
  const taps = tf.reshape(tf.transpose(filter, [0, 1, 3, 2]), [kh * kw, outChannels, inChannels]);
  let zero: tf.Tensor | undefined;
  const blocks: tf.Tensor[] = [];
  for (let th = 0; th < tapsH; th++) {
    for (let tw = 0; tw < tapsW; tw++) {
      for (let rh = 0; rh < s; rh++) {
        for (let rw = 0; rw < s; rw++) {
          const [h, w] = [rh + (tapsH - 1 - th) * s, rw + (tapsW - 1 - tw) * s];
          if (h < kh && w < kw) blocks.push(tf.slice(taps, [h * kw + w, 0, 0], [1, -1, -1]));
          else {
            zero ??= tf.zeros([1, outChannels, inChannels]);
            blocks.push(zero);
          }
        }
      }
    }
  }
  const gathered = blocks.length === 1 ? (blocks[0] as tf.Tensor) : tf.concat(blocks, 0);
  if (s === 1) return tf.reshape(gathered, [tapsH, tapsW, outChannels, inChannels]);
  const grouped = tf.transpose(tf.reshape(gathered, [tapsH * tapsW, s * s, outChannels, inChannels]), [0, 2, 1, 3]);
  return tf.reshape(grouped, [tapsH, tapsW, outChannels, s * s * inChannels]);
}

/** A tf-op form of Conv2DBackpropInput: this file's, or conv2dBackpropInputByMatMul. */
export type Conv2dBackpropInputForm = typeof conv2dBackpropInputByForwardConv;

/**
 * Registers Conv2DBackpropInput for `backendName` as the form `pick` chooses for each dy, in place
 * of the backend's own kernel, which still takes what the forms do not cover (NCHW, unequal
 * strides). Call after importing the backend and before tf.setBackend (replaceKernel says why).
 */
export function replaceConv2dBackpropInput(backendName: string, pick: (dy: tf.Tensor4D) => Conv2dBackpropInputForm, caller: string): void {
  const original = replaceKernel(
    tf.Conv2DBackpropInput,
    backendName,
    (params) => {
      const { dy, filter } = params.inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D };
      const { strides, pad, dataFormat, dimRoundingMode, inputShape } = params.attrs as unknown as tf.Conv2DBackpropInputAttrs;
      const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
      if (dataFormat !== 'NHWC' || sh !== sw) return original.kernelFunc(params);
      // A Tensor returned from a kernel is used as the output as it is (tfjs engine.runKernelFunc).
      return pick(dy)(dy, filter, inputShape as [number, number, number, number], strides, pad, dimRoundingMode) as unknown as tf.TensorInfo;
    },
    caller,
  );
}
