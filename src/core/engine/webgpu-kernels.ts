import { registerWebgpuConv2dBackpropFilter } from './webgpu-conv2d-backprop-filter.js';
import { registerWebgpuConv2dBackpropInput } from './webgpu-conv2d-backprop-input.js';

/** Our webgpu kernels by short name, for PCONV_WEBGPU_KERNELS. */
const WEBGPU_KERNELS: Readonly<Record<string, () => void>> = {
  filter: registerWebgpuConv2dBackpropFilter,
  input: registerWebgpuConv2dBackpropInput,
};

/**
 * Every kernel we replace in tfjs-backend-webgpu (docs/profile-webgpu.md says why each). Call
 * after importing the backend (its kernels must be registered to be replaced) and before use.
 * PCONV_WEBGPU_KERNELS picks them for A/B timing and checks: `stock` (tfjs' own only), a comma list
 * of names (filter, input), or unset / `all`.
 */
export function registerWebgpuKernels(env: NodeJS.ProcessEnv = process.env): void {
  const wanted = (env.PCONV_WEBGPU_KERNELS ?? 'all').trim();
  if (wanted === 'stock') return;
  const names = wanted === 'all' ? Object.keys(WEBGPU_KERNELS) : wanted.split(',').map((name) => name.trim());
  for (const name of names) {
    const register = WEBGPU_KERNELS[name];
    if (!register) throw new Error(`PCONV_WEBGPU_KERNELS: unknown kernel "${name}" (use stock, all, or a comma list of ${Object.keys(WEBGPU_KERNELS).join(', ')})`);
    register();
  }
}
