import { Worker } from 'node:worker_threads';
import type { WasmMemory } from './simd/assembler.js';

/**
 * A helper thread that calls functions of one of our wasm modules on tfjs-backend-wasm's shared
 * heap while the main thread does its own share of the same operator.
 *
 * Why: the threaded build's pool runs XNNPACK's operators only; a kernel of ours (the filter
 * gradient, wasm/simd/conv2d-backprop-filter.ts) would otherwise use one core of two. The helper knows
 * nothing of the operator: it gets a list of calls (a function index and `argCount` i32 arguments
 * each) written on the heap, makes them, and says it is done. The main thread waits for it with
 * Atomics.wait, so a kernel stays synchronous, as tfjs needs.
 *
 * Neither side can be left waiting for a helper that is gone (its 'exit' event cannot arrive while
 * the main thread blocks): a job is claimed with compareExchange, by the helper when it wakes or by
 * the main thread when its own share is done first, and the main thread then makes the calls
 * itself. A job the helper has claimed is waited for at most CLAIMED_JOB_TIMEOUT_MS. The helper
 * catches what its calls throw and reports it. It is unref'd, so it never keeps Node alive.
 */

// Slots of the control array (Int32Array on a SharedArrayBuffer).
const READY = 0; // 1 once the helper has instantiated the module, -1 if it could not
const SEQ = 1; // job number, bumped by the main thread to post a job
const CLAIMED = 2; // the job number last claimed (by either thread)
const DONE = 3; // the job number the helper finished last
const FAILED = 4; // 1 if that job threw
const RECORDS = 5; // byte address of the job's records on the heap
const COUNT = 6; // number of records
const CONTROL_INTS = 7;

/** How long the first job waits for the helper to start before the main thread works alone. */
const START_TIMEOUT_MS = 10_000;

/**
 * How long the main thread waits for a job the helper has claimed. The longest share measured is
 * under 2 s (a 64-channel filter gradient at 512 px); a helper this late is taken for dead.
 */
const CLAIMED_JOB_TIMEOUT_MS = 120_000;

/** The helper's script (CommonJS, run with `eval: true`) for calls of `argCount` arguments. */
function helperSource(argCount: number): string {
  const width = 1 + argCount;
  const args = Array.from({ length: argCount }, (_, i) => `r[o + ${i + 1}]`).join(', ');
  return `
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
  // The main thread makes the calls itself when it finished its own share before we woke.
  if (Atomics.compareExchange(ctrl, ${CLAIMED}, seq - 1, seq) !== seq - 1) continue;
  let failed = 0;
  try {
    // A view per job: the heap's buffer is replaced when it grows.
    const r = new Int32Array(memory.buffer, ctrl[${RECORDS}], ctrl[${COUNT}] * ${width});
    for (let o = 0; o < r.length; o += ${width}) fns[r[o]](${args});
  } catch {
    failed = 1;
  }
  Atomics.store(ctrl, ${FAILED}, failed);
  Atomics.store(ctrl, ${DONE}, seq);
  Atomics.notify(ctrl, ${DONE});
}
`;
}

type Call = (...args: number[]) => void;

export class WasmCallHelper {
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
  private readonly worker: Worker;
  private seq = 0;
  private state: 'starting' | 'ready' | 'broken' = 'starting';

  /**
   * Starts the helper thread on `memory` (shared) with a compiled `module` whose exports `names`
   * a record's function index picks from; `functions` are the same functions instantiated on the
   * main thread (for jobs the main thread takes over), each taking `argCount` i32 arguments.
   */
  constructor(
    private readonly memory: WasmMemory,
    module: object,
    names: readonly string[],
    private readonly functions: readonly Call[],
    private readonly argCount: number,
  ) {
    this.worker = new Worker(helperSource(argCount), { eval: true, workerData: { module, memory, names, control: this.control.buffer } });
    this.worker.unref();
    // A helper that dies between jobs: noticed here when the event loop runs, else by the claim.
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
   * Has the helper make `count` calls whose records (1 + argCount i32 each) lie at byte address
   * `records` on the heap, runs `mainShare` meanwhile, and returns once both are done. The records
   * and everything the calls touch must stay put until then (no tfjs allocation in `mainShare`).
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
    if (Atomics.compareExchange(this.control, CLAIMED, seq - 1, seq) === seq - 1) {
      // The helper had not woken yet (or is gone): the calls are made here.
      if (mainError === undefined) this.callHere(records, count);
    } else {
      this.waitFor(seq);
      if (this.control[FAILED] === 1 && mainError === undefined) mainError = new Error('a call on the wasm helper thread failed');
    }
    if (mainError !== undefined) throw mainError;
  }

  private callHere(records: number, count: number): void {
    const width = 1 + this.argCount;
    const r = new Int32Array(this.memory.buffer, records, count * width);
    for (let o = 0; o < r.length; o += width) (this.functions[r[o] as number] as Call)(...r.subarray(o + 1, o + width));
  }

  private waitFor(seq: number): void {
    const deadline = performance.now() + CLAIMED_JOB_TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(this.control, DONE);
      if (done === seq) return;
      const left = deadline - performance.now();
      if (left <= 0) {
        this.markBroken();
        void this.worker.terminate();
        throw new Error(`the wasm helper thread did not finish its share within ${CLAIMED_JOB_TIMEOUT_MS / 1000} s; it is stopped`);
      }
      Atomics.wait(this.control, DONE, done, left);
    }
  }

  /** Stops the thread (for tests; the process never waits for it anyway). */
  async terminate(): Promise<void> {
    this.state = 'broken';
    await this.worker.terminate();
  }
}

/**
 * Runs a share of records on each helper ([byte address, count]) and `mainShare` on this
 * thread, all at once: each helper's job is posted before the next, and the main thread's share
 * runs inside the last one.
 */
export function runShares(helpers: readonly WasmCallHelper[], shares: readonly (readonly [records: number, count: number])[], mainShare: () => void): void {
  const from = (i: number): void => {
    const helper = helpers[i];
    const [records, count] = shares[i] ?? [0, 0];
    if (!helper) mainShare();
    else if (count === 0) from(i + 1);
    else helper.run(records, count, () => from(i + 1));
  };
  from(0);
}
