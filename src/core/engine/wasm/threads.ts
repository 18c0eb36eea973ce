import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { UserError } from '../../errors.js';

/**
 * tfjs-backend-wasm's threaded SIMD build (XNNPACK's thread pool) started in Node.
 *
 * tfjs 4.22 never picks that build in Node (WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false
 * there), and forcing the flag fails: its init() hands Emscripten a `blob:` URL for the pthread
 * worker script and a Blob for the main script, and Node's Worker refuses blob: URLs
 * (ERR_WORKER_PATH). So we start the build ourselves, from the package's own files, unpatched:
 *
 * - the glue `wasm-out/tfjs-backend-wasm-threaded-simd.js` is evaluated with its own `require`,
 *   and its pthread workers get their script through Emscripten's `locateFile` hook as a `data:`
 *   URL object (which Node's Worker accepts). That script only sets the two globals the package's
 *   worker code expects from CommonJS (`require`, `__filename`) and runs that code
 *   (`wasm-out/tfjs-backend-wasm-threaded-simd.worker.js`); the workers load the glue from its
 *   real path (`mainScriptUrlOrBlob`).
 * - the C++ side caps the pool at `os.cpus().length / 2` (it assumes two hyper-threads per core),
 *   which is one thread on a 2-core machine; the glue's `require('os')` gets a copy of `os` whose
 *   `cpus()` says 2 x the threads we ask for, so the count we pass is the count XNNPACK uses.
 * - the module goes into tfjs' own BackendWasm, so every wasm kernel (tfjs' and ours) runs
 *   unchanged, under the backend name `wasm`.
 *
 * XNNPACK splits each operator's output among the threads and never splits a reduction, so the
 * results are bitwise those of one thread (test/core/engine/wasm/threads.integration.test.ts checks this).
 */

/** Environment variable that sets the wasm thread count: a number, or `auto`. */
export const WASM_THREADS_ENV = 'PCONV_WASM_THREADS';

/** The most threads the build's pre-started pool (8 Emscripten workers) serves without growing. */
export const MAX_WASM_THREADS = 8;

/** `auto`: one thread per core, at most 4 (tfjs' own cap; small layers gain nothing past it). */
const AUTO_MAX_THREADS = 4;

/** What a caller may ask for when PCONV_WASM_THREADS is unset: a count, or one per core. */
export type WasmThreadsRequest = number | 'auto';

/**
 * The count when PCONV_WASM_THREADS is unset and the caller asks for nothing: one, i.e. tfjs'
 * single-threaded build. Callers that know the model ask wasmThreadsForModel().
 */
const DEFAULT_THREADS = 1;

/**
 * The thread count worth starting for a model of this width. Measured on the 2-core machine
 * (2026-11-25, quiet, `pconv-bench bench` at 64 px batch 4, runs alternated 1/2 threads): the
 * paper-width UNet (64..512 channels) trains 1.16-1.38x and infers 1.5-1.6x faster on 2 threads;
 * the demo's 16..128 channels trains 0.85x as fast (every small operator waits ~0.4 ms for the
 * other thread to wake) and infers 1.1x faster. Under load from other processes threads lost in
 * every case (0.76-0.95x): hence the override. The 256-channel threshold lies between the two
 * measured widths. One choice per model for train, eval and run alike: the backend's device
 * (thread count) is part of results.json, which must not depend on which command evaluated.
 */
export function wasmThreadsForModel(model: { readonly maxChannels: number }): WasmThreadsRequest {
  return model.maxChannels >= 256 ? 'auto' : 1;
}

/** Starting the build takes well under a second; this only keeps a broken start from hanging. */
const START_TIMEOUT_MS = 60_000;

const autoThreads = () => Math.max(1, Math.min(os.availableParallelism(), AUTO_MAX_THREADS));

/**
 * The thread count to use: `PCONV_WASM_THREADS` (N, or `auto`) if set, else what the caller asks
 * for (wasmThreadsForModel), else DEFAULT_THREADS.
 */
