import * as tf from '@tensorflow/tfjs';
import { replaceKernel } from './replace-kernel.js';
import { asWasmHeap, type WasmHeapBackend } from './wasm-heap.js';

/**
 * Copy kernels for the wasm backend that cost what they copy. tfjs-backend-wasm 4.22's Slice (and
 * SplitV, built on it) starts with backend.readSync(x), which copies the WHOLE input out of the
 * wasm heap, so cutting one 3x3 tap out of a 3x3x1024x512 filter copied 19 MB to keep 2 MB; its
 * Tile and DepthToSpace go element by element. In the UNet's training step these four took more
 * time than all convolutions together (docs/profile-wasm.md).
 *
 * These versions read and write the heap through views (no copy of the input) and move whole
 * contiguous runs with TypedArray.set/fill. Tensors of dtype string go to the original kernels.
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

/** Output views are taken after makeOutput: an allocation may grow the heap and detach older views. */
function output(
  backend: WasmHeapBackend,
  shape: number[],
  dtype: tf.DataType,
  inputs: readonly tf.TensorInfo[],
): { out: tf.TensorInfo; dst: HeapArray; src: HeapArray[] } {
  const out = backend.makeOutput(shape, dtype);
  return { out, dst: backend.typedArrayFromHeap(out), src: inputs.map((t) => backend.typedArrayFromHeap(t)) };
}

/** Copies x[begin : begin + size] into a new tensor, one contiguous run at a time. */
export function sliceOnHeap(backend: WasmHeapBackend, x: tf.TensorInfo, begin: readonly number[], size: readonly number[]): tf.TensorInfo {
  const { out, dst, src } = output(backend, [...size], x.dtype, [x]);
  const xv = src[0] as HeapArray;
  const xStrides = strides(x.shape);
  // Axes after `split` are taken whole, so each index of the axes before it is one run.
  let split = x.shape.length - 1;
  while (split > 0 && size[split] === x.shape[split]) split--;
  const run = (size[split] ?? 1) * (xStrides[split] ?? 1);
  const start = begin.reduce((sum, b, axis) => sum + b * (xStrides[axis] as number), 0);
  forEachIndex(size.slice(0, split), (row, index) => {
    let offset = start;
    for (let axis = 0; axis < index.length; axis++) offset += (index[axis] as number) * (xStrides[axis] as number);
    // A view per run costs more than copying a few values one by one.
    if (run < 16) for (let i = 0; i < run; i++) dst[row * run + i] = xv[offset + i] as number;
    else dst.set(xv.subarray(offset, offset + run), row * run);
  });
  return out;
}

/** NHWC depthToSpace: out[b, h*bs + dh, w*bs + dw, c] = x[b, h, w, (dh*bs + dw)*C + c]. */
export function depthToSpaceOnHeap(backend: WasmHeapBackend, x: tf.TensorInfo, blockSize: number): tf.TensorInfo {
  const [batch, height, width, depth] = x.shape as [number, number, number, number];
  const channels = depth / (blockSize * blockSize);
  const { out, dst, src } = output(backend, [batch, height * blockSize, width * blockSize, channels], x.dtype, [x]);
  const xv = src[0] as HeapArray;
  let target = 0;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < height; h++) {
      for (let dh = 0; dh < blockSize; dh++) {
        for (let w = 0; w < width; w++) {
          const pixel = ((b * height + h) * width + w) * depth + dh * blockSize * channels;
          dst.set(xv.subarray(pixel, pixel + blockSize * channels), target);
          target += blockSize * channels;
        }
      }
    }
  }
  return out;
}

/** tile: each output row (all axes but the last) is its source row repeated, or one value filled. */
export function tileOnHeap(backend: WasmHeapBackend, x: tf.TensorInfo, reps: readonly number[]): tf.TensorInfo {
  const rank = x.shape.length;
  const outShape = x.shape.map((d, axis) => d * (reps[axis] as number));
  const { out, dst, src } = output(backend, outShape, x.dtype, [x]);
  const xv = src[0] as HeapArray;
  // One value (a scalar broadcast to a mask's shape, say): one fill, not one per output row.
  if (x.shape.every((d) => d === 1)) {
    dst.fill(xv[0] as number);
    return out;
  }
  const xStrides = strides(x.shape);
  const inner = x.shape[rank - 1] as number;
  const rowLength = outShape[rank - 1] as number;
  forEachIndex(outShape.slice(0, rank - 1), (row, index) => {
    let source = 0;
    for (let axis = 0; axis < index.length; axis++) source += ((index[axis] as number) % (x.shape[axis] as number)) * (xStrides[axis] as number);
    const target = row * rowLength;
    if (inner === 1) dst.fill(xv[source] as number, target, target + rowLength);
    else for (let r = 0; r < rowLength; r += inner) dst.set(xv.subarray(source, source + inner), target + r);
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

/** Replaces wasm's Slice, SplitV, Tile, DepthToSpace and Identity (once). Call before tf.setBackend('wasm'). */
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
  replace(tf.DepthToSpace, (params, x, backend, original) => {
    const { blockSize, dataFormat } = params.attrs as unknown as tf.DepthToSpaceAttrs;
    if (dataFormat !== 'NHWC') return original(params);
    return depthToSpaceOnHeap(backend, x, blockSize);
  });
  // Only now: a call that threw above (wasm backend not imported yet) may be repeated.
  registered = true;
}
