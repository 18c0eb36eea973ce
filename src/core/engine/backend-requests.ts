/**
 * The backends a user can ask for (--backend, `backend` in the extension's settings). Kept apart
 * from backend.ts, which loads TensorFlow.js and its backends, so that the CLI can list the choices
 * without loading any of them.
 *
 * auto: the fastest that works here (backend.ts, setupBackend); the others by tfjs name.
 */
export const BACKEND_REQUESTS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

export type BackendRequest = (typeof BACKEND_REQUESTS)[number];