export function wasmThreadCount(env: NodeJS.ProcessEnv = process.env, requested: WasmThreadsRequest = DEFAULT_THREADS): number {
  const raw = env[WASM_THREADS_ENV]?.trim();
  if (raw === undefined || raw === '') return requested === 'auto' ? autoThreads() : Math.max(1, Math.min(requested, MAX_WASM_THREADS));
  if (raw === 'auto') return autoThreads();
  const threads = Number(raw);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new UserError('INVALID_ENV', `${WASM_THREADS_ENV}=${raw} is not a thread count`, {
      hint: `Set ${WASM_THREADS_ENV} to an integer from 1 to ${MAX_WASM_THREADS} (1 = tfjs' single-threaded wasm build) or to auto (one thread per core, at most ${AUTO_MAX_THREADS}), or unset it (the count chosen for the model: README.md, "Backends").`,
    });
  }
  return threads;
}

const require = createRequire(import.meta.url);

interface GlueFiles {
  readonly glue: string;
  readonly wasm: string;
  readonly workerCode: string;
}

function glueFiles(): GlueFiles {
  const glue = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  return {
    glue,
    wasm: join(dirname(glue), 'tfjs-backend-wasm-threaded-simd.wasm'),
    workerCode: require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js'),
  };
}

/**
 * The pthread worker's script as a data: URL (an ES module). The package ships the worker code as
 * a string export; tfjs escapes its newlines the same way before it makes a Blob of it. With
 * workerData `probe`, it only answers, so a failure to start workers shows up as a rejected
 * promise here instead of as the glue's uncaught "worker sent an error!".
 */
