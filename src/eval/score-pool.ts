import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Inpainter } from './inpainter.js';
import { type PairJob, type PairResult, scorePair } from './pair-scoring.js';
import type { ScoreWorkerReply } from './score-worker.js';
import { teleaInpainter } from './telea.js';

/** Scores pairs (pair-scoring.ts) on worker threads, or on this thread with 0 workers. */
export interface ScorePool {
  /** How many worker threads score pairs (0: this thread). */
  readonly workers: number;
  score(job: PairJob): Promise<PairResult>;
  close(): Promise<void>;
}

const WORKER_FILE = new URL('./score-worker.js', import.meta.url);

/** One worker per core by default: inference on the main thread overlaps with them. */
export function defaultScoreWorkers(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Jobs go to whichever worker is free, in submission order; each job's buffers are transferred,
 * not copied, so the caller must not touch them after submitting. Under a TypeScript test runner
 * the compiled worker does not exist, so pairs are scored on this thread (same function, same bits).
 */
export function createScorePool(requested: number = defaultScoreWorkers()): ScorePool {
  const canUseWorkers = WORKER_FILE.protocol === 'file:' && existsSync(fileURLToPath(WORKER_FILE));
  return requested > 0 && canUseWorkers ? workerPool(requested) : inThreadPool();
}

function inThreadPool(): ScorePool {
  let telea: Promise<Inpainter> | undefined;
  let queue = Promise.resolve();
  return {
    workers: 0,
    score(job) {
      const run = queue.then(async () => {
        if (job.telea !== undefined) telea ??= teleaInpainter();
        const inpainter = job.telea === undefined ? undefined : await telea;
        // Let progress output and Ctrl-C through between pairs.
        await new Promise((resolve) => setImmediate(resolve));
        return scorePair(job, inpainter);
      });
      queue = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },
    close: async () => {},
  };
}

function workerPool(count: number): ScorePool {
  interface Pending {
    readonly job: PairJob;
    readonly resolve: (result: PairResult) => void;
    readonly reject: (error: Error) => void;
  }
  const waiting: Pending[] = [];
  const idle: Worker[] = [];
  const running = new Map<Worker, Pending>();
  let broken: Error | undefined;
  const dispatch = () => {
    while (idle.length > 0 && waiting.length > 0) {
      const worker = idle.pop() as Worker;
      const pending = waiting.shift() as Pending;
      running.set(worker, pending);
      const buffers = [pending.job.image, pending.job.valid, ...pending.job.outputs.map((o) => o.data)].map((a) => a.buffer as ArrayBuffer);
      worker.postMessage(pending.job, [...new Set(buffers)]);
    }
  };
  const fail = (error: Error) => {
    broken ??= error;
    for (const pending of [...waiting.splice(0), ...running.values()]) pending.reject(error);
    running.clear();
  };
  const workers = Array.from({ length: count }, () => {
    const worker = new Worker(WORKER_FILE);
    // Scoring threads never keep the process alive on their own.
    worker.unref();
    worker.on('message', (reply: ScoreWorkerReply) => {
      const pending = running.get(worker);
      running.delete(worker);
      idle.push(worker);
      if (reply.ok) pending?.resolve(reply.result);
      else pending?.reject(new Error(`scoring pair ${reply.k} failed: ${reply.message}`));
      dispatch();
    });
    worker.on('error', (error) => fail(error));
    worker.on('exit', (code) => {
      if (running.has(worker) || code !== 0) fail(new Error(`a scoring thread stopped (exit code ${code})`));
    });
    idle.push(worker);
    return worker;
  });
  return {
    workers: count,
    score(job) {
      if (broken) return Promise.reject(broken);
      return new Promise((resolve, reject) => {
        waiting.push({ job, resolve, reject });
        dispatch();
      });
    },
    async close() {
      broken ??= new Error('the scoring pool is closed');
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
