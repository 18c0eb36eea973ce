import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';
import { registerAdamUpdateKernels } from './shared/adam-update.js';
import { registerReductionGradients } from './shared/reduction-gradients.js';
import { registerCpuResizeNearestNeighborGrad } from './shared/resize-nearest-neighbor-grad.js';
import { registerWasmKernels } from './wasm/kernels.js';
import { prepareWasmThreads, type WasmThreadsRequest, wasmBackendThreads } from './wasm/threads.js';
import { registerWebgpuKernels, webgpuKernelNames } from './webgpu/kernels.js';
import { probeWebgpuAdapter } from './webgpu/probe.js';

/**
 * The one module that knows which TensorFlow.js backend runs (ARCHITECTURE.md). Everything else
 * imports '@tensorflow/tfjs' and uses whatever this module set up.
 */
export type BackendRequest = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

export interface BackendInfo {
  /** The tfjs backend name now active. */
  readonly name: string;
  /** Version of the package that provides it. */
  readonly version: string;
  /** What it runs on, in words. */
  readonly device: string;
  /** Why auto skipped the faster backends, if it did. */
  readonly notes: readonly string[];
}

/**
 * Imported at run time so that a missing optional package is a message, not a crash. `load` is
 * `() => import('literal')` where a bundler should follow the import (the GPU machine's bundle,
 * bench/gpu/make-bundle.mjs, must hold the same tfjs-core instance the backend registers with).
 */
async function tryImport(
  name: string,
  load: () => Promise<unknown> = () => import(name),
): Promise<{ ok: true; module: unknown } | { ok: false; reason: string }> {
  try {
    return { ok: true, module: await load() };
  } catch (error) {
    return { ok: false, reason: (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'failed to load' };
  }
}

async function setupTensorflow(): Promise<BackendInfo | string> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    const loaded = await tryImport(pkg);
    if (loaded.ok && (await tf.setBackend('tensorflow'))) {
      await tf.ready();
      const gpu = pkg.endsWith('-gpu');
      return {
        name: 'tensorflow',
        version: `${pkg} ${tf.version.tfjs}`,
        device: gpu ? 'CUDA GPU through libtensorflow' : 'CPU through libtensorflow',
        notes: [],
      };
    }
  }
  return 'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed (they download libtensorflow at install time)';
}

/**
 * `hardwareOnly` (auto): first asks a child process whether there is a hardware adapter
 * (webgpu/probe.ts: keeps Dawn's native warnings out of every command on GPU-less machines); an
 * adapter that is a CPU rasteriser (Mesa's llvmpipe, SwiftShader: WebGPU's "fallback adapter") is
 * refused, since wasm is far faster there. Asked for by name, Dawn loads here directly and a
 * software adapter is used (the test suite checks our WGSL kernels on llvmpipe) with a note.
 */
