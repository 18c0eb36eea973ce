import * as tf from '@tensorflow/tfjs';
import { replaceKernel } from '../shared/replace-kernel.js';
import { asWasmHeap, heapCopier, type WasmHeapBackend } from './heap.js';
import type { CopyRows } from './simd/copy-rows.js';

/**
 * Copy kernels for the wasm backend that cost what they copy. tfjs-backend-wasm 4.22's Slice (and
 * SplitV, built on it) starts with backend.readSync(x), which copies the WHOLE input out of the
 * wasm heap, so cutting one 3x3 tap out of a 3x3x1024x512 filter copied 19 MB to keep 2 MB; its
 * Tile and DepthToSpace go element by element. In the UNet's training step those four took more
 * time than all convolutions together before we replaced them (docs/profile-wasm.md).
 *
 * These versions read and write the heap in place (no copy of the input) and move whole contiguous
 * runs, evenly spaced runs in one call of a wasm loop (wasm/simd/copy-rows.ts). Concat too: tfjs-wasm's
 * copies each run with TypedArray.set, ~80 ns a call plus ~0.7 floats/ns on the threaded build's
 * shared heap. Measured one by one at 128 px, two threads: the channel split of 4x128x128x67 into
 * 64 + 3 8.3 -> 1.8 ms, the concat of 3 + 64 channels 10.4 -> 1.4 ms (tfjs' own), a [64] vector
 * tiled to 4x128x128x64 4.3 -> 0.6 ms (docs/profile-wasm.md, "Fifth round"). Tensors of dtype
 * string go to the original kernels.
 *
 * Identity is here too: wasm's copies its input (cpu's and webgpu's share the memory, as every
 * backend's Reshape does). Gradients pass through Identity ~600 times per training step of the
 * paper UNet at 128 px, ~390 MiB of copies and ~30 ms of a ~1,630 ms step (docs/profile-wasm.md).
 * Sharing is safe because no kernel writes into its inputs' memory.
 */

type HeapArray = Float32Array | Int32Array | Uint8Array;

function strides(shape: readonly number[]): number[] {
  const result = new Array<number>(shape.length).fill(1);
  for (let axis = shape.length - 2; axis >= 0; axis--) result[axis] = (result[axis + 1] as number) * (shape[axis + 1] as number);
  return result;
}

/**
 * Calls `visit(rowIndex, index)` for every index of the leading `dims` (row-major order), where
 * `index` is the odometer (reused between calls).
 */
function forEachIndex(dims: readonly number[], visit: (row: number, index: readonly number[]) => void): void {
  if (dims.some((d) => d === 0)) return;
  const index = new Array<number>(dims.length).fill(0);
  const total = dims.reduce((a, b) => a * b, 1);
  for (let row = 0; row < total; row++) {
    visit(row, index);
    for (let axis = dims.length - 1; axis >= 0; axis--) {
      index[axis] = (index[axis] as number) + 1;
      if ((index[axis] as number) < (dims[axis] as number)) break;
      index[axis] = 0;
    }
  }
}

/**
 * The output, views of it and of the inputs (their byteOffset is what the copier takes), and the
 * copier. Taken after makeOutput: an allocation may grow the heap and detach older views (byte
 * offsets stay valid).
 */
function output(
  backend: WasmHeapBackend,
  shape: number[],
  dtype: tf.DataType,
  inputs: readonly tf.TensorInfo[],
): { out: tf.TensorInfo; dst: HeapArray; src: HeapArray[]; copy: CopyRows; bytes: number } {
  const out = backend.makeOutput(shape, dtype);
  const dst = backend.typedArrayFromHeap(out);
  return { out, dst, src: inputs.map((t) => backend.typedArrayFromHeap(t)), copy: heapCopier(backend), bytes: dst.BYTES_PER_ELEMENT };
}

