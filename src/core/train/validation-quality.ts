import type { ValidationQuality } from '../../protocol/training-log.js';
import { compositeArrays } from '../metrics/composite-arrays.js';
import { holeL1, imageMetrics, psnr } from '../metrics/image-metrics.js';

/** SSIM's Gaussian window is 11 px wide: smaller images have no SSIM. */
const SSIM_MIN_SIZE = 11;

/**
 * The quality of a validation pass, scored as evaluation scores a test pair (src/eval/pair-scoring.ts):
 * each prediction (already clipped to [0, 1]) composited with the known pixels, then imageMetrics
 * against the ground truth; PSNR and SSIM averaged over the pairs, the hole L1 (x100) over the pairs
 * that have holes. `images` and `outputs` are NHWC RGB, `masks` NHW with 1 = valid.
 */
export function validationQuality(images: Float32Array, masks: Float32Array, outputs: Float32Array, count: number, size: number): ValidationQuality {
  if (count < 1) throw new RangeError('validationQuality: no pairs');
  const pixels = size * size;
  if (images.length !== count * pixels * 3 || outputs.length !== images.length || masks.length !== count * pixels) {
    throw new RangeError(`validationQuality: ${images.length}, ${outputs.length} and ${masks.length} values for ${count} pairs of ${size}x${size}`);
  }
  const scoresSsim = size >= SSIM_MIN_SIZE;
  let psnrSum = 0;
  let ssimSum = 0;
  let l1HoleSum = 0;
  let withHoles = 0;
  for (let i = 0; i < count; i++) {
    const image = images.subarray(i * pixels * 3, (i + 1) * pixels * 3);
    const valid = masks.subarray(i * pixels, (i + 1) * pixels);
    const composite = compositeArrays(image, outputs.subarray(i * pixels * 3, (i + 1) * pixels * 3), valid);
    // Below SSIM's window the same PSNR and hole L1 as imageMetrics gives (its single pass adds in the same order).
    const hole = scoresSsim ? undefined : holeL1(composite, image, valid);
    const m = scoresSsim
      ? imageMetrics(composite, image, size, size, valid)
      : { psnr: psnr(composite, image), ssim: 0, l1Hole: hole === undefined ? undefined : hole * 100 };
    psnrSum += m.psnr;
    ssimSum += m.ssim;
    if (m.l1Hole !== undefined) {
      l1HoleSum += m.l1Hole;
      withHoles++;
    }
  }
  return {
    pairs: count,
    psnr: psnrSum / count,
    ssim: scoresSsim ? ssimSum / count : null,
    l1Hole: withHoles === 0 ? null : l1HoleSum / withHoles,
  };
}
