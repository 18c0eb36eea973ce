import * as tf from '@tensorflow/tfjs';
import { replaceKernel } from '../shared/replace-kernel.js';
import { resizeNearestNeighborGradInto } from '../shared/resize-nearest-neighbor-grad.js';
import { asWasmHeap, floatsOf, wasmMemoryOf } from './heap.js';
import { scatterAddRowFor } from './simd/scatter-add.js';

/**
 * ResizeNearestNeighborGrad for the wasm backend: tfjs-backend-wasm 4.22's is right but searches
 * a window of dy for every input pixel; this one is the shared scatter pass over dy
 * (shared/resize-nearest-neighbor-grad.ts), each dy row added by a WebAssembly SIMD loop
 * (wasm/simd/scatter-add.ts) where the channels come in vectors of 4.
 */

let registered = false;

/** Replaces the wasm backend's ResizeNearestNeighborGrad (once); call before tf.setBackend('wasm'). */
export function registerWasmResizeNearestNeighborGrad(): void {
  if (registered) return;
  registered = true;
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
