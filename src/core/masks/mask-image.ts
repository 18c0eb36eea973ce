/**
 * A single-channel mask in memory: one byte per pixel, row-major, 255 = valid (known pixel),
 * 0 = hole. The same convention as the PNG files on disk (docs/science.md, "Conventions").
 */
export interface MaskImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export const VALID = 255;
export const HOLE = 0;

export function createValidMask(width: number, height: number): MaskImage {
  return { width, height, data: new Uint8Array(width * height).fill(VALID) };
}

export function countHoles(mask: MaskImage): number {
  const { data } = mask;
  let holes = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === HOLE) holes++;
  return holes;
}

/** Fraction of hole pixels of a binarised mask. */
export function holeRatio(mask: MaskImage): number {
  return countHoles(mask) / (mask.width * mask.height);
}

/**
 * True when some hole pixel lies within `margin` px of the image edge, that is in the first or last
 * `margin` rows or columns. Such a mask belongs to the "border" subset; otherwise to "no-border".
 */
export function hasHoleNearBorder(mask: MaskImage, margin: number): boolean {
  const { width, height, data } = mask;
  if (margin <= 0) return false;
  const m = Math.min(margin, Math.ceil(height / 2), Math.ceil(width / 2));
  for (let y = 0; y < height; y++) {
    const row = y * width;
    if (y < m || y >= height - m) {
      for (let x = 0; x < width; x++) if (data[row + x] === HOLE) return true;
    } else {
      for (let x = 0; x < m; x++) if (data[row + x] === HOLE) return true;
      for (let x = width - m; x < width; x++) if (data[row + x] === HOLE) return true;
    }
  }
  return false;
}

export type BorderSubset = 'border' | 'no-border';

export function borderSubsetOf(mask: MaskImage, margin: number): BorderSubset {
  return hasHoleNearBorder(mask, margin) ? 'border' : 'no-border';
}

/**
 * Turns grey levels into a mask. `holeIsWhite` says which side of the threshold is the hole:
 * NVIDIA's and LaMa's files use white = hole, ours use black = hole. threshold is in [0, 1].
 */
export function binarise(grey: Uint8Array, width: number, height: number, threshold: number, holeIsWhite: boolean): MaskImage {
  const data = new Uint8Array(width * height);
  const cut = threshold * 255;
  for (let i = 0; i < data.length; i++) {
    const white = (grey[i] ?? 0) >= cut;
    data[i] = white === holeIsWhite ? HOLE : VALID;
  }
  return { width, height, data };
}
