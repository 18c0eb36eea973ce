import * as tf from '@tensorflow/tfjs';
import { runShares, WasmCallHelper } from './call-helper.js';
import { type FilterGradientJob, filterGradientCalls, type TileCallSink } from './conv2d-backprop-filter-blocks.js';
import { asWasmHeap, floatsOf, heapCopier, wasmMemoryOf } from './heap.js';
import { isSharedMemory, type WasmMemory } from './simd/assembler.js';
import {
  type FilterGradientTile,
  filterGradientModule,
  filterGradientTilesFor,
  MAX_INPUT_CHANNELS_PER_TILE,
  TILE_NAMES,
  TILE_PARAMS,
} from './simd/conv2d-backprop-filter.js';
import { wasmBackendThreads } from './threads.js';

/*
 * Conv2DBackpropFilter for the wasm backend, which does not ship it (so tfjs cannot train
 * convolutions on wasm without this). The term: Conv2DBackpropFilter is tfjs' (and TensorFlow's)
 * kernel name for a convolution's "filter gradient", dW = dLoss/dFilter given the layer's input x
 * and its output gradient dy; file names here say conv2d-backprop-filter, code and comments say
 * filter gradient, and both mean this. Two ways: our SIMD tiles on the heap
 * (filterGradientBySimdTiles, below; wasm/simd/conv2d-backprop-filter.ts, cut into blocks by
 * wasm/conv2d-backprop-filter-blocks.ts), and where the engine has no wasm SIMD, one forward
 * convolution that XNNPACK runs (conv2dBackpropFilterByForwardConv). The tiles made 128 px
 * training steps 1.2x faster (docs/profile-wasm.md, "Fifth round").
 */

/**
 * The filter gradient as one forward convolution that XNNPACK runs. Each filter tap is a sum over
 * the batch and the output positions, which is itself a convolution with dy as the filter:
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

/** Helper threads per heap (one fewer than the backend's threads), started at the first gradient that uses them. */
const helpers = new WeakMap<WasmMemory, WasmCallHelper[]>();

function helpersFor(backend: tf.KernelBackend, memory: WasmMemory, tiles: readonly FilterGradientTile[]): WasmCallHelper[] {
  let list = helpers.get(memory);
  if (!list) {
    const module = isSharedMemory(memory) ? filterGradientModule(true) : null;
    const count = module ? wasmBackendThreads(backend) - 1 : 0;
    list = Array.from({ length: count }, () => new WasmCallHelper(memory, module as object, TILE_NAMES, tiles, TILE_PARAMS));
    helpers.set(memory, list);
  }
  return list.filter((helper) => helper.ready());
}

/**
 * The filter gradient by our SIMD tiles (wasm/simd/conv2d-backprop-filter.ts), the input channels split among
 * the main thread and the helper threads; null where the tiles cannot run it (no wasm SIMD).
 * Output channels that are not a multiple of 4 (the UNet's last layer: 3) run on a copy of dy
 * padded with zero channels, and the result is cut back: at 128 px that layer's gradient took
 * ~36 ms as an XNNPACK convolution and ~21 ms so (docs/profile-wasm.md, "Fifth round").
 */
