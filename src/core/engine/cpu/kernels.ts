import { registerCpuAdamUpdate } from './adam-update.js';
import { registerCpuResizeNearestNeighborGrad } from './resize-nearest-neighbor-grad.js';

/**
 * Every kernel we add to or replace in tfjs-backend-cpu (src/core/engine/README.md says why each).
 * setupBackend calls this whatever backend is asked for: the cpu backend is always loaded (tests and
 * checks compare with it). Call after importing tfjs (which brings the cpu backend), in any order
 * with tf.setBackend.
 */
export function registerCpuKernels(): void {
  registerCpuResizeNearestNeighborGrad();
  registerCpuAdamUpdate();
}
