import { ssimSeparable } from './ssim-separable.js';

/**
 * The image-quality metrics of the benchmark tables (docs/science.md, "Metrics"), on RGB images as
 * float32 HWC in [0, 1].
 * Conventions (recorded in every results file): all metrics on the composite output; L1 both in
 * holes only and over the whole image, as percentages (x100, mmagic's "l1 error"); PSNR on [0, 1]
 * over the whole image, capped at PSNR_CAP_DB for identical images; SSIM as skimage's
 * structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
 * data_range=1.0, channel_axis=-1): an 11x11 Gaussian per channel over the region skimage keeps
 * after cropping its 5-px border, then the mean over channels (ssim-separable.ts; ssim.js gives
 * the same values and is kept as the reference in src/eval/metrics.ts). Here in src/core so that
 * training's validation scores its predictions exactly as evaluation does; src/eval re-exports it.
 */
export interface ImageMetrics {
  /** Mean absolute error in the holes, x100 (undefined without a mask or without holes). */
  readonly l1Hole: number | undefined;
  /** Mean absolute error over every pixel and channel, x100. */
  readonly l1: number;
  readonly psnr: number;
  readonly ssim: number;
}

/** Identical images have infinite PSNR; we report this cap instead (an MSE of 1e-10). */
export const PSNR_CAP_DB = 100;

export const METRIC_CONVENTIONS = {
  images: 'composite output (known pixels from the ground truth), RGB float on [0, 1]',
  l1Hole: 'sum |d| * (1 - M) / (sum (1 - M) * C) x 100',
  l1: 'mean |d| over all pixels and channels x 100',
  psnr: `10 log10(1 / MSE) on [0, 1], whole image, per image then averaged; identical images count as ${PSNR_CAP_DB} dB`,
  ssim: 'Wang et al. 2004 as skimage structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0, channel_axis=-1): 11x11 Gaussian window, C1 = 0.01^2, C2 = 0.03^2, 5-px border cropped, mean over channels',
} as const;

export function meanAbsoluteError(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

/** L1 in the holes; `mask` is HxW with 1 = valid. Undefined when there is no hole. */
export function holeL1(a: Float32Array, b: Float32Array, mask: Float32Array): number | undefined {
  const channels = a.length / mask.length;
  let sum = 0;
  let holes = 0;
  for (let p = 0; p < mask.length; p++) {
    if ((mask[p] as number) >= 0.5) continue;
    holes++;
    for (let c = 0; c < channels; c++) sum += Math.abs((a[p * channels + c] as number) - (b[p * channels + c] as number));
  }
  return holes === 0 ? undefined : sum / (holes * channels);
}

export function psnr(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    sum += d * d;
  }
  return psnrOfMse(sum / a.length);
}

function psnrOfMse(mse: number): number {
  return Math.min(PSNR_CAP_DB, 10 * Math.log10(1 / Math.max(mse, 1e-300)));
}

/** Every metric for one (output, ground truth) pair; `mask` (HxW, 1 = valid) enables the hole L1. */
export function imageMetrics(output: Float32Array, target: Float32Array, width: number, height: number, mask?: Float32Array): ImageMetrics {
  if (output.length !== target.length || output.length !== width * height * 3) {
    throw new RangeError(`imageMetrics: ${output.length} and ${target.length} values for ${width}x${height}x3`);
  }
  if (mask && mask.length !== width * height) throw new RangeError(`imageMetrics: a mask of ${mask.length} values for ${width}x${height}`);
  const sums = differenceSums(output, target, mask);
  return {
    l1Hole: sums.holes === 0 ? undefined : (sums.holeAbs / (sums.holes * 3)) * 100,
    l1: (sums.abs / output.length) * 100,
    psnr: psnrOfMse(sums.squares / output.length),
    ssim: ssimSeparable(output, target, width, height),
  };
}

/**
 * The sums behind meanAbsoluteError, psnr and holeL1 for RGB images in one pass over the pixels
 * instead of three (each sum added in the same order as there, so the same values).
 */
function differenceSums(a: Float32Array, b: Float32Array, mask: Float32Array | undefined) {
  let abs = 0;
  let squares = 0;
  let holeAbs = 0;
  let holes = 0;
  const pixels = a.length / 3;
  for (let p = 0; p < pixels; p++) {
    const i = 3 * p;
    const d0 = (a[i] as number) - (b[i] as number);
    const d1 = (a[i + 1] as number) - (b[i + 1] as number);
    const d2 = (a[i + 2] as number) - (b[i + 2] as number);
    const e0 = Math.abs(d0);
    const e1 = Math.abs(d1);
    const e2 = Math.abs(d2);
    abs = abs + e0 + e1 + e2;
    squares = squares + d0 * d0 + d1 * d1 + d2 * d2;
    if (mask !== undefined && (mask[p] as number) < 0.5) {
      holes++;
      holeAbs = holeAbs + e0 + e1 + e2;
    }
  }
  return { abs, squares, holeAbs, holes: mask === undefined ? 0 : holes };
}
