/**
 * Worker thread of the evaluation's score pool: composites, Telea and metrics for the pairs it is
 * sent (pair-scoring.ts), so scoring uses every core while the main thread runs inference.
 */
import { parentPort } from 'node:worker_threads';
import type { Inpainter } from './inpainter.js';
import { type PairJob, type PairResult, scorePair } from './pair-scoring.js';
import { teleaInpainter } from './telea.js';

export type ScoreWorkerReply = { readonly ok: true; readonly result: PairResult } | { readonly ok: false; readonly k: number; readonly message: string };

let telea: Promise<Inpainter> | undefined;

parentPort?.on('message', async (job: PairJob) => {
  try {
    if (job.telea !== undefined) telea ??= teleaInpainter();
    const inpainter = job.telea === undefined ? undefined : await telea;
    const result = scorePair(job, inpainter);
    parentPort?.postMessage(
      { ok: true, result } satisfies ScoreWorkerReply,
      result.composites.map((c) => c.data.buffer as ArrayBuffer),
    );
  } catch (error) {
    parentPort?.postMessage({
      ok: false,
      k: job.k,
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    } satisfies ScoreWorkerReply);
  }
});
