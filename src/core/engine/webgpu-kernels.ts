import { registerWebgpuAdamUpdate } from './webgpu-adam-update.js';
import { registerWebgpuConv2dBackpropFilter } from './webgpu-conv2d-backprop-filter.js';
import { registerWebgpuConv2dBackpropInput } from './webgpu-conv2d-backprop-input.js';
import { patchWebgpuUploads } from './webgpu-uploads.js';

/** Our changes to tfjs-backend-webgpu by short name, for PCONV_WEBGPU_KERNELS. */
const KERNELS: Readonly<Record<string, () => void>> = {
  filter: registerWebgpuConv2dBackpropFilter,
  input: registerWebgpuConv2dBackpropInput,
  adam: registerWebgpuAdamUpdate,
};
const BACKEND_PATCHES: Readonly<Record<string, (backend: object) => void>> = { upload: patchWebgpuUploads };
const ALL = [...Object.keys(KERNELS), ...Object.keys(BACKEND_PATCHES)];

/**
 * Which of our webgpu changes to use: PCONV_WEBGPU_KERNELS is `stock` (tfjs' own only), a comma
 * list of names (filter, input, adam, upload), or unset / `all`. For A/B timing and checks.
 */
export function webgpuChanges(env: NodeJS.ProcessEnv = process.env): Set<string> {
  const wanted = (env.PCONV_WEBGPU_KERNELS ?? 'all').trim();
  if (wanted === 'stock') return new Set();
  const names = wanted === 'all' ? ALL : wanted.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!ALL.includes(name)) throw new Error(`PCONV_WEBGPU_KERNELS: unknown name "${name}" (use stock, all, or a comma list of ${ALL.join(', ')})`);
  }
  return new Set(names);
}

/**
 * Registers our webgpu kernels (docs/profile-webgpu.md says why each). Call after importing the
 * backend (its kernels must be registered to be replaced) and before use.
 */
export function registerWebgpuKernels(changes: Set<string>): void {
  for (const [name, register] of Object.entries(KERNELS)) if (changes.has(name)) register();
}

/** Patches the started backend instance (after tf.setBackend('webgpu') and tf.ready()). */
export function patchWebgpuBackend(backend: object, changes: Set<string>): void {
  for (const [name, patch] of Object.entries(BACKEND_PATCHES)) if (changes.has(name)) patch(backend);
}
