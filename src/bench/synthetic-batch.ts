import { Rng } from '../core/rng.js';

/** A training batch in the trainer's layout: images [B, S, S, 3] in [0, 1], masks [B, S, S, 1] with 1 = valid. */
export interface SyntheticBatch {
  readonly size: number;
  readonly count: number;
  readonly images: Float32Array;
  readonly masks: Float32Array;
}

/**
 * Random pixels and a few random rectangular holes per image (about a quarter of the area), drawn
 * from a seed. Speed does not depend on image content; the holes make every partial-convolution
 * path run (windows with no valid input, renormalised windows, fully valid ones).
 */
export function syntheticBatch(size: number, count: number, seed: number): SyntheticBatch {
  const rng = new Rng(seed);
  const images = new Float32Array(count * size * size * 3);
  for (let i = 0; i < images.length; i++) images[i] = rng.next();
  const masks = new Float32Array(count * size * size).fill(1);
  for (let b = 0; b < count; b++) {
    for (let r = 0; r < 3; r++) {
      const h = rng.int(1, Math.max(1, Math.floor(size / 3)));
      const w = rng.int(1, Math.max(1, Math.floor(size / 3)));
      const top = rng.int(0, size - h);
      const left = rng.int(0, size - w);
      for (let y = top; y < top + h; y++) masks.fill(0, b * size * size + y * size + left, b * size * size + y * size + left + w);
    }
  }
  return { size, count, images, masks };
}
