import { realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { runLayout } from '../../protocol/run-layout.js';
import type { ExperimentConfig } from '../config/schema.js';
import type { MaskSampler } from '../data/batch-source.js';
import { UserError } from '../errors.js';
import { augmentMask } from '../masks/augment-mask.js';
import { generateBinnedMask } from '../masks/binned-mask.js';
import { HoleCanvas } from '../masks/hole-canvas.js';
import { readExistingManifest } from '../masks/read-mask-set.js';
import { shapeSourceFor } from '../masks/shape-source-for.js';
import { Rng } from '../rng.js';

/**
 * Refuses `train.masks.source: import` from the run's own test mask folder (<run>/masks): the
 * model would train on the masks it is scored on. The paper trained on a separate mask set;
 * import NVIDIA's irregular training masks (or any set but the test set) instead. Compared as
 * real paths, so a symbolic link or a trailing slash does not hide it.
 */
export async function refuseTestMasksForTraining(config: ExperimentConfig, runDir: string): Promise<void> {
  const source = config.train?.masks;
  if (source?.source !== 'import') return;
  const canonical = (path: string) => realpath(path).catch(() => resolve(path));
  const testDir = runLayout(runDir).masksDir;
  if ((await canonical(source.dir)) !== (await canonical(testDir))) return;
  throw new UserError(
    'TRAIN_MASKS_ARE_TEST_MASKS',
    `train.masks.dir ${source.dir} is the run's test mask folder ${testDir}: training would see the masks it is scored on`,
    {
      hint: "Point train.masks.dir at a separate mask set (as the paper: NVIDIA's irregular training masks, imported with pconv-bench masks import --out <dir>), or use train.masks.source: generated.",
    },
  );
}

/**
 * Masks for training, one per sample seed (never the test set's seeds):
 * - generated: drawn on the fly from the config's generator, a bin and border subset picked
 *   uniformly, so training sees every hole ratio the test set measures;
 * - import: a mask picked from an imported set (`pconv-bench masks import`) and augmented as the
 *   PConv authors did (random dilation, rotation, shift, crop), resized to the training size.
 */
export async function trainingMaskSampler(config: ExperimentConfig): Promise<MaskSampler> {
  const size = config.data.imageSize;
  const source = config.train?.masks ?? { source: 'generated' as const };
  if (source.source === 'import') {
    const manifest = await readExistingManifest(source.dir);
    if (!manifest || manifest.masks.length === 0) {
      throw new UserError('TRAIN_MASKS_MISSING', `train.masks.dir ${source.dir} holds no mask set (no valid manifest.json)`, {
        hint: 'Import one first: pconv-bench masks import <folder> --polarity hole-white --out <dir>, and point train.masks.dir at <dir>/masks.',
      });
    }
    const entries = manifest.masks;
    return async (seed) => {
      const rng = new Rng(seed);
      const entry = entries[rng.int(0, entries.length - 1)] as (typeof entries)[number];
      const { data, info } = await sharp(join(source.dir, entry.file)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      const mask = { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, info.width * info.height) };
      return augmentMask(mask, rng, { ...source, outWidth: size, outHeight: size }).data;
    };
  }
  const shapes = shapeSourceFor(config.masks.generator, size, size);
  const canvas = new HoleCanvas(size, size);
  const bins = config.masks.bins.map(([lo, hi]) => ({ lo, hi }));
  const subsets = config.masks.border.subsets;
  const limits = { maxShapes: config.masks.maxShapes, maxAttempts: config.masks.maxAttempts };
  return (seed) => {
    const rng = new Rng(seed);
    const bin = bins[rng.int(0, bins.length - 1)] as { lo: number; hi: number };
    const subset = subsets[rng.int(0, subsets.length - 1)] as 'border' | 'no-border';
    return generateBinnedMask(
      shapes,
      size,
      size,
      { bin, rule: config.masks.binRule, subset, margin: config.masks.border.margin },
      rng.nextUint32(),
      limits,
      canvas,
    ).mask.data;
  };
}
