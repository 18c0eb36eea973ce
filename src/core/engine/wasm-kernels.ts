import { registerWasmResizeNearestNeighborGrad } from './resize-nearest-neighbor-grad.js';
import { registerWasmBatchMatMul } from './wasm-batch-matmul.js';
import { registerWasmConv2dBackpropFilter } from './wasm-conv2d-backprop-filter.js';
import { registerWasmConv2dBackpropInput } from './wasm-conv2d-backprop-input.js';
import { registerWasmConv2dDeep } from './wasm-conv2d-deep.js';
import { registerWasmCopyKernels } from './wasm-copy-kernels.js';
import { registerWasmMaxPoolGrad } from './wasm-max-pool-grad.js';
import { registerWasmReductions } from './wasm-reductions.js';

/**
 * Every kernel we add to or replace in tfjs-backend-wasm (docs/profile-wasm.md says why each).
 * Call after importing the backend and before tf.setBackend('wasm'), so that the setup of a
 * replaced kernel, which binds its wasm function, still runs for the fallback cases.
 */
export function registerWasmKernels(): void {
  registerWasmConv2dBackpropFilter();
  registerWasmConv2dBackpropInput();
  registerWasmCopyKernels();
  registerWasmResizeNearestNeighborGrad();
  registerWasmBatchMatMul();
  registerWasmMaxPoolGrad();
  registerWasmConv2dDeep();
  registerWasmReductions();
}
