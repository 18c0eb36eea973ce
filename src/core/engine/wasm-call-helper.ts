import { Worker } from 'node:worker_threads';
import type { WasmMemory } from './wasm-assembler.js';

/**
 * A helper thread that calls functions of one of our wasm modules on tfjs-backend-wasm's shared
 * heap while the main thread does its own share of the same operator.
 *
 * Why: the threaded build's pool runs XNNPACK's operators only; a kernel of ours (the filter
 * gradient, filter-gradient-simd.ts) would otherwise use one core of two. The helper knows
 * nothing of the operator: it gets a list of calls (a function index and ARGS i32 arguments each)
 * written on the heap, makes them, and says it is done. The main thread waits for it with
 * Atomics.wait, so a kernel stays synchronous, as tfjs needs.
 *
 * The helper catches whatever its calls throw and reports it, so the main thread never waits for
 * a helper that has stopped; it is unref'd, so it never keeps Node alive.
 */

/** i32 arguments per call (the tile functions' 13); a record is the function index, then these. */
export const CALL_ARGS = 13;
export const RECORD_INTS = 1 + CALL_ARGS;

// Slots of the control array (Int32Array on a SharedArrayBuffer).
const READY = 0; // 1 once the helper has instantiated the module, -1 if it could not
const SEQ = 1; // job number, bumped by the main thread to start a job
const DONE = 2; // the job number the helper finished last
const FAILED = 3; // 1 if that job threw
const RECORDS = 4; // byte address of the job's records on the heap
const COUNT = 5; // number of records
const CONTROL_INTS = 6;

/** How long the first job waits for the helper to start before the main thread works alone. */
const START_TIMEOUT_MS = 10_000;

const args = Array.from({ length: CALL_ARGS }, (_, i) => `r[o + ${i + 1}]`).join(', ');
/** The helper's script (CommonJS, run with `eval: true`). */
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, names, control } = workerData;
const ctrl = new Int32Array(control);
let fns;
try {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  fns = names.map((name) => exports[name]);
  Atomics.store(ctrl, ${READY}, 1);
} catch {
  Atomics.store(ctrl, ${READY}, -1);
}
Atomics.notify(ctrl, ${READY});
let seq = 0;
while (fns) {
  Atomics.wait(ctrl, ${SEQ}, seq);
  seq = Atomics.load(ctrl, ${SEQ});
  let failed = 0;
  try {
    // A view per job: the heap's buffer is replaced when it grows.
    const r = new Int32Array(memory.buffer, ctrl[${RECORDS}], ctrl[${COUNT}] * ${RECORD_INTS});
    for (let o = 0; o < r.length; o += ${RECORD_INTS}) fns[r[o]](${args});
  } catch {
    failed = 1;
  }
  Atomics.store(ctrl, ${FAILED}, failed);
  Atomics.store(ctrl, ${DONE}, seq);
  Atomics.notify(ctrl, ${DONE});
}
`;

interface WasmModuleApi {
  Module: new (bytes: Uint8Array) => object;
}

export class WasmCallHelper {
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
  private readonly worker: Worker;
  private seq = 0;
  private state: 'starting' | 'ready' | 'broken' = 'starting';

  /** Starts the helper thread on `memory` (shared) with the module of `bytes`, whose functions `names` a record's index picks from. */
  constructor(memory: WasmMemory, bytes: Uint8Array, names: readonly string[]) {
    const module = new (globalThis as unknown as { WebAssembly: WasmModuleApi }).WebAssembly.Module(bytes);
    this.worker = new Worker(HELPER_SOURCE, { eval: true, workerData: { module, memory, names, control: this.control.buffer } });
    this.worker.unref();
    // A helper that dies outside a job (terminated, out of memory) must not be waited for.
    this.worker.on('error', () => this.markBroken());
    this.worker.on('exit', () => this.markBroken());
  }

  private markBroken(): void {
    this.state = 'broken';
  }

  /** Whether the helper can take work (waits for its start the first time). */
  ready(): boolean {
    if (this.state === 'starting') {
      Atomics.wait(this.control, READY, 0, START_TIMEOUT_MS);
      const answer = Atomics.load(this.control, READY);
      this.state = answer === 1 ? 'ready' : 'broken';
      if (answer === 0) void this.worker.terminate();
    }
    return this.state === 'ready';
  }

  /**
   * Has the helper make `count` calls whose records lie at byte address `records` on the heap,
   * runs `mainShare` meanwhile, and returns once both are done. The records and everything the
   * calls touch must stay put until then (no tfjs allocation in `mainShare`).
   */
  run(records: number, count: number, mainShare: () => void): void {
    if (!this.ready()) throw new Error('the wasm helper thread is not running');
    const seq = ++this.seq;
    this.control[RECORDS] = records;
    this.control[COUNT] = count;
    Atomics.store(this.control, SEQ, seq);
    Atomics.notify(this.control, SEQ);
    let mainError: unknown;
    try {
      mainShare();
    } catch (error) {
      mainError = error;
    }
    for (;;) {
      const done = Atomics.load(this.control, DONE);
      if (done === seq) break;
      Atomics.wait(this.control, DONE, done);
    }
    if (mainError !== undefined) throw mainError;
    if (this.control[FAILED] === 1) throw new Error('a call on the wasm helper thread failed');
  }

  /** Stops the thread (for tests; the process never waits for it anyway). */
  async terminate(): Promise<void> {
    this.state = 'broken';
    await this.worker.terminate();
  }
}
