import type { Rng } from '../rng.js';
import { HOLE, type MaskImage, VALID } from './mask-image.js';

/**
 * Training-time augmentation of imported masks, as the PConv authors describe for NVIDIA's set:
 * random dilation of the holes, rotation, translation and cropping, then resizing (nearest) to the
 * training size. Pure: the same mask, options and RNG state give the same result.
 */
export interface AugmentMaskOptions {
  /** Side of the square dilation kernel in px, drawn from [min, max] inclusive; [0, 0] for none. */
  readonly dilation: readonly [number, number];
  /** Rotation drawn uniformly from [-maxRotation, maxRotation] degrees. */
  readonly maxRotation: number;
  /** Shift drawn uniformly from [-maxShift, maxShift] times the side. */
  readonly maxShift: number;
  /** Side of the random square crop as a fraction of the shorter side, drawn from [minCrop, 1]. */
  readonly minCrop: number;
  readonly outWidth: number;
  readonly outHeight: number;
}

export const AUTHORS_AUGMENTATION: Omit<AugmentMaskOptions, 'outWidth' | 'outHeight'> = {
  dilation: [9, 49],
  maxRotation: 180,
  maxShift: 0.1,
  minCrop: 0.5,
};

export function augmentMask(mask: MaskImage, rng: Rng, options: AugmentMaskOptions): MaskImage {
  const [dMin, dMax] = options.dilation;
  const kernel = dMax > 0 ? rng.int(Math.max(1, dMin), dMax) : 1;
  const dilated = kernel > 1 ? dilateHoles(mask, kernel) : mask;
  const angle = rng.uniform(-options.maxRotation, options.maxRotation) * (Math.PI / 180);
  const side = Math.min(mask.width, mask.height);
  const shiftX = rng.uniform(-options.maxShift, options.maxShift) * mask.width;
  const shiftY = rng.uniform(-options.maxShift, options.maxShift) * mask.height;
  const crop = rng.uniform(Math.min(1, options.minCrop), 1) * side;
  const cropX = rng.uniform(0, mask.width - crop);
  const cropY = rng.uniform(0, mask.height - crop);
  return resampleAffine(dilated, { angle, shiftX, shiftY, cropX, cropY, crop }, options.outWidth, options.outHeight);
}

/**
 * Grows every hole by a square kernel of side k (a max filter on the hole indicator), done as two
 * sliding-window passes so the cost does not depend on k.
 */
export function dilateHoles(mask: MaskImage, k: number): MaskImage {
  const { width, height } = mask;
  const before = Math.floor((k - 1) / 2);
  const after = k - 1 - before;
  const rows = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) slidingHoles(mask.data, rows, y * width, 1, width, before, after);
  const out = new Uint8Array(width * height);
  for (let x = 0; x < width; x++) slidingHoles(rows, out, x, width, height, before, after);
  return { width, height, data: out };
}

/** One line of the max filter: out[i] is a hole when any of in[i-before .. i+after] is. */
function slidingHoles(input: Uint8Array, output: Uint8Array, start: number, step: number, length: number, before: number, after: number): void {
  let holes = 0;
  for (let i = 0; i < Math.min(after, length); i++) if (input[start + i * step] === HOLE) holes++;
  for (let i = 0; i < length; i++) {
    const entering = i + after;
    if (entering < length && input[start + entering * step] === HOLE) holes++;
    const leaving = i - before - 1;
    if (leaving >= 0 && input[start + leaving * step] === HOLE) holes--;
    output[start + i * step] = holes > 0 ? HOLE : VALID;
  }
}

interface Affine {
  angle: number;
  shiftX: number;
  shiftY: number;
  cropX: number;
  cropY: number;
  crop: number;
}

/**
 * Output pixel -> crop window -> undo the shift -> undo the rotation about the centre -> nearest
 * source pixel. Pixels that fall outside the source are valid (no hole comes from nowhere).
 */
function resampleAffine(mask: MaskImage, t: Affine, outWidth: number, outHeight: number): MaskImage {
  const out = new Uint8Array(outWidth * outHeight).fill(VALID);
  const cx = (mask.width - 1) / 2;
  const cy = (mask.height - 1) / 2;
  const cos = Math.cos(t.angle);
  const sin = Math.sin(t.angle);
  const sx = t.crop / outWidth;
  const sy = t.crop / outHeight;
  for (let v = 0; v < outHeight; v++) {
    for (let u = 0; u < outWidth; u++) {
      const x = t.cropX + (u + 0.5) * sx - 0.5 - t.shiftX - cx;
      const y = t.cropY + (v + 0.5) * sy - 0.5 - t.shiftY - cy;
      const srcX = Math.round(cos * x + sin * y + cx);
      const srcY = Math.round(-sin * x + cos * y + cy);
      if (srcX >= 0 && srcX < mask.width && srcY >= 0 && srcY < mask.height) out[v * outWidth + u] = mask.data[srcY * mask.width + srcX] as number;
    }
  }
  return { width: outWidth, height: outHeight, data: out };
}
