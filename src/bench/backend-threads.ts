import * as tf from '@tensorflow/tfjs';
import { wasmBackendThreads } from '../core/engine/wasm/threads.js';

/**
 * Threads the active backend computes with, where the backend can say: wasm reports its pthread
 * count (engine/wasm/threads.ts reads it from the running module, threaded build or not), cpu is one
 * JavaScript thread. null where the backend does not say (tensorflow, webgpu).
 */
export function backendThreads(backend: string): number | null {
  if (backend === 'cpu') return 1;
  if (backend !== 'wasm') return null;
  return wasmBackendThreads(tf.backend());
}