function workerScriptUrl(files: GlueFiles): URL {
  const source = [
    "import { createRequire } from 'node:module';",
    "import { parentPort, workerData } from 'node:worker_threads';",
    `const require = createRequire(${JSON.stringify(files.workerCode)});`,
    `const { wasmWorkerContents } = require(${JSON.stringify(files.workerCode)});`,
    "if (workerData === 'probe') parentPort.postMessage(typeof wasmWorkerContents);",
    'else {',
    '  globalThis.require = require;',
    `  globalThis.__filename = ${JSON.stringify(files.glue)};`,
    "  (0, eval)(wasmWorkerContents.replace(/\\n/g, '\\\\n'));",
    '}',
  ].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

/** Starts one worker from the script and waits for its answer; the worker never outlives this. */
function probeWorker(url: URL, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: 'probe' });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`starting a probe worker took more than ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const settle = (error?: Error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    worker.once('message', (answer) => {
      void worker.terminate();
      settle(answer === 'string' ? undefined : new Error('the package has no wasmWorkerContents in its worker file'));
    });
    worker.once('error', (error) => settle(error));
    worker.once('exit', (code) => settle(new Error(`the probe worker exited with code ${code}`)));
  });
}

/** The Emscripten module of the threaded build, as far as we and tfjs' BackendWasm use it. */
interface ThreadedModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  PThread?: { runningWorkers: Worker[]; unusedWorkers: Worker[]; terminateAllThreads(): void };
  tfjs?: Record<string, (...args: number[]) => number>;
}

type Factory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

/** Evaluates the glue as CommonJS with a `require` whose `os.cpus()` reports 2 x `threads`. */
function loadFactory(files: GlueFiles, threads: number): Factory {
  const glueRequire = createRequire(files.glue);
  const cpu = os.cpus()[0];
  const osForGlue = { ...os, cpus: () => Array.from({ length: 2 * threads }, () => cpu) };
  const run = vm.compileFunction(readFileSync(files.glue, 'utf8'), ['exports', 'require', 'module', '__filename', '__dirname'], {
    filename: files.glue,
  });
  const module: { exports: unknown } = { exports: {} };
  run(module.exports, (name: string) => (name === 'os' ? osForGlue : glueRequire(name)), module, files.glue, dirname(files.glue));
  if (typeof module.exports !== 'function') throw new Error(`${files.glue} did not export the module factory`);
  return module.exports as Factory;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A ready tfjs BackendWasm on the threaded build with `threads` threads (the calling thread is one
 * of them). Throws if the build cannot start here; nothing of it is left running then.
 */
export async function createThreadedWasmBackend(threads: number): Promise<BackendWasm> {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new RangeError(`threads must be an integer from 1 to ${MAX_WASM_THREADS}, got ${threads}`);
  }
  // Shared wasm memory needs it; the glue itself throws if the engine lacks wasm threads.
  if (typeof SharedArrayBuffer !== 'function') throw new Error('SharedArrayBuffer is not available');
  const files = glueFiles();
  const workerUrl = workerScriptUrl(files);
  await probeWorker(workerUrl, START_TIMEOUT_MS);
  // Emscripten writes PThread onto this object synchronously, so a failed start can be cleaned up.
  const config: Record<string, unknown> & Partial<ThreadedModule> = {
    locateFile: (path: string, prefix: string) => (path.endsWith('.worker.js') ? workerUrl : path.endsWith('.wasm') ? files.wasm : prefix + path),
    mainScriptUrlOrBlob: files.glue,
  };
  let module: ThreadedModule;
  try {
    module = await withTimeout(loadFactory(files, threads)(config), START_TIMEOUT_MS, 'starting the threaded wasm build');
  } catch (error) {
    config.PThread?.terminateAllThreads();
    throw error;
  }
  // What tfjs' init() adds to the module before it hands it to BackendWasm.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  // BackendWasm's constructor creates XNNPACK's pool with the count set here.
  setThreadsCount(threads);
  const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
  const pool = module.PThread;
  if (pool) {
    // The pool's threads wait in Atomics.wait between operators; they must not keep Node alive
    // (Emscripten refs a worker when it runs a thread). Workers the pool did not take are never
    // used again (XNNPACK makes its pool once), so they go.
    for (const worker of pool.runningWorkers) worker.unref();
    for (const worker of pool.unusedWorkers.splice(0)) void worker.terminate();
  }
  return backend;
}

/** Threads of a wasm backend instance (1 for tfjs' own single-threaded build). */
export function wasmBackendThreads(backend: tf.KernelBackend): number {
  const wasm = (backend as unknown as { wasm?: ThreadedModule }).wasm;
  const count = wasm?.tfjs?.getThreadsCount?.();
  return typeof count === 'number' && count > 0 ? count : 1;
}

export interface WasmThreadsSetup {
  /** Threads the wasm backend will use. */
  readonly threads: number;
  /** Why it uses fewer than asked, if it does. */
  readonly notes: readonly string[];
}

/**
 * Makes the `wasm` backend, when tfjs next starts it, the threaded build with the thread count of
 * `wasmThreadCount()`; leaves tfjs' single-threaded build in place when that count is 1 or the
 * threaded build cannot start (with a note saying why). Call before tf.setBackend('wasm'); once
 * the wasm backend is running this changes nothing (its tensors would be lost).
 */
export async function prepareWasmThreads(env: NodeJS.ProcessEnv = process.env, requested?: WasmThreadsRequest): Promise<WasmThreadsSetup> {
  const threads = wasmThreadCount(env, requested);
  const running = tf.engine().registry.wasm;
  if (running) {
    const actual = wasmBackendThreads(running);
    // Something started wasm before setupBackend (tf.ready() or tf.getBackend() start the
    // highest-priority backend): say so rather than silently run fewer threads.
    const notes =
      actual < threads
        ? [`the wasm backend was already running with ${actual === 1 ? 'one thread' : `${actual} threads`} before the backend was set up; it keeps that`]
        : [];
    return { threads: actual, notes };
  }
  if (threads === 1) return { threads: 1, notes: [] };
  let backend: BackendWasm;
  try {
    backend = await createThreadedWasmBackend(threads);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    return { threads: 1, notes: [`wasm threads could not start (${reason}); running one thread`] };
  }
  tf.removeBackend('wasm');
  // Priority 2, as tfjs-backend-wasm registers itself. Should tfjs ever dispose this backend and
  // start `wasm` again, it gets a fresh one.
  let ready: BackendWasm | undefined = backend;
  tf.registerBackend(
    'wasm',
    async () => {
      const next = ready ?? (await createThreadedWasmBackend(threads));
      ready = undefined;
      return next;
    },
    2,
  );
  return { threads: wasmBackendThreads(backend), notes: [] };
}
