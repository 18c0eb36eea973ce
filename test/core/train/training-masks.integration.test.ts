import { createHash } from 'node:crypto';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../../src/core/config/load-config.js';
import type { ExperimentConfig } from '../../../src/core/config/schema.js';
import { BatchSource } from '../../../src/core/data/batch-source.js';
import { listImages, splitImages } from '../../../src/core/data/image-list.js';
import { maskSetSpecOf } from '../../../src/core/masks/mask-plan.js';
import { writeMaskSet } from '../../../src/core/masks/write-mask-set.js';
import { deriveSeed } from '../../../src/core/rng.js';
import { refuseTestMasksForTraining, trainingMaskSampler } from '../../../src/core/train/training-masks.js';
import { runLayout } from '../../../src/protocol/run-layout.js';
import { repoRoot } from '../../helpers/run-cli.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();

/** sha256 of a mask's pixels as 0 (hole) / 1 (valid) bytes, whatever form it came in. */
function maskHash(values: ArrayLike<number>): string {
  return createHash('sha256')
    .update(Uint8Array.from(values as ArrayLike<number>, (v) => (v === 0 ? 0 : 1)))
    .digest('hex');
}

describe('training masks are never the test masks', () => {
  test('smoke config: no training mask of the first 500 steps of either model, nor a validation mask, is a test mask', async () => {
    const { config } = await loadConfig(join(repoRoot, 'configs/smoke.yaml'));
    const train = config.train as NonNullable<ExperimentConfig['train']>;
    const size = config.data.imageSize;

    // The test set exactly as the masks stage writes it (one thread: the same files as with workers).
    const spec = maskSetSpecOf(config.masks, size, config.seed);
    const out = await tempDir();
    const { manifest, dir } = await writeMaskSet(spec, { outDir: out, workers: 0 });
    expect(manifest.masks.length).toBe(3 * 2 * 4);
    const testHashes = new Set<string>();
    for (const entry of manifest.masks) {
      const { data, info } = await sharp(join(dir, entry.file)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([size, size]);
      testHashes.add(maskHash(data));
    }
    expect(testHashes.size).toBe(manifest.masks.length);

    // The seed streams differ: test masks derive from (seed, 'test-mask', generator, bin, subset,
    // index), training samples from (seed, 'train', model) then ('train-mask', sample index).
    const testSeeds = new Set(manifest.masks.map((m) => m.seed));
    const steps = 500;
    const files = splitImages(await listImages(config.data), config.data, config.seed).train;
    let drawn = 0;
    for (const kind of ['pconv', 'conv'] as const) {
      // As trainModel builds it (src/core/train/trainer.ts).
      const seed = deriveSeed(config.seed, 'train', kind);
      for (let index = 0; index < steps * train.batchSize; index++) expect(testSeeds.has(deriveSeed(seed, 'train-mask', index))).toBe(false);
      const source = new BatchSource({ files, size, batchSize: train.batchSize, seed, masks: await trainingMaskSampler(config) });
      try {
        for (let step = 0; step < steps; step++) {
          const batch = await source.next(step);
          for (let j = 0; j < batch.count; j++) {
            const hash = maskHash(batch.masks.subarray(j * size * size, (j + 1) * size * size));
            expect(testHashes.has(hash), `${kind} step ${step} sample ${j}`).toBe(false);
            drawn++;
          }
        }
      } finally {
        await source.close();
      }
    }
    expect(drawn).toBe(2 * steps * train.batchSize);
    // Validation masks (trainer.ts validationSet): the same sampler, seeds (seed, 'validation-mask', i).
    const sampler = await trainingMaskSampler(config);
    for (let i = 0; i < 8; i++) expect(testHashes.has(maskHash(await sampler(deriveSeed(config.seed, 'validation-mask', i))))).toBe(false);

    // The control: the comparison does find a test mask when training is given the test set itself
    // (imported without augmentation), which is what refuseTestMasksForTraining stops.
    const leaking: ExperimentConfig = {
      ...config,
      train: { ...train, masks: { source: 'import', dir, dilation: [0, 0], maxRotation: 0, maxShift: 0, minCrop: 1 } },
    };
    const leak = await trainingMaskSampler(leaking);
    expect(testHashes.has(maskHash(await leak(1)))).toBe(true);
  });

  test("train.masks.source: import from the run's own test mask folder is refused, naming both folders", async () => {
    const { config } = await loadConfig(join(repoRoot, 'configs/smoke.yaml'));
    const train = config.train as NonNullable<ExperimentConfig['train']>;
    const run = await tempDir();
    const testMasks = runLayout(run).masksDir;
    await mkdir(testMasks, { recursive: true });
    const importing = (dir: string): ExperimentConfig => ({
      ...config,
      train: { ...train, masks: { source: 'import', dir, dilation: [9, 49], maxRotation: 180, maxShift: 0.1, minCrop: 0.5 } },
    });
    const refusal = new RegExp(`train\\.masks\\.dir .* is the run's test mask folder ${testMasks.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
    await expect(refuseTestMasksForTraining(importing(testMasks), run)).rejects.toMatchObject({
      code: 'TRAIN_MASKS_ARE_TEST_MASKS',
      message: expect.stringMatching(refusal),
      hint: expect.stringContaining("NVIDIA's irregular training masks"),
    });
    await expect(refuseTestMasksForTraining(importing(`${testMasks}/`), run)).rejects.toThrow(refusal);
    // Through a symbolic link: still the same folder.
    const link = join(await tempDir(), 'link');
    await symlink(testMasks, link);
    await expect(refuseTestMasksForTraining(importing(link), run)).rejects.toThrow(
      new RegExp(`train\\.masks\\.dir ${link.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is`),
    );
    // Another folder, or generated masks: fine.
    await expect(refuseTestMasksForTraining(importing(join(run, 'training-masks')), run)).resolves.toBeUndefined();
    await expect(refuseTestMasksForTraining(config, run)).resolves.toBeUndefined();
  });
});
