/**
 * Worker thread of writeMaskSet: draws, encodes and writes the masks it is sent, so that mask
 * generation uses every core. Replies with each file's measurements, or with the user error that
 * stopped it (an unreachable bin).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isUserError } from '../errors.js';
import { HoleCanvas } from './hole-canvas.js';
import type { MaskJob, MaskSetSpec } from './mask-plan.js';
import { renderMask } from './render-mask.js';
import { fileWriter } from './render-pool.js';
import { shapeSourceFor } from './shape-source-for.js';

export interface WorkerRequest {
  readonly dir: string;
  readonly items: readonly { readonly index: number; readonly job: MaskJob; readonly seed: number }[];
}

export type WorkerReply =
  | { readonly ok: true; readonly results: readonly { index: number; holeRatio: number; sha256: string }[] }
  | {
      readonly ok: false;
      readonly message: string;
      readonly userError?: { code: string; message: string; hint?: string; details: readonly string[] };
      /** A file-system error's fields, so the main thread can tell "disk full" from a bug. */
      readonly errno?: { code?: string; syscall?: string; path?: string };
    };

const spec = workerData as MaskSetSpec;
const source = shapeSourceFor(spec.generator, spec.width, spec.height);
const canvas = new HoleCanvas(spec.width, spec.height);

parentPort?.on('message', (request: WorkerRequest) => {
  try {
    const write = fileWriter(request.dir);
    const results = request.items.map(({ index, job, seed }) => {
      const rendered = renderMask(spec, source, job, seed, canvas);
      write(job.file, rendered.png);
      return { index, holeRatio: rendered.holeRatio, sha256: rendered.sha256 };
    });
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
