import type { ExperimentConfig } from '../config/schema.js';
import type { MaskSampler } from '../data/batch-source.js';
import { generateBinnedMask } from '../masks/binned-mask.js';
import { HoleCanvas } from '../masks/hole-canvas.js';
import { shapeSourceFor } from '../masks/shape-source-for.js';
import { Rng } from '../rng.js';

/**
 * Masks for training, drawn on the fly from the config's generator: each sample picks a bin and a
 * border subset uniformly, so training sees every hole ratio the test set measures. Seeds come
 * from the sample's place in training, never from the test set's seeds.
 */
export function trainingMaskSampler(config: ExperimentConfig): MaskSampler {
  const size = config.data.imageSize;
  const source = shapeSourceFor(config.masks.generator, size, size);
  const canvas = new HoleCanvas(size, size);
  const bins = config.masks.bins.map(([lo, hi]) => ({ lo, hi }));
  const subsets = config.masks.border.subsets;
  const limits = { maxShapes: config.masks.maxShapes, maxAttempts: config.masks.maxAttempts };
  return (seed) => {
    const rng = new Rng(seed);
    const bin = bins[rng.int(0, bins.length - 1)] as { lo: number; hi: number };
    const subset = subsets[rng.int(0, subsets.length - 1)] as 'border' | 'no-border';
    return generateBinnedMask(
      source,
      size,
      size,
      { bin, rule: config.masks.binRule, subset, margin: config.masks.border.margin },
      rng.nextUint32(),
      limits,
      canvas,
    ).mask.data;
  };
}
