import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';
import type { BackendRequest } from './backend-requests.js';
import { registerCpuKernels } from './cpu/kernels.js';
import { registerReductionGradients } from './shared/reduction-gradients.js';
import { registerWasmKernels } from './wasm/kernels.js';
import { checkWasmTrainingMemory, type TrainingMemoryInput, WASM_HEAP_MAX_BYTES } from './wasm/memory.js';
import { prepareWasmThreads, type WasmThreadsRequest, wasmBackendThreads, wasmThreadsForModel } from './wasm/threads.js';
import { registerWebgpuKernels, webgpuKernelNames } from './webgpu/kernels.js';
import { probeWebgpuAdapter } from './webgpu/probe.js';

/**
 * The one module that decides which TensorFlow.js backend runs and what follows from it: code
 * outside src/core/engine starts a backend here (setupBackend), reads what it can do from the
 * capabilities it returns, and otherwise imports '@tensorflow/tfjs' and uses whatever was set up.
 * No backend is named by a comparison anywhere else.
 */
export { BACKEND_REQUESTS, type BackendRequest } from './backend-requests.js';
export type { TrainingMemoryInput } from './wasm/memory.js';

/** What the rest of the project needs to know about a started backend, instead of its name. */
export interface BackendCapabilities {
  /**
   * TensorFlow.js computes on the CPU in portable code (WebAssembly or plain JavaScript: wasm,
   * cpu). Inference (--inference auto) then goes to ONNX Runtime, native code on the same CPU;
   * on the others (tensorflow, webgpu: native already) TensorFlow.js runs it.
   */
  readonly portableCpu: boolean;
  /** Threads it computes with, where it can say (wasm: its XNNPACK pool; cpu: one); null where not. */
  readonly threads: number | null;
  /**
   * The most bytes of tensors it can ever hold, where there is a hard ceiling: wasm's heap (a
   * 32-bit WebAssembly memory, 4 GiB less one page); null where none is known.
   */
  readonly heapLimitBytes: number | null;
  /** The plain-JavaScript reference (cpu) that `bench --verify` compares the others with. */
  readonly reference: boolean;
  /**
   * Refuses (a UserError, WASM_MEMORY) before the first step a training whose tensors cannot fit
   * under heapLimitBytes, naming the keys to lower (`keys`: the config's by default); does nothing
   * where there is no ceiling.
   */
  checkFits(input: TrainingMemoryInput, what?: string, keys?: { readonly size: string; readonly batch: string }): void;
}

/** A started backend: what it is (kept in run records: backendRecord) and what it can do. */
export interface BackendInfo extends BackendCapabilities {
  /** The tfjs backend name now active. */
  readonly name: string;
  /** Version of the package that provides it. */
  readonly version: string;
  /** What it runs on, in words. */
  readonly device: string;
  /** Why auto skipped the faster backends, if it did. */
  readonly notes: readonly string[];
}

/** What a run's records (run.json, training.json) keep of the backend: what ran, not what it can do. */
export type BackendRecord = Pick<BackendInfo, 'name' | 'version' | 'device' | 'notes'>;

export function backendRecord({ name, version, device, notes }: BackendRecord): BackendRecord {
  return { name, version, device, notes };
}

/**
 * The capabilities of the backend `name`, running as `backend`: the one place where a backend's
 * name decides behaviour.
 */
function capabilitiesOf(name: string, backend: tf.KernelBackend): BackendCapabilities {
  const wasm = name === 'wasm';
  const cpu = name === 'cpu';
  return {
    portableCpu: wasm || cpu,
    threads: cpu ? 1 : wasm ? wasmBackendThreads(backend) : null,
    heapLimitBytes: wasm ? WASM_HEAP_MAX_BYTES : null,
    reference: cpu,
    checkFits: wasm ? checkWasmTrainingMemory : () => {},
  };
}

/**
 * The capabilities of the backend active now: for code handed a network rather than a backend
 * (the predictor), which runs on whichever backend is active when it is called.
 */
