import * as tf from '@tensorflow/tfjs';

/**
 * Registers `kernelFunc` for `kernelName` on `backendName` in place of the backend's own kernel
 * and returns that original, for the cases a replacement hands back to it. The original's other
 * fields (its setupFunc, which binds its wasm function) are kept, so call this after importing the
 * backend and before tf.setBackend. `caller` names the registering function in the error thrown
 * when the backend (or its kernel) is not there yet.
 */
export function replaceKernel(kernelName: string, backendName: string, kernelFunc: tf.KernelFunc, caller: string): tf.KernelConfig {
  const original = tf.getKernel(kernelName, backendName);
  if (!original) throw new Error(`${caller}: the ${backendName} backend has no ${kernelName} kernel; import @tensorflow/tfjs-backend-${backendName} first`);
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ ...original, kernelFunc });
  return original;
}
