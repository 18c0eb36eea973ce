import { deriveSeed } from '../rng.js';
import type { BinnedMaskLimits, BinTarget } from './binned-mask.js';
import { type Bin, type BinRule, binDirName, binLabel } from './bins.js';
import type { BorderSubset } from './mask-image.js';
import type { MaskGenerator } from './shape-source-for.js';

/** Everything needed to draw the test mask set; plain data, so it can be sent to worker threads. */
export interface MaskSetSpec {
  readonly width: number;
  readonly height: number;
  readonly seed: number;
  readonly bins: readonly Bin[];
  readonly binRule: BinRule;
  readonly margin: number;
  readonly subsets: readonly BorderSubset[];
  readonly perBin: number;
  readonly generator: MaskGenerator;
  readonly limits: BinnedMaskLimits;
}

/** One mask to draw: its target bin and subset, its own seed, and its file name. */
export interface MaskJob {
  readonly file: string;
  readonly binIndex: number;
  readonly target: BinTarget;
  readonly seed: number;
}

/** The config's masks section (core/config/schema.ts, MasksConfig), as far as the test set depends on it. */
export interface MasksSettings {
  readonly bins: readonly (readonly [number, number])[];
  readonly binRule: BinRule;
  readonly border: { readonly margin: number; readonly subsets: readonly BorderSubset[] };
  readonly perBin: number;
  readonly generator: MaskGenerator;
  readonly maxShapes: number;
  readonly maxAttempts: number;
}

export function maskSetSpecOf(masks: MasksSettings, imageSize: number, seed: number): MaskSetSpec {
  return {
    width: imageSize,
    height: imageSize,
    seed,
    bins: masks.bins.map(([lo, hi]) => ({ lo, hi })),
    binRule: masks.binRule,
    margin: masks.border.margin,
    subsets: masks.border.subsets,
    perBin: masks.perBin,
    generator: masks.generator,
    limits: { maxShapes: masks.maxShapes, maxAttempts: masks.maxAttempts },
  };
}

/**
 * Lists every mask of the set, bin by bin and subset by subset. Each seed derives from the master
 * seed and the mask's place (bin edges, subset, index), so adding a bin or raising perBin leaves the
 * other masks unchanged, and any one mask can be regenerated alone.
 */
export function planMaskSet(spec: MaskSetSpec): MaskJob[] {
  const jobs: MaskJob[] = [];
  const digits = Math.max(4, String(spec.perBin - 1).length);
  spec.bins.forEach((bin, binIndex) => {
    for (const subset of spec.subsets) {
      for (let index = 0; index < spec.perBin; index++) {
        jobs.push({
          file: `${binDirName(bin)}/${subset}/${String(index).padStart(digits, '0')}.png`,
          binIndex,
          target: { bin, rule: spec.binRule, subset, margin: spec.margin },
          seed: deriveSeed(spec.seed, 'test-mask', spec.generator.kind, binLabel(bin, spec.binRule), subset, index),
        });
      }
    }
  });
  return jobs;
}
