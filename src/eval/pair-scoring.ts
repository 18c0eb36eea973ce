import { compositeArrays } from '../core/metrics/composite-arrays.js';
import type { Inpainter } from './inpainter.js';
import { type ImageMetrics, imageMetrics } from './metrics.js';

/**
 * The work done for one (image, mask) pair after inference: composite each model's output with
 * the known pixels, run Telea when asked, and score every composite. A pure function of its
 * inputs, so a worker thread and the main thread give the same bits.
 */
export interface PairJob {
  /** The pair's index in the mask set. */
  readonly k: number;
  readonly size: number;
  /** Ground truth, HWC RGB on [0, 1]. */
  readonly image: Float32Array;
  /** HxW, 1 = valid. */
  readonly valid: Float32Array;
  /** Raw outputs of models (holes and known pixels), by model name. */
  readonly outputs: readonly { readonly name: string; readonly data: Float32Array }[];
  /** Run Telea and score it under this name. */
  readonly telea?: string;
  /** Model names whose composite comes back (the report's sample pictures). */
  readonly keepComposites: readonly string[];
}

export interface PairResult {
  readonly k: number;
  readonly metrics: readonly { readonly name: string; readonly metrics: ImageMetrics }[];
  readonly composites: readonly { readonly name: string; readonly data: Float32Array }[];
}

export function scorePair(job: PairJob, telea: Inpainter | undefined): PairResult {
  const metrics: { name: string; metrics: ImageMetrics }[] = [];
  const composites: { name: string; data: Float32Array }[] = [];
  const score = (name: string, raw: Float32Array) => {
    const composite = compositeArrays(job.image, raw, job.valid);
    metrics.push({ name, metrics: imageMetrics(composite, job.image, job.size, job.size, job.valid) });
    if (job.keepComposites.includes(name)) composites.push({ name, data: composite });
  };
  for (const output of job.outputs) score(output.name, output.data);
  if (job.telea !== undefined) {
    if (!telea) throw new Error('scorePair: a Telea job without an inpainter');
    // Telea keeps known pixels already; compositing makes that exact.
    score(job.telea, telea(job.image, job.valid, job.size, job.size));
  }
  return { k: job.k, metrics, composites };
}
