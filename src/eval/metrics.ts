import { ssim } from 'ssim.js';

/**
 * The image-quality metrics of the benchmark tables live in src/core/metrics (training's validation
 * scores with them too); evaluation imports them from here. What stays here is ssim.js's SSIM, the
 * library reference that ssimSeparable is tested against.
 */
export {
  holeL1,
  type ImageMetrics,
  imageMetrics,
  METRIC_CONVENTIONS,
  meanAbsoluteError,
  PSNR_CAP_DB,
  psnr,
} from '../core/metrics/image-metrics.js';

/**
 * SSIM as skimage's Gaussian setting through ssim.js (see above), for HWC images in [0, 1]: the
 * library reference that ssimSeparable (used by imageMetrics, 15x faster) is tested against.
 */
export function ssimGaussian(a: Float32Array, b: Float32Array, width: number, height: number, channels = 3): number {
  if (width < 11 || height < 11) throw new RangeError(`SSIM needs images of at least 11x11 px (the Gaussian window), not ${width}x${height}`);
  let total = 0;
  for (let c = 0; c < channels; c++) {
    // ssim.js reads RGBA and converts to grey with weights summing to 1: copying one channel to
    // R, G and B hands it that channel unchanged. Values stay float (0..255), not rounded.
    const toRgba = (img: Float32Array) => {
      const rgba = new Float64Array(width * height * 4);
      for (let p = 0; p < width * height; p++) {
        const v = (img[p * channels + c] as number) * 255;
        rgba[p * 4] = v;
        rgba[p * 4 + 1] = v;
        rgba[p * 4 + 2] = v;
        rgba[p * 4 + 3] = 255;
      }
      return { data: rgba as unknown as Uint8ClampedArray, width, height };
    };
    total += ssim(toRgba(a), toRgba(b), { ssim: 'fast', downsample: false, k1: 0.01, k2: 0.03, windowSize: 11, bitDepth: 8 }).mssim;
  }
  return total / channels;
}
