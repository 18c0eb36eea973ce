import * as tf from '@tensorflow/tfjs';
import { asWasmHeap, floatsOf, wasmMemoryOf } from '../wasm/heap.js';
import { scatterAddRowFor } from '../wasm/simd/scatter-add.js';
import { replaceKernel } from './replace-kernel.js';

/**
 * ResizeNearestNeighborGrad (the gradient of the UNet's nearest upsampling) for cpu and wasm.
 *
 * cpu: tfjs-backend-cpu 4.22's kernel reads dy at the batch offset of the (smaller) input image,
 * b * H * W * C instead of b * H' * W' * C, so every sample after the first gets the gradient of
 * the wrong pixels and the UNet trains on garbage at batch > 1 (found comparing a training step
 * with wasm; test/core/engine/shared/resize-nearest-neighbor-grad.test.ts has the known answer).
 * wasm: its kernel is right but searches a window of dy for every input pixel; this one costs one
 * pass over dy (about 3% of a 128 px training step before), each dy row added by a wasm SIMD loop
 * where the channels come in vectors of 4 (wasm/simd/scatter-add.ts; ~5x the JavaScript loop on the
 * shared heap).
 *
 * The rule is the forward pass's and the original kernels' (source row = floor(y * scale), or
 * round with alignCorners; halfPixelCenters is ignored there too), as a scatter over dy: each dy
 * pixel adds to the input pixel it was copied from, in row-major order of dy, the order in which
 * the originals' window search adds them up.
 */
export function resizeNearestNeighborGradInto(
  output: Float32Array,
  dyValues: ArrayLike<number>,
  imagesShape: readonly number[],
  dyShape: readonly number[],
  alignCorners: boolean,
  rowAdder?: (sourceCols: Int32Array) => ((row: number, from: number) => void) | null,
): void {
  const [batch, xHeight, xWidth, depth] = imagesShape as [number, number, number, number];
  const [, yHeight, yWidth] = dyShape as [number, number, number, number];
  const scale = (x: number, y: number) => (alignCorners && y > 1 ? x - 1 : x) / (alignCorners && y > 1 ? y - 1 : y);
  const [heightScale, widthScale] = [scale(xHeight, yHeight), scale(xWidth, yWidth)];
  const source = (position: number, s: number, size: number) => Math.min(size - 1, alignCorners ? Math.round(position * s) : Math.floor(position * s));
  const sourceCols = Int32Array.from({ length: yWidth }, (_, x) => source(x, widthScale, xWidth) * depth);
  output.fill(0);
  // The caller's loop for one dy row (a wasm one, wasm/simd/scatter-add.ts), same adds in the same order.
  const addRow = rowAdder?.(sourceCols);
  let from = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < yHeight; y++) {
      const row = (b * xHeight + source(y, heightScale, xHeight)) * xWidth * depth;
      if (addRow) {
        addRow(row, from);
        from += yWidth * depth;
        continue;
      }
      for (let x = 0; x < yWidth; x++) {
        const to = row + (sourceCols[x] as number);
        for (let d = 0; d < depth; d++) output[to + d] = (output[to + d] as number) + (dyValues[from + d] as number);
        from += depth;
      }
    }
  }
}

let cpuRegistered = false;

/** Replaces the cpu backend's ResizeNearestNeighborGrad (once). */
export function registerCpuResizeNearestNeighborGrad(): void {
  if (cpuRegistered) return;
  cpuRegistered = true;
  replaceKernel(
    tf.ResizeNearestNeighborGrad,
    'cpu',
    ({ inputs, attrs, backend }) => {
      const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
      const cpu = backend as unknown as {
        data: { get(id: tf.DataId): { values: ArrayLike<number> } };
        makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
      };
      const output = new Float32Array(images.shape.reduce((a, b) => a * b, 1));
      resizeNearestNeighborGradInto(
        output,
        cpu.data.get(dy.dataId).values,
        images.shape,
        dy.shape,
        (attrs as unknown as tf.ResizeNearestNeighborGradAttrs).alignCorners,
      );
      return cpu.makeTensorInfo(images.shape, 'float32', output);
    },
    'registerCpuResizeNearestNeighborGrad',
  );
}

let wasmRegistered = false;

/** Replaces the wasm backend's ResizeNearestNeighborGrad (once); call before tf.setBackend('wasm'). */
export function registerWasmResizeNearestNeighborGrad(): void {
  if (wasmRegistered) return;
  wasmRegistered = true;
  replaceKernel(
    tf.ResizeNearestNeighborGrad,
    'wasm',
    (params) => {
      const { images, dy } = params.inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
      const wasm = asWasmHeap(params.backend);
      if (dy.dtype !== 'float32') throw new Error(`ResizeNearestNeighborGrad on wasm needs a float32 dy, not ${dy.dtype}`);
      const out = wasm.makeOutput(images.shape, 'float32');
      const depth = images.shape[3] as number;
      const memory = wasmMemoryOf(wasm);
      const scatter = memory && depth % 4 === 0 ? scatterAddRowFor(memory) : null;
      // The dy row's target columns as byte offsets, on the heap for the wasm loop.
      const table = scatter ? wasm.makeOutput([dy.shape[2] as number], 'int32') : null;
      try {
        // Views after the last makeOutput: an allocation may grow the heap and detach older ones.
        const [output, dyValues] = [floatsOf(wasm, out), floatsOf(wasm, dy)];
        const rowAdder =
          scatter && table
            ? (sourceCols: Int32Array) => {
                const offsets = wasm.typedArrayFromHeap(table) as Int32Array;
                offsets.set(sourceCols.map((column) => column * 4));
                return (row: number, from: number) =>
                  scatter(output.byteOffset + row * 4, dyValues.byteOffset + from * 4, offsets.byteOffset, sourceCols.length, depth * 4);
              }
            : undefined;
        resizeNearestNeighborGradInto(
          output,
          dyValues,
          images.shape,
          dy.shape,
          (params.attrs as unknown as tf.ResizeNearestNeighborGradAttrs).alignCorners,
          rowAdder,
        );
      } finally {
        if (table) wasm.disposeData(table.dataId);
      }
      return out;
    },
    'registerWasmResizeNearestNeighborGrad',
  );
}
