import { createHash } from 'node:crypto';
import { encodeGreyPng } from '../io/png-gray.js';
import { generateBinnedMask } from './binned-mask.js';
import { HoleCanvas } from './hole-canvas.js';
import type { MaskJob, MaskSetSpec } from './mask-plan.js';
import type { ShapeSource } from './shape-source.js';

export interface RenderedMask {
  readonly png: Buffer;
  readonly holeRatio: number;
  /** Hash of the PNG file; the encoder is deterministic, so equal hashes mean equal pixels. */
  readonly sha256: string;
}

/** Draws one planned mask and encodes it; the same job and seed always give the same bytes. */
export function renderMask(spec: MaskSetSpec, source: ShapeSource, job: MaskJob, seed: number, canvas?: HoleCanvas): RenderedMask {
  const result = generateBinnedMask(source, spec.width, spec.height, job.target, seed, spec.limits, canvas ?? new HoleCanvas(spec.width, spec.height));
  const png = encodeGreyPng(result.mask.data, spec.width, spec.height);
  return {
    png,
    holeRatio: result.holeRatio,
    sha256: createHash('sha256').update(png).digest('hex'),
  };
}