/** Copies x[begin : begin + size] into a new tensor: runs of whole trailing axes, one copy call per index of the axes before the last cut one. */
export function sliceOnHeap(backend: WasmHeapBackend, x: tf.TensorInfo, begin: readonly number[], size: readonly number[]): tf.TensorInfo {
  const { out, dst, src, copy, bytes } = output(backend, [...size], x.dtype, [x]);
  const xv = src[0] as HeapArray;
  const xStrides = strides(x.shape);
  // Axes after `split` are taken whole, so each index of the axes before it is one run.
  let split = x.shape.length - 1;
  while (split > 0 && size[split] === x.shape[split]) split--;
  const run = (size[split] ?? 1) * (xStrides[split] ?? 1);
  const start = begin.reduce((sum, b, axis) => sum + b * (xStrides[axis] as number), 0);
  // split is -1 for a scalar (one value), 0 when every axis after the first is whole: one run.
  if (split <= 0 || size.some((d) => d === 0)) {
    if (run > 0 && size.every((d) => d > 0)) copy(dst.byteOffset, xv.byteOffset + start * bytes, run * bytes, 1, 0, 0);
    return out;
  }
  // The runs along axis split - 1 are evenly spaced: one call each.
  const rows = size[split - 1] as number;
  const rowStride = xStrides[split - 1] as number;
  forEachIndex(size.slice(0, split - 1), (row, index) => {
    let offset = start;
    for (let axis = 0; axis < index.length; axis++) offset += (index[axis] as number) * (xStrides[axis] as number);
    copy(dst.byteOffset + row * rows * run * bytes, xv.byteOffset + offset * bytes, run * bytes, rows, run * bytes, rowStride * bytes);
  });
  return out;
}

/** NHWC concat along `axis`: each input's runs, evenly spaced in the output, in one copy call. */
export function concatOnHeap(backend: WasmHeapBackend, inputs: readonly tf.TensorInfo[], axis: number): tf.TensorInfo {
  const outShape = tf.backend_util.computeOutShape(
    inputs.map((t) => t.shape),
    axis,
  );
  const { out, dst, src, copy, bytes } = output(backend, outShape, (inputs[0] as tf.TensorInfo).dtype, inputs);
  const rows = tf.util.sizeFromShape(outShape.slice(0, axis));
  const widths = inputs.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
  const total = widths.reduce((a, b) => a + b, 0);
  let column = 0;
  for (const [i, width] of widths.entries()) {
    if (width > 0 && rows > 0) copy(dst.byteOffset + column * bytes, (src[i] as HeapArray).byteOffset, width * bytes, rows, total * bytes, width * bytes);
    column += width;
  }
  return out;
}

/** NHWC depthToSpace: out[b, h*bs + dh, w*bs + dw, c] = x[b, h, w, (dh*bs + dw)*C + c]. */
export function depthToSpaceOnHeap(backend: WasmHeapBackend, x: tf.TensorInfo, blockSize: number): tf.TensorInfo {
  const [batch, height, width, depth] = x.shape as [number, number, number, number];
  const channels = depth / (blockSize * blockSize);
  const { out, dst, src, copy, bytes } = output(backend, [batch, height * blockSize, width * blockSize, channels], x.dtype, [x]);
  const xv = src[0] as HeapArray;
  const run = blockSize * channels;
  let target = 0;
  // One output row (b, h*bs + dh) is run dh of every pixel of input row (b, h): one call.
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < height; h++) {
      for (let dh = 0; dh < blockSize; dh++) {
        const first = (b * height + h) * width * depth + dh * run;
        if (width > 0 && run > 0) copy(dst.byteOffset + target * bytes, xv.byteOffset + first * bytes, run * bytes, width, run * bytes, depth * bytes);
        target += width * run;
      }
    }
  }
  return out;
}

/**
 * tile: each output row (all axes but the last) is its source row repeated, or one value filled.
 * Rows whose source is one row repeated, or consecutive rows (the last axis not tiled), go in one
 * copy call per index of the axes before them: Sum's and Mean's gradients broadcast a [C] vector
 * over [B, H, W, C] so.
 */
