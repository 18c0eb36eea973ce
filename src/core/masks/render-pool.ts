import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InterruptedError, UserError } from '../errors.js';
import { HoleCanvas } from './hole-canvas.js';
import { fileWriter } from './mask-file-writer.js';
import type { MaskJob, MaskSetSpec } from './mask-plan.js';
import type { MaskWorkerData, WorkerReply, WorkerRequest } from './mask-worker-protocol.js';
import { renderMask } from './render-mask.js';
import { shapeSourceFor } from './shape-source-for.js';

export interface RenderItem {
  readonly index: number;
  readonly job: MaskJob;
  readonly seed: number;
}

export interface RenderOutcome {
  readonly index: number;
  readonly holeRatio: number;
  readonly sha256: string;
}

export interface RenderPoolOptions {
  /** Worker threads; 0 draws in this thread. Default: one per core. */
  readonly workers?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number) => void;
}

const CHUNK = 32;
const WORKER_FILE = new URL('./mask-worker.js', import.meta.url);

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

/** Draws and writes masks under `dir`, in worker threads when the compiled worker exists. */
export async function renderMasks(spec: MaskSetSpec, items: readonly RenderItem[], dir: string, options: RenderPoolOptions = {}): Promise<RenderOutcome[]> {
  const wanted = options.workers ?? defaultWorkerCount();
  // Under a TypeScript test runner the worker's .js file does not exist; draw in this thread then.
  const canUseWorkers = WORKER_FILE.protocol === 'file:' && existsSync(fileURLToPath(WORKER_FILE));
  const workers = canUseWorkers ? Math.min(wanted, Math.ceil(items.length / CHUNK)) : 0;
  return workers > 0 ? renderInWorkers(spec, items, dir, workers, options) : renderHere(spec, items, dir, options);
}

async function renderHere(spec: MaskSetSpec, items: readonly RenderItem[], dir: string, options: RenderPoolOptions): Promise<RenderOutcome[]> {
  const source = shapeSourceFor(spec.generator, spec.width, spec.height);
  const canvas = new HoleCanvas(spec.width, spec.height);
  const write = fileWriter(dir);
  const outcomes: RenderOutcome[] = [];
  for (const { index, job, seed } of items) {
    if (options.signal?.aborted) throw new InterruptedError();
    const rendered = renderMask(spec, source, job, seed, canvas);
    write(job.file, rendered.png);
    outcomes.push({ index, holeRatio: rendered.holeRatio, sha256: rendered.sha256 });
    options.onProgress?.(outcomes.length);
    // Let Ctrl-C and progress output through now and then.
    if (outcomes.length % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return outcomes;
}

/**
 * Stopping (Ctrl-C, a failed worker, or the end of the work) never terminates a worker: it asks
 * them to stop, each finishes the mask it is drawing and writing, and the promise settles only once
 * every thread has exited. worker.terminate() would end a thread wherever it is, and one ended
 * inside zlib.deflateSync (between creating its native stream and initialising it) aborts the
 * whole process in Node's cleanup (node_zlib.cc: `init_done_ && "close before init"`) instead of
 * exiting 130; and a thread still writing after the promise has settled can put files back into
 * the staging folder that writeMaskSet is removing.
 */
function renderInWorkers(spec: MaskSetSpec, items: readonly RenderItem[], dir: string, count: number, options: RenderPoolOptions): Promise<RenderOutcome[]> {
  return new Promise((resolve, reject) => {
    const outcomes: RenderOutcome[] = [];
    const stopBuffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    const stopFlag = new Int32Array(stopBuffer);
    const pool: Worker[] = [];
    const exits: Promise<void>[] = [];
    let next = 0;
    let busy = 0;
    let finished = false;
    const stop = (error?: unknown) => {
      if (finished) return;
      finished = true;
      options.signal?.removeEventListener('abort', onAbort);
      // Busy workers see the flag before their next mask; idle ones (and busy ones, after it) the message.
      Atomics.store(stopFlag, 0, 1);
      for (const worker of pool) worker.postMessage({ type: 'stop' } satisfies WorkerRequest);
      void Promise.all(exits).then(() => (error ? reject(error) : resolve(outcomes.sort((a, b) => a.index - b.index))));
    };
    const onAbort = () => stop(new InterruptedError());
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) return stop(new InterruptedError());

    const feed = (worker: Worker) => {
      if (next >= items.length) return false;
      const request: WorkerRequest = { type: 'render', dir, items: items.slice(next, next + CHUNK) };
      next += CHUNK;
      worker.postMessage(request);
      return true;
    };
    const workerData: MaskWorkerData = { spec, stop: stopBuffer };
    for (let i = 0; i < count; i++) {
      const worker = new Worker(WORKER_FILE, { workerData });
      pool.push(worker);
      exits.push(
        new Promise((exited) =>
          worker.once('exit', (code) => {
            // Without an 'error' first (which stops the pool), an exit before the stop is a crash.
            stop(new Error(`a mask worker thread stopped unexpectedly (exit code ${code})`));
            exited();
          }),
        ),
      );
      worker.on('message', (reply: WorkerReply) => {
        // Stopping: a reply now is a chunk cut short, and the outcome is already decided.
        if (finished) return;
        if (!reply.ok) {
          const e = reply.userError;
          return stop(
            e
              ? new UserError(e.code, e.message, { hint: e.hint, details: e.details })
              : Object.assign(new Error(`mask worker failed: ${reply.message}`), reply.errno),
          );
        }
        outcomes.push(...reply.results);
        options.onProgress?.(outcomes.length);
        if (!feed(worker)) {
          busy--;
          if (busy === 0) stop();
        }
      });
      worker.on('error', (error) => stop(error));
      if (feed(worker)) busy++;
    }
    if (busy === 0) stop();
  });
}