async function setupWebgpu(hardwareOnly: boolean, kernelNames: readonly string[]): Promise<BackendInfo | string> {
  if (hardwareOnly) {
    const probe = await probeWebgpuAdapter();
    if (!probe.found) return probe.reason;
    if (probe.software) return `the only webgpu adapter is a software one (${probe.device}), slower than wasm`;
  }
  const dawn = await tryImport('webgpu');
  if (!dawn.ok) return `the "webgpu" package (Dawn for Node) could not be loaded: ${dawn.reason}`;
  const { create, globals } = dawn.module as { create: (options: string[]) => GPU; globals?: Record<string, unknown> };
  if (globals) Object.assign(globalThis, globals);
  let gpu: GPU;
  let adapter: GPUAdapter | null;
  try {
    gpu = create([]);
    // The adapter tfjs-backend-webgpu will ask for (its default, high-performance), so that the
    // device recorded and the software check below describe the one that runs.
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return `Dawn could not look for a GPU adapter: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (!adapter) return 'the webgpu package found no GPU adapter (Vulkan, Metal or D3D12)';
  const info = (adapter as unknown as { info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean } }).info;
  const device = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'GPU';
  // Only asked-for-by-name gets here with a software adapter: auto's probe refused it above.
  const software = info?.isFallbackAdapter === true;
  // tfjs-backend-webgpu registers itself only where window and navigator.gpu exist (ENGINE.md).
  const g = globalThis as Record<string, unknown>;
  g.window ??= globalThis;
  Object.defineProperty(globalThis, 'navigator', { value: { ...(g.navigator as object), gpu }, configurable: true });
  const backend = await tryImport('@tensorflow/tfjs-backend-webgpu', () => import('@tensorflow/tfjs-backend-webgpu'));
  if (!backend.ok) return `@tensorflow/tfjs-backend-webgpu is not installed: ${backend.reason}`;
  registerWebgpuKernels(kernelNames);
  if (!(await tf.setBackend('webgpu'))) return 'tfjs could not start the webgpu backend';
  await tf.ready();
  return {
    name: 'webgpu',
    version: `@tensorflow/tfjs-backend-webgpu ${tf.version.tfjs}`,
    device,
    notes: software ? [`webgpu runs on a software adapter (${device}): correct but slow; --backend wasm is faster on a CPU`] : [],
  };
}

async function setupWasm(requested: WasmThreadsRequest | undefined): Promise<BackendInfo> {
  await import('@tensorflow/tfjs-backend-wasm');
  registerWasmKernels();
  // XNNPACK's thread pool: PCONV_WASM_THREADS, else the caller's choice for its model (wasm/threads.ts).
  const { notes } = await prepareWasmThreads(process.env, requested);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not start the wasm backend');
  await tf.ready();
  const threads = wasmBackendThreads(tf.backend());
  const device = `CPU, WebAssembly SIMD (XNNPACK), ${threads === 1 ? 'one thread' : `${threads} threads`}`;
  return { name: 'wasm', version: `@tensorflow/tfjs-backend-wasm ${tf.version.tfjs}`, device, notes };
}

async function setupCpu(): Promise<BackendInfo> {
  await tf.setBackend('cpu');
  await tf.ready();
  // The cpu backend prints a banner about tfjs-node on its first write; README.md says it once.
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
  return { name: 'cpu', version: `@tensorflow/tfjs-backend-cpu ${tf.version.tfjs}`, device: 'CPU, plain JavaScript', notes: [] };
}

/**
 * Starts the requested backend. `auto` takes the fastest that works: tensorflow (libtensorflow,
 * when the optional package loads), then webgpu (when Dawn finds a GPU), then wasm.
 * `wasmThreads`: the wasm thread count worth starting for the caller's model
 * (wasmThreadsForModel); PCONV_WASM_THREADS overrides it; one thread when neither says.
 */
export async function setupBackend(request: BackendRequest, options: { readonly wasmThreads?: WasmThreadsRequest } = {}): Promise<BackendInfo> {
  const unavailable = (name: string, reason: string) =>
    new UserError('BACKEND_UNAVAILABLE', `backend ${name} is not available: ${reason}`, {
      hint: 'Use --backend auto (the fastest that works here) or --backend wasm; README.md, "Backends", lists what each one needs.',
    });
  // The cpu backend is always loaded (tests and checks compare with it): fix its kernel first.
  registerCpuResizeNearestNeighborGrad();
  // Sum and Mean gradients without a ones array from JavaScript (every backend; same floats).
  registerReductionGradients();
  // Adam's fused step for cpu and wasm (shared/adam-update.ts; webgpu's registers with its other
  // kernels); the tensorflow backend runs it as tf ops.
  registerAdamUpdateKernels();
  // Read here, so that a bad PCONV_WEBGPU_KERNELS is an error wherever webgpu could be chosen, not
  // only where it runs.
  const kernelNames = request === 'webgpu' || request === 'auto' ? webgpuKernelNames() : [];
  switch (request) {
    case 'cpu':
      return setupCpu();
    case 'wasm':
      return setupWasm(options.wasmThreads);
    case 'tensorflow': {
      const result = await setupTensorflow();
      if (typeof result === 'string') throw unavailable('tensorflow', result);
      return result;
    }
    case 'webgpu': {
      const result = await setupWebgpu(false, kernelNames);
      if (typeof result === 'string') throw unavailable('webgpu', result);
      return result;
    }
    case 'auto': {
      const notes: string[] = [];
      for (const setup of [setupTensorflow, () => setupWebgpu(true, kernelNames)]) {
        const result = await setup();
        if (typeof result !== 'string') return result;
        notes.push(result);
      }
      const wasm = await setupWasm(options.wasmThreads);
      return { ...wasm, notes: [...notes, ...wasm.notes] };
    }
  }
}