export function filterGradientBySimdTiles(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo | null {
  const heap = asWasmHeap(backend);
  const memory = wasmMemoryOf(heap);
  const tiles = memory ? filterGradientTilesFor(memory) : null;
  if (!memory || !tiles || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const { inChannels, outChannels } = info;
  const job = (dyAt: number, outAt: number, channels: number): FilterGradientJob => ({
    x: heap.typedArrayFromHeap(x).byteOffset,
    dy: dyAt,
    out: outAt,
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: channels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  });
  const run = (j: FilterGradientJob) => runTiles(backend, memory, tiles, j);
  const out = heap.makeOutput([info.filterHeight, info.filterWidth, inChannels, outChannels], 'float32');
  const padded = Math.ceil(outChannels / 4) * 4;
  const temporaries: tf.TensorInfo[] = [];
  try {
    if (padded === outChannels) {
      run(job(heap.typedArrayFromHeap(dy).byteOffset, heap.typedArrayFromHeap(out).byteOffset, outChannels));
      return out;
    }
    const pixels = info.batchSize * info.outHeight * info.outWidth;
    const rows = info.filterHeight * info.filterWidth * inChannels;
    temporaries.push(heap.makeOutput([pixels * padded], 'float32'));
    temporaries.push(heap.makeOutput([rows * padded], 'float32'));
    const [dyPadded, outPadded] = temporaries as [tf.TensorInfo, tf.TensorInfo];
    // Addresses after the last allocation (an allocation may grow the heap and detach older views).
    const [source, wide, result, cut] = [dy, dyPadded, outPadded, out].map((t) => heap.typedArrayFromHeap(t).byteOffset) as [number, number, number, number];
    const copy = heapCopier(heap);
    floatsOf(heap, dyPadded).fill(0);
    copy(wide, source, outChannels * 4, pixels, padded * 4, outChannels * 4);
    run(job(wide, result, padded));
    copy(cut, result, outChannels * 4, rows, outChannels * 4, padded * 4);
    return out;
  } catch (error) {
    heap.disposeData(out.dataId);
    throw error;
  } finally {
    for (const t of temporaries) heap.disposeData(t.dataId);
  }
}

/**
 * The first input channel of each thread's share: as equal as whole tiles of 4 input channels
 * allow (the main thread's first), then `channels` as the end. Fewer than two tiles stay on one
 * thread.
 */
export function channelShares(channels: number, threads: number): number[] {
  const tileCount = Math.ceil(channels / MAX_INPUT_CHANNELS_PER_TILE);
  const count = tileCount >= 2 ? Math.min(threads, tileCount) : 1;
  const bounds = Array.from({ length: count }, (_, i) =>
    Math.min(channels, Math.round((channels * i) / (count * MAX_INPUT_CHANNELS_PER_TILE)) * MAX_INPUT_CHANNELS_PER_TILE),
  );
  return [...bounds, channels];
}

/** Zeroes job.out and adds the gradient into it, the input channels shared among this thread and the helpers. */
function runTiles(backend: tf.KernelBackend, memory: WasmMemory, tiles: readonly FilterGradientTile[], job: FilterGradientJob): void {
  const heap = asWasmHeap(backend);
  const direct: TileCallSink = (tile, ...args) => (tiles[tile] as FilterGradientTile)(...args);
  const ready = helpersFor(backend, memory, tiles);
  const bounds = channelShares(job.inChannels, 1 + ready.length);
  const threadHelpers = ready.slice(0, bounds.length - 2);
  // Every helper's calls, recorded into one heap buffer: [first record, count] per helper.
  const recorded: number[] = [];
  const counts = threadHelpers.map((_, i) => {
    const first = recorded.length / RECORD_INTS;
    filterGradientCalls(job, bounds[i + 1] as number, bounds[i + 2] as number, (...record) => recorded.push(...record));
    return [first, recorded.length / RECORD_INTS - first] as const;
  });
  const records = recorded.length > 0 ? heap.makeOutput([recorded.length], 'int32') : null;
  try {
    const outSize = job.filterHeight * job.filterWidth * job.inChannels * job.outChannels;
    new Float32Array(memory.buffer, job.out, outSize).fill(0);
    const recordsAt = records ? heap.typedArrayFromHeap(records).byteOffset : 0;
    if (records) new Int32Array(memory.buffer, recordsAt, recorded.length).set(recorded);
    const shares = counts.map(([first, count]) => [recordsAt + first * RECORD_INTS * 4, count] as const);
    runShares(threadHelpers, shares, () => filterGradientCalls(job, bounds[0] as number, bounds[1] as number, direct));
  } finally {
    if (records) heap.disposeData(records.dataId);
  }
}

/** A record for a helper: the tile's index, then its arguments. */
const RECORD_INTS = 1 + TILE_PARAMS;

let registered = false;

/** Registers the kernel for the wasm backend (once). */
export function registerWasmConv2dBackpropFilter(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropFilter,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, not ${dataFormat}`);
      const info = tf.backend_util.computeConv2DInfo(
        x.shape,
        filterShape as [number, number, number, number],
        strides,
        1,
        pad,
        dimRoundingMode,
        false,
        'channelsLast',
      );
      const bySimd = filterGradientBySimdTiles(backend as tf.KernelBackend, x, dy, info);
      if (bySimd) return bySimd;
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
