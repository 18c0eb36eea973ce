import { stat } from 'node:fs/promises';
import type { ExperimentConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import { deriveSeed } from '../rng.js';
import { type DiscoveredFiles, type DiscoveryFs, discoverFiles, type SkippedPath } from './discover-files.js';

export type { SkippedPath, SkipReason } from './discover-files.js';

export interface ImageSplits {
  readonly train: readonly string[];
  readonly validation: readonly string[];
  readonly test: readonly string[];
}

/**
 * The images of a config (data.include minus data.exclude under data.root, sorted, absolute) and
 * the folders and links that were not followed: loops, folders already listed through another
 * path, broken links, unreadable folders. Linked folders are followed, each real folder once.
 */
export async function discoverImages(data: ExperimentConfig['data'], options: { fs?: DiscoveryFs } = {}): Promise<DiscoveredFiles> {
  const info = await stat(data.root).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new UserError('DATA_NO_DIR', `data.root ${data.root} ${info ? 'is not a folder' : 'does not exist'}`, {
      hint: 'Point data.root in the config at the folder that holds your images.',
    });
  }
  const found = await discoverFiles(data.root, { include: data.include, exclude: data.exclude, ...(options.fs ? { fs: options.fs } : {}) });
  if (found.files.length === 0) {
    throw new UserError('DATA_EMPTY', `no images under ${data.root} match ${data.include.join(', ')}`, {
      hint: 'Check data.root and data.include (fast-glob patterns relative to data.root).',
      details: found.skipped.map(describeSkipped),
    });
  }
  return found;
}

/** The images of a config: data.include minus data.exclude under data.root, sorted, as absolute paths. */
export async function listImages(data: ExperimentConfig['data']): Promise<string[]> {
  return (await discoverImages(data)).files;
}

/** One line per skipped path, for logs and error details. */
export function describeSkipped(entry: SkippedPath): string {
  const link = entry.target === undefined ? '' : ` -> ${entry.target}`;
  switch (entry.reason) {
    case 'loop':
      return `${entry.path}${link}: a loop back to ${entry.sameAs}, not followed`;
    case 'already listed':
      return `${entry.path}${link}: the same folder as ${entry.sameAs}, listed there`;
    case 'broken link':
      return `${entry.path}${link}: broken link (${entry.code})`;
    case 'unreadable':
      return `${entry.path}${link}: cannot be read (${entry.code})`;
  }
}

/** A one-line summary of what discovery skipped, or undefined when it skipped nothing. */
export function summariseSkipped(skipped: readonly SkippedPath[], shown = 5): string | undefined {
  if (skipped.length === 0) return undefined;
  const counts = new Map<SkippedPath['reason'], number>();
  for (const { reason } of skipped) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const labels: Record<SkippedPath['reason'], [string, string]> = {
    loop: ['link that loops back', 'links that loop back'],
    'already listed': ['folder already listed', 'folders already listed'],
    'broken link': ['broken link', 'broken links'],
    unreadable: ['unreadable folder', 'unreadable folders'],
  };
  const parts = [...counts].map(([reason, n]) => `${n} ${labels[reason][n === 1 ? 0 : 1]}`);
  const names = skipped.slice(0, shown).map((s) => s.path);
  const more = skipped.length > shown ? `, and ${skipped.length - shown} more` : '';
  return `skipped ${parts.join(', ')}: ${names.join(', ')}${more}`;
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
