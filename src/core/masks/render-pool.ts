import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InterruptedError, UserError } from '../errors.js';
import { HoleCanvas } from './hole-canvas.js';
import type { MaskJob, MaskSetSpec } from './mask-plan.js';
import type { WorkerReply, WorkerRequest } from './mask-worker.js';
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
 * Synchronous writes of small files: drawing is CPU-bound, and awaiting each write would leave the
 * thread idle for the file system's round trip (measured: half the time of an in-process run).
 */
export function fileWriter(dir: string): (file: string, data: Uint8Array) => void {
  const made = new Set<string>();
  return (file, data) => {
    const path = join(dir, file);
    const parent = dirname(path);
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    writeFileSync(path, data);
  };
}

function renderInWorkers(spec: MaskSetSpec, items: readonly RenderItem[], dir: string, count: number, options: RenderPoolOptions): Promise<RenderOutcome[]> {
  return new Promise((resolve, reject) => {
    const outcomes: RenderOutcome[] = [];
    const pool: Worker[] = [];
    let next = 0;
    let finished = false;
    const stop = (error?: unknown) => {
      if (finished) return;
      finished = true;
      options.signal?.removeEventListener('abort', onAbort);
      for (const worker of pool) void worker.terminate();
      if (error) reject(error);
      else resolve(outcomes.sort((a, b) => a.index - b.index));
    };
    const onAbort = () => stop(new InterruptedError());
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) return stop(new InterruptedError());

    const feed = (worker: Worker) => {
      if (next >= items.length) return false;
      const request: WorkerRequest = { dir, items: items.slice(next, next + CHUNK) };
      next += CHUNK;
      worker.postMessage(request);
      return true;
    };
    let busy = 0;
    for (let i = 0; i < count; i++) {
      const worker = new Worker(WORKER_FILE, { workerData: spec });
      pool.push(worker);
      worker.on('message', (reply: WorkerReply) => {
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
