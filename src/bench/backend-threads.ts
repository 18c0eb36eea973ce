/**
 * Threads the active backend computes with, where the backend can say: wasm reports its pthread
 * count (1 in Node unless its threaded build starts), cpu is one JavaScript thread. null where the
 * backend does not say (tensorflow, webgpu).
 */
export async function backendThreads(backend: string): Promise<number | null> {
  if (backend === 'cpu') return 1;
  if (backend !== 'wasm') return null;
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as { getThreadsCount?: () => number };
  const count = wasm.getThreadsCount?.();
  return typeof count === 'number' && count >= 1 ? count : null;
}
