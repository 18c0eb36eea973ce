import * as tf from '@tensorflow/tfjs';
import { replaceKernel } from '../shared/replace-kernel.js';
import { asWasmHeap, floatsOf } from './heap.js';

/**
 * MaxPoolGrad for the wasm backend as one pass over the windows, in JavaScript on the heap.
 * tfjs-backend-wasm 4.22's own kernel searches, for every input pixel, every window that could
 * hold it: 42 ms for one 2x2 pool of the full loss's VGG16 at 64 px (12 x 64 x 64 x 64), ~3% of
 * a training step; this pass takes a few ms.
 *
 * The result is bit for bit tfjs' cpu backend's, which the tests check on ties, overlaps and
 * padding:
 * - In each window the FIRST maximum in row-major order receives the window's gradient (a strictly
 *   greater value replaces it). So a NaN is never picked, and a window of only NaN or -Infinity
 *   passes no gradient. PyTorch picks ties the same way but, unlike tfjs, picks a NaN.
 * - A pixel that is the maximum of several overlapping windows gets the sum of their gradients,
 *   added as the cpu backend adds them: in double, in row-major window order, rounded to float32
 *   once. Summing in float32 instead would round after every term, and with three or more terms
 *   the last bit could differ. Windows that do not overlap (VGG16's 2x2, stride 2) give each pixel
 *   at most one term, written as it is: exact without the double buffer.
 */
export function maxPoolGradInto(dx: Float32Array, x: ArrayLike<number>, dy: ArrayLike<number>, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const imageSize = inHeight * inWidth * channels;
  const overlap = strideHeight < filterHeight || strideWidth < filterWidth;
  // One image's sums in double when windows overlap; else dx itself (one term per pixel).
  const sums = overlap ? new Float64Array(imageSize) : undefined;
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * imageSize;
    const acc = sums ?? dx.subarray(xBatch, xBatch + imageSize);
    sums?.fill(0);
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(inHeight, y0 + filterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(inWidth, x0 + filterWidth);
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * channels;
        for (let c = 0; c < channels; c++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let y = yStart; y < yEnd; y++) {
            for (let xx = xStart; xx < xEnd; xx++) {
              const index = (y * inWidth + xx) * channels + c;
              const value = x[xBatch + index] as number;
              if (value > best) {
                best = value;
                at = index;
              }
            }
          }
          if (at >= 0) acc[at] = (acc[at] as number) + (dy[dyBase + c] as number);
        }
      }
    }
    // Float32Array.set rounds each double to the nearest float32, as the cpu backend's store does.
    if (sums) dx.set(sums, xBatch);
  }
}

/** tfjs-backend-wasm's own MaxPoolGrad, kept by registerWasmMaxPoolGrad for other dtypes. */
let original: tf.KernelConfig | undefined;

/**
 * The kernel function registered for MaxPoolGrad on wasm (exported so that tests can tell it is
 * ours): float32, dilation 1 (the only dilation tfjs' maxPool gradient supports).
 */
export const wasmMaxPoolGrad: tf.KernelFunc = (params) => {
  if (!original) throw new Error('wasmMaxPoolGrad: call registerWasmMaxPoolGrad() first');
  const { dy, input } = params.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  if (dy.dtype !== 'float32' || input.dtype !== 'float32') return original.kernelFunc(params);
  const { filterSize, strides, pad, dimRoundingMode } = params.attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const wasm = asWasmHeap(params.backend);
  const out = wasm.makeOutput([...input.shape], 'float32');
  // Views after makeOutput: an allocation may grow the heap and detach older ones.
  maxPoolGradInto(floatsOf(wasm, out), floatsOf(wasm, input), floatsOf(wasm, dy), info);
  return out;
};

/** Replaces the wasm backend's MaxPoolGrad (once); call before tf.setBackend('wasm'). */
export function registerWasmMaxPoolGrad(): void {
  if (original) return;
  original = replaceKernel(tf.MaxPoolGrad, 'wasm', wasmMaxPoolGrad, 'registerWasmMaxPoolGrad');
}
