import { registerWasmAdamUpdate } from './adam-update.js';
import { registerWasmBatchMatMul } from './batch-matmul.js';
import { registerWasmConv2dBackpropFilter } from './conv2d-backprop-filter.js';
import { registerWasmConv2dBackpropInput } from './conv2d-backprop-input.js';
import { registerWasmConv2dDeep } from './conv2d-deep.js';
import { registerWasmCopyKernels } from './copy-kernels.js';
import { registerWasmMaxPoolGrad } from './max-pool-grad.js';
import { registerWasmReductions } from './reductions.js';
import { registerWasmResizeNearestNeighborGrad } from './resize-nearest-neighbor-grad.js';

/**
 * Every kernel we add to or replace in tfjs-backend-wasm (src/core/engine/README.md says why each,
 * with docs/profile-wasm.md's measurements). Call after importing the backend and before
 * tf.setBackend('wasm'), so that the setup of a replaced kernel, which binds its wasm function,
 * still runs for the fallback cases.
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
  registerWasmAdamUpdate();
}
