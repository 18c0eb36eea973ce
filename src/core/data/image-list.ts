import { stat } from 'node:fs/promises';
import fg from 'fast-glob';
import type { ExperimentConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import { deriveSeed } from '../rng.js';

export interface ImageSplits {
  readonly train: readonly string[];
  readonly validation: readonly string[];
  readonly test: readonly string[];
}

/** The images of a config: data.include minus data.exclude under data.root, sorted, as absolute paths. */
export async function listImages(data: ExperimentConfig['data']): Promise<string[]> {
  const info = await stat(data.root).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new UserError('DATA_NO_DIR', `data.root ${data.root} ${info ? 'is not a folder' : 'does not exist'}`, {
      hint: 'Point data.root in the config at the folder that holds your images.',
    });
  }
  const files = await fg([...data.include], { cwd: data.root, ignore: [...data.exclude], absolute: true, onlyFiles: true, caseSensitiveMatch: false });
  if (files.length === 0) {
    throw new UserError('DATA_EMPTY', `no images under ${data.root} match ${data.include.join(', ')}`, {
      hint: 'Check data.root and data.include (fast-glob patterns relative to data.root).',
    });
  }
  return files.sort();
}

/**
 * Splits images into train, validation and test by a hash of each file's name and the seed, so a
 * file keeps its split when others are added or removed, and the test split never trains.
 */
export function splitImages(
  files: readonly string[],
  data: Pick<ExperimentConfig['data'], 'root' | 'testFraction' | 'validationFraction'>,
  seed: number,
): ImageSplits {
  const ranked = files.map((file) => ({ file, key: deriveSeed(seed, 'split', file.slice(data.root.length)) / 2 ** 32 }));
  const train: string[] = [];
  const validation: string[] = [];
  const test: string[] = [];
  for (const { file, key } of ranked) {
    if (key < data.testFraction) test.push(file);
    else if (key < data.testFraction + data.validationFraction) validation.push(file);
    else train.push(file);
  }
  if (train.length === 0 || test.length === 0) {
    throw new UserError('DATA_SPLIT_EMPTY', `the ${files.length} images give ${train.length} for training and ${test.length} for testing`, {
      hint: 'Add images, or change data.testFraction and data.validationFraction so that both splits get some.',
    });
  }
  return { train, validation, test };
}
