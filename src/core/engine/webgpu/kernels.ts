import { UserError } from '../../errors.js';
import { registerWebgpuAdamUpdate } from './adam-update.js';
import { registerWebgpuConv2dBackpropFilter } from './conv2d-backprop-filter.js';
import { registerWebgpuConv2dBackpropInput } from './conv2d-backprop-input.js';

/** Our kernels for tfjs-backend-webgpu by short name, for PCONV_WEBGPU_KERNELS. */
const KERNELS: Readonly<Record<string, () => void>> = {
  filter: registerWebgpuConv2dBackpropFilter,
  input: registerWebgpuConv2dBackpropInput,
  adam: registerWebgpuAdamUpdate,
};

/**
 * Which of our webgpu kernels to use: PCONV_WEBGPU_KERNELS is `stock` (tfjs' own only), a comma
 * list of names (filter, input, adam), or unset / empty / `all`. For A/B timing and checks.
 */
export function webgpuKernelNames(env: NodeJS.ProcessEnv = process.env): string[] {
  const wanted = (env.PCONV_WEBGPU_KERNELS ?? '').trim() || 'all';
  if (wanted === 'stock') return [];
  const all = Object.keys(KERNELS);
  const names = wanted === 'all' ? all : wanted.split(',').flatMap((name) => (name.trim() ? [name.trim()] : []));
  for (const name of names) {
    if (!all.includes(name))
      throw new UserError('INVALID_ENV', `PCONV_WEBGPU_KERNELS: unknown kernel "${name}"`, {
        hint: `Use stock, all, or a comma list of ${all.join(', ')} (or unset it).`,
      });
  }
  return names;
}

/**
 * Registers our webgpu kernels (docs/profile-webgpu.md says why each). Call after importing the
 * backend (its kernels must be registered to be replaced) and before use.
 */
export function registerWebgpuKernels(names: readonly string[]): void {
  for (const name of names) KERNELS[name]?.();
}