export function tileOnHeap(backend: WasmHeapBackend, x: tf.TensorInfo, reps: readonly number[]): tf.TensorInfo {
  const rank = x.shape.length;
  const outShape = x.shape.map((d, axis) => d * (reps[axis] as number));
  const { out, dst, src, copy, bytes } = output(backend, outShape, x.dtype, [x]);
  const xv = src[0] as HeapArray;
  // One value (a scalar broadcast to a mask's shape, say): one fill, not one per output row.
  if (x.shape.every((d) => d === 1)) {
    dst.fill(xv[0] as number);
    return out;
  }
  const xStrides = strides(x.shape);
  const inner = x.shape[rank - 1] as number;
  const rowLength = outShape[rank - 1] as number;
  if (outShape.some((d) => d === 0)) return out;
  const sourceOf = (index: readonly number[]) => index.reduce((sum, i, axis) => sum + (i % (x.shape[axis] as number)) * (xStrides[axis] as number), 0);
  const byRows = rank >= 2 && reps[rank - 1] === 1 && (x.shape[rank - 2] === 1 || reps[rank - 2] === 1);
  if (byRows) {
    const rows = outShape[rank - 2] as number;
    const rowStride = x.shape[rank - 2] === 1 ? 0 : (xStrides[rank - 2] as number);
    forEachIndex(outShape.slice(0, rank - 2), (row, index) => {
      copy(
        dst.byteOffset + row * rows * rowLength * bytes,
        xv.byteOffset + sourceOf(index) * bytes,
        rowLength * bytes,
        rows,
        rowLength * bytes,
        rowStride * bytes,
      );
    });
    return out;
  }
  forEachIndex(outShape.slice(0, rank - 1), (row, index) => {
    const source = sourceOf(index);
    const target = row * rowLength;
    if (inner === 1) dst.fill(xv[source] as number, target, target + rowLength);
    else copy(dst.byteOffset + target * bytes, xv.byteOffset + source * bytes, inner * bytes, rowLength / inner, inner * bytes, 0);
  });
  return out;
}

type KernelParams = Parameters<tf.KernelFunc>[0];

/** Registers `kernelFunc` for wasm in place of the backend's own kernel, which it may fall back to. */
function replace(
  kernelName: string,
  kernelFunc: (params: KernelParams, x: tf.TensorInfo, backend: WasmHeapBackend, original: tf.KernelFunc) => tf.TensorInfo | tf.TensorInfo[],
): void {
  const original = replaceKernel(
    kernelName,
    'wasm',
    (params) => {
      const x = params.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return original.kernelFunc(params);
      return kernelFunc(params, x, asWasmHeap(params.backend), original.kernelFunc);
    },
    'registerWasmCopyKernels',
  );
}

let registered = false;

/** Replaces wasm's Slice, SplitV, Concat, Tile, DepthToSpace and Identity (once). Call before tf.setBackend('wasm'). */
export function registerWasmCopyKernels(): void {
  if (registered) return;
  replace(tf.Identity, (_params, x, backend) => {
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
  replace(tf.Slice, ({ attrs }, x, backend) => {
    const { begin, size } = attrs as unknown as tf.SliceAttrs;
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [number[], number[]];
    return sliceOnHeap(backend, x, b, s);
  });
  replace(tf.SplitV, ({ attrs }, x, backend) => {
    const { numOrSizeSplits, axis } = attrs as unknown as tf.SplitVAttrs;
    const $axis = tf.util.parseAxisParam(axis, x.shape)[0] as number;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((piece) => {
      const size = [...x.shape];
      size[$axis] = piece;
      const result = sliceOnHeap(backend, x, begin, size);
      begin[$axis] = (begin[$axis] as number) + piece;
      return result;
    });
  });
  replace(tf.Tile, (params, x, backend, original) => {
    if (x.shape.length === 0) return original(params);
    return tileOnHeap(backend, x, (params.attrs as unknown as tf.TileAttrs).reps);
  });
  // Concat's inputs are a list, not x: registered here directly.
  const originalConcat = replaceKernel(
    tf.Concat,
    'wasm',
    (params) => {
      const inputs = (Array.isArray(params.inputs) ? params.inputs : Object.values(params.inputs)) as tf.TensorInfo[];
      const first = inputs[0];
      if (!first || first.dtype === 'string' || inputs.some((t) => t.dtype !== first.dtype)) return originalConcat.kernelFunc(params);
      const axis = tf.util.parseAxisParam((params.attrs as unknown as tf.ConcatAttrs).axis, first.shape)[0] as number;
      tf.backend_util.assertParamsConsistent(
        inputs.map((t) => t.shape),
        axis,
      );
      return concatOnHeap(asWasmHeap(params.backend), inputs, axis);
    },
    'registerWasmCopyKernels',
  );
  replace(tf.DepthToSpace, (params, x, backend, original) => {
    const { blockSize, dataFormat } = params.attrs as unknown as tf.DepthToSpaceAttrs;
    if (dataFormat !== 'NHWC') return original(params);
    return depthToSpaceOnHeap(backend, x, blockSize);
  });
  // Only now: a call that threw above (wasm backend not imported yet) may be repeated.
  registered = true;
}