export function activeBackendCapabilities(): BackendCapabilities {
  return capabilitiesOf(tf.getBackend(), tf.backend());
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

async function setupTensorflow(): Promise<BackendRecord | string> {
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
async function setupWebgpu(hardwareOnly: boolean, kernelNames: readonly string[]): Promise<BackendRecord | string> {
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
  // tfjs-backend-webgpu registers the backend when its module loads, and only where
  // navigator.gpu exists, as in a browser: give Node a browser's globals (window, and a navigator
  // whose gpu is Dawn's) before importing it.
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

async function setupWasm(requested: WasmThreadsRequest | undefined): Promise<BackendRecord> {
  await import('@tensorflow/tfjs-backend-wasm');
  registerWasmKernels();
  // XNNPACK's thread pool: PCONV_WASM_THREADS, else the count for the workload (setupBackend).
  const { notes } = await prepareWasmThreads(process.env, requested);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not start the wasm backend');
  await tf.ready();
  const threads = wasmBackendThreads(tf.backend());
  const device = `CPU, WebAssembly SIMD (XNNPACK), ${threads === 1 ? 'one thread' : `${threads} threads`}`;
  return { name: 'wasm', version: `@tensorflow/tfjs-backend-wasm ${tf.version.tfjs}`, device, notes };
}

async function setupCpu(): Promise<BackendRecord> {
  await tf.setBackend('cpu');
  await tf.ready();
  // The cpu backend prints a banner about tfjs-node on its first write; README.md says it once.
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
  return { name: 'cpu', version: `@tensorflow/tfjs-backend-cpu ${tf.version.tfjs}`, device: 'CPU, plain JavaScript', notes: [] };
}

/**
 * What a backend is started for, where that changes how it starts (wasm's thread count):
 * - `model`: the config's model that it will train and run (train, eval, run, bench): wasm starts
 *   threads only for a wide one (wasmThreadsForModel, wasm/threads.ts, says why), so that every
 *   command runs a config's model on the same device;
 * - `inference`: inference of a model not known before it is loaded (inpaint, published models),
 *   which gains from threads at every width measured: one thread per core, up to the cap;
 * - neither: one thread.
 * PCONV_WASM_THREADS overrides all three.
 */
export type BackendWorkload =
  | { readonly model: { readonly maxChannels: number }; readonly inference?: never }
  | { readonly inference: true; readonly model?: never }
  | { readonly model?: never; readonly inference?: never };

function wasmThreadsFor(workload: BackendWorkload): WasmThreadsRequest | undefined {
  if (workload.model) return wasmThreadsForModel(workload.model);
  return workload.inference ? 'auto' : undefined;
}

/**
 * Starts the requested backend for `workload` and says what it is and can do. `auto` takes the
 * fastest that works: tensorflow (libtensorflow, when the optional package loads), then webgpu
 * (when Dawn finds a GPU), then wasm.
 */
export async function setupBackend(request: BackendRequest, workload: BackendWorkload = {}): Promise<BackendInfo> {
  const started = await startBackend(request, wasmThreadsFor(workload));
  return { ...started, ...capabilitiesOf(started.name, tf.backend()) };
}

/**
 * Runs `fn` on the reference backend (cpu: plain JavaScript, which the others are checked
 * against), then makes the backend that was active before active again, however `fn` ends.
 */
export async function onReferenceBackend<T>(fn: () => Promise<T>): Promise<T> {
  const active = tf.getBackend();
  try {
    await setupBackend('cpu');
    return await fn();
  } finally {
    await tf.setBackend(active);
  }
}

async function startBackend(request: BackendRequest, wasmThreads: WasmThreadsRequest | undefined): Promise<BackendRecord> {
  const unavailable = (name: string, reason: string) =>
    new UserError('BACKEND_UNAVAILABLE', `backend ${name} is not available: ${reason}`, {
      hint: 'Use --backend auto (the fastest that works here) or --backend wasm; README.md, "Backends", lists what each one needs.',
    });
  // The cpu backend is always loaded (tests and checks compare with it): its kernels first
  // (cpu/kernels.ts: the ResizeNearestNeighborGrad fix, Adam's fused step). wasm's and webgpu's
  // register with their backends below; the tensorflow backend runs Adam as tf ops.
  registerCpuKernels();
  // Sum and Mean gradients without a ones array from JavaScript (every backend; same floats).
  registerReductionGradients();
  // Read here, so that a bad PCONV_WEBGPU_KERNELS is an error wherever webgpu could be chosen, not
  // only where it runs.
  const kernelNames = request === 'webgpu' || request === 'auto' ? webgpuKernelNames() : [];
  switch (request) {
    case 'cpu':
      return setupCpu();
    case 'wasm':
      return setupWasm(wasmThreads);
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
      const wasm = await setupWasm(wasmThreads);
      return { ...wasm, notes: [...notes, ...wasm.notes] };
    }
  }
}
