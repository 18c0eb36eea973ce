/**
 * Worker thread of writeMaskSet: draws, encodes and writes the masks it is sent, so that mask
 * generation uses every core. Replies with each file's measurements, or with the user error that
 * stopped it (an unreachable bin).
 *
 * It is never terminated from outside while it works (see renderInWorkers): it stops between two
 * masks when the pool's stop flag is set, and ends by itself when the pool sends `stop`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isUserError } from '../errors.js';
import { HoleCanvas } from './hole-canvas.js';
import { fileWriter } from './mask-file-writer.js';
import type { MaskWorkerData, WorkerReply, WorkerRequest } from './mask-worker-protocol.js';
import { renderMask } from './render-mask.js';
import { shapeSourceFor } from './shape-source-for.js';

const { spec, stop } = workerData as MaskWorkerData;
const stopFlag = new Int32Array(stop);
const source = shapeSourceFor(spec.generator, spec.width, spec.height);
const canvas = new HoleCanvas(spec.width, spec.height);

parentPort?.on('message', (request: WorkerRequest) => {
  if (request.type === 'stop') {
    // Nothing else keeps the thread alive: it exits normally once this handler returns.
    parentPort?.close();
    return;
  }
  try {
    const write = fileWriter(request.dir);
    const results: { index: number; holeRatio: number; sha256: string }[] = [];
    for (const { index, job, seed } of request.items) {
      // The pool is stopping (Ctrl-C or a failure elsewhere): leave the rest of the chunk undone.
      if (Atomics.load(stopFlag, 0) !== 0) break;
      const rendered = renderMask(spec, source, job, seed, canvas);
      write(job.file, rendered.png);
      results.push({ index, holeRatio: rendered.holeRatio, sha256: rendered.sha256 });
    }
    parentPort?.postMessage({ ok: true, results } satisfies WorkerReply);
  } catch (error) {
    const reply: WorkerReply = isUserError(error)
      ? { ok: false, message: error.message, userError: { code: error.code, message: error.message, hint: error.hint, details: error.details } }
      : {
          ok: false,
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
          errno: {
            code: (error as NodeJS.ErrnoException).code,
            syscall: (error as NodeJS.ErrnoException).syscall,
            path: (error as NodeJS.ErrnoException).path,
          },
        };
    parentPort?.postMessage(reply);
  }
});
