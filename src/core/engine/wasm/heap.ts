import type * as tf from '@tensorflow/tfjs';
import { type WasmMemory, wasmApi } from './simd/assembler.js';
import { type CopyRows, copyRowsFor, copyRowsInJs } from './simd/copy-rows.js';

/**
 * What our wasm kernels use of tfjs-backend-wasm's BackendWasm (not in its public types): tensors
 * are allocated on the module's heap and read and written there in place.
 *
 * An allocation may grow the heap, which replaces its ArrayBuffer and detaches older views: take
 * views (typedArrayFromHeap) after the last makeOutput. Byte offsets stay valid.
 */
export interface WasmHeapBackend {
  readonly wasm: { readonly HEAPU8: Uint8Array; readonly asm?: { memory?: unknown }; readonly wasmMemory?: unknown };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: tf.DataId): void;
  disposeData(dataId: tf.DataId): boolean;
}

/** The backend's view of the heap; tfjs' kernel functions hand kernels the backend as KernelBackend. */
export const asWasmHeap = (backend: unknown) => backend as WasmHeapBackend;

/** The float32 view of a float32 tensor on the heap. */
export const floatsOf = (backend: WasmHeapBackend, info: tf.TensorInfo) => backend.typedArrayFromHeap(info) as Float32Array;

/**
 * The backend's WebAssembly.Memory, for modules of ours that import it (tfjs' own build exports it,
 * the threaded build keeps it on the module), or undefined if neither is the heap.
 */
export function wasmMemoryOf(backend: WasmHeapBackend): WasmMemory | undefined {
  const heap = backend.wasm.HEAPU8.buffer;
  for (const candidate of [backend.wasm.asm?.memory, backend.wasm.wasmMemory]) {
    if (candidate instanceof wasmApi.Memory && candidate.buffer === heap) return candidate;
  }
  return undefined;
}

/** The strided copy on this backend's heap (wasm/simd/copy-rows.ts): wasm SIMD where the engine has it. Take it after the last allocation. */
export function heapCopier(backend: WasmHeapBackend): CopyRows {
  const memory = wasmMemoryOf(backend);
  return (memory && copyRowsFor(memory)) ?? copyRowsInJs(backend.wasm.HEAPU8);
}
