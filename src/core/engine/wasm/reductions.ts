import * as tf from '@tensorflow/tfjs';
import { replaceKernel } from '../shared/replace-kernel.js';
import { asWasmHeap, wasmMemoryOf } from './heap.js';
import { sumRowsFor } from './simd/sum-rows.js';

/**
 * Sum and Mean for the wasm backend over one contiguous block of axes, read in place on the heap.
 * tfjs-backend-wasm 4.22 first transposes the reduced axes to the end (a copy of the whole input)
 * and then sums; the UNet's reductions are all over leading axes (batch norm statistics and their
 * gradients, bias gradients: [B, H, W, C] to [C]) or over everything (the losses), so that copy
 * is most of their cost: ~60 ms of a ~1,630 ms training step at 128 px (docs/profile-wasm.md).
 *
 * Viewing x as [outer, reduce, inner] (the reduced axes merged in the middle), each output is
 * summed over the reduced index in row-major order in double precision and rounded once, which is
 * what tfjs-backend-cpu does: the results equal the cpu backend's bit for bit (its Mean divides
 * each element by the count first, and so does this one). Whole vectors of 4 inner channels are
 * summed by a wasm SIMD loop (wasm/simd/sum-rows.ts; same operations, same order), the rest in
 * JavaScript. Other inputs (non-float32, axes that are not contiguous, no axes) go to the
 * original kernels.
 */
/** [outer, reduce, inner] of x when `axes` (sorted, distinct) are one contiguous block; else null. */
export function reductionBlock(shape: readonly number[], axes: readonly number[]): [number, number, number] | null {
  if (axes.length === 0) return null;
  const first = axes[0] as number;
  const last = axes.at(-1) as number;
  if (last - first + 1 !== axes.length) return null;
  const product = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
  return [product(0, first), product(first, last + 1), product(last + 1, shape.length)];
}

/**
 * out[o, i] = sum over r of x[o, r, i], accumulated in double and rounded to float32 once. With a
 * divisor (Mean) each element is divided first and rounded to float32, as the cpu backend's Mean
 * does (RealDiv, then Sum).
 */
export function sumBlock(
  x: ArrayLike<number>,
  out: Float32Array,
  [outer, reduce, inner]: readonly [number, number, number],
  divisor = 1,
  simdChannels?: (outerIndex: number, acc: Float64Array) => number,
): void {
  if (inner === 1) {
    // A total per row (the losses' means): a local sum, not an array slot per element.
    for (let o = 0, row = 0; o < outer; o++) {
      let sum = 0;
      if (divisor === 1) for (let r = 0; r < reduce; r++, row++) sum += x[row] as number;
      else for (let r = 0; r < reduce; r++, row++) sum += Math.fround((x[row] as number) / divisor);
      out[o] = sum;
    }
    return;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    // Channels [0, first) summed by the SIMD loop (wasm/simd/sum-rows.ts) where the caller has one.
    const first = simdChannels?.(o, acc) ?? 0;
    let row = o * reduce * inner;
    if (divisor === 1) {
      for (let r = 0; r < reduce; r++, row += inner) for (let i = first; i < inner; i++) acc[i] = (acc[i] as number) + (x[row + i] as number);
    } else {
      for (let r = 0; r < reduce; r++, row += inner)
        for (let i = first; i < inner; i++) acc[i] = (acc[i] as number) + Math.fround((x[row + i] as number) / divisor);
    }
    out.set(acc, o * inner);
  }
}

function reduceOnHeap(params: Parameters<tf.KernelFunc>[0], original: tf.KernelFunc, mean: boolean): tf.TensorInfo | tf.TensorInfo[] {
  const x = params.inputs.x as tf.TensorInfo;
  const { axis, keepDims } = params.attrs as unknown as tf.SumAttrs;
  const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
  const block = x.dtype === 'float32' ? reductionBlock(x.shape, axes) : null;
  if (!block) return original(params);
  const backend = asWasmHeap(params.backend);
  const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
  const out = backend.makeOutput(keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape, 'float32');
  // cpu's Mean divides by the count as a float32 (not exact past 2^24 elements).
  const divisor = mean ? Math.fround(block[1]) : 1;
  const [, reduce, inner] = block;
  const memory = wasmMemoryOf(backend);
  const loops = memory && inner >= 4 ? sumRowsFor(memory) : null;
  // A float64 accumulator per channel on the heap for the SIMD loop (whole vectors of 4 channels).
  const channels = inner - (inner % 4);
  const scratch = loops ? backend.makeOutput([channels * 2], 'float32') : null;
  try {
    // Views after the last makeOutput: an allocation may grow the heap and detach older views.
    const xv = backend.typedArrayFromHeap(x);
    const simdChannels =
      memory && loops && scratch
        ? (o: number, acc: Float64Array) => {
            const at = backend.typedArrayFromHeap(scratch).byteOffset;
            const sums = new Float64Array(memory.buffer, at, channels);
            sums.fill(0);
            (mean ? loops.mean : loops.sum)(xv.byteOffset + o * reduce * inner * 4, at, reduce, channels, inner * 4, divisor);
            acc.set(sums);
            return channels;
          }
        : undefined;
    sumBlock(xv, backend.typedArrayFromHeap(out) as Float32Array, block, divisor, simdChannels);
  } finally {
    if (scratch) backend.disposeData(scratch.dataId);
  }
  return out;
}

let registered = false;

/** Replaces wasm's Sum and Mean (once). Call before tf.setBackend('wasm'). */
export function registerWasmReductions(): void {
  if (registered) return;
  const sum = replaceKernel(tf.Sum, 'wasm', (params) => reduceOnHeap(params, sum.kernelFunc, false), 'registerWasmReductions');
  const mean = replaceKernel(tf.Mean, 'wasm', (params) => reduceOnHeap(params, mean.kernelFunc, true), 'registerWasmReductions');
  registered = true;
}
