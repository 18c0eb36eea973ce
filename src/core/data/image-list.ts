import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DataConfig, SplitFolder } from '../config/schema.js';
import { UserError } from '../errors.js';
import { deriveSeed } from '../rng.js';
import { type DiscoveredFiles, type DiscoveryFs, discoverFiles, type SkippedPath } from './discover-files.js';
import { findSplitOverlap, type SplitName, type SplitOverlap, type SplitSource } from './split-overlap.js';

export type { SkippedPath, SkipReason } from './discover-files.js';
export type { SplitName } from './split-overlap.js';

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
export async function discoverImages(data: Pick<DataConfig, 'root' | 'include' | 'exclude'>, options: { fs?: DiscoveryFs } = {}): Promise<DiscoveredFiles> {
  return discoverFolder({ dir: rootOf(data), include: data.include, exclude: data.exclude }, 'data.root', options.fs);
}

/** data.root; a data section with split folders instead is a caller's mistake (discoverSplits lists those). */
function rootOf(data: { readonly root?: string | undefined }): string {
  if (data.root === undefined) throw new Error('this data section has split folders (data.train, data.test), not data.root: list it with discoverSplits');
  return data.root;
}

/** The images of one folder (data.root, or a split folder named by `key`), checked to exist and hold some. */
async function discoverFolder(folder: SplitFolder, key: string, fs: DiscoveryFs | undefined): Promise<DiscoveredFiles> {
  const split = key === 'data.root' ? undefined : key.split('.')[1];
  const info = await stat(folder.dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new UserError('DATA_NO_DIR', `${key} ${folder.dir} ${info ? 'is not a folder' : 'does not exist'}`, {
      hint: `Point ${key} in the config at the folder that holds your ${split === undefined ? '' : `${split} `}images.`,
    });
  }
  const found = await discoverFiles(folder.dir, { include: folder.include, exclude: folder.exclude, ...(fs ? { fs } : {}) });
  if (found.files.length === 0) {
    throw new UserError('DATA_EMPTY', `no images under ${folder.dir} match ${folder.include.join(', ')}`, {
      hint:
        split === undefined
          ? 'Check data.root and data.include (fast-glob patterns relative to data.root).'
          : `Check ${key} and data.${split}.include, or data.include when that is unset (fast-glob patterns relative to the folder).`,
      details: found.skipped.map(describeSkipped),
    });
  }
  return found;
}

/** The images of a config: data.include minus data.exclude under data.root, sorted, as absolute paths. */
export async function listImages(data: Pick<DataConfig, 'root' | 'include' | 'exclude'>): Promise<string[]> {
  return (await discoverImages(data)).files;
}

export interface DiscoveredSplits {
  readonly splits: ImageSplits;
  /** What discovery did not follow, in every folder, sorted by path. */
  readonly skipped: readonly SkippedPath[];
}

/**
 * The images of a config, split, in either form of the data section: data.root split by
 * splitImages, or the folders data.train, data.validation and data.test (no validation folder:
 * data.validationFraction of the train folder, picked by the same hash of each file's name).
 * Throws DATA_SPLIT_OVERLAP when one real file is in two splits (see findSplitOverlap): a test
 * image that also trains or validates would flatter every score.
 */
export async function discoverSplits(data: DataConfig, seed: number, options: { fs?: DiscoveryFs } = {}): Promise<DiscoveredSplits> {
  let splits: ImageSplits;
  let sources: SplitSource[];
  let skipped: SkippedPath[];
  if (data.root !== undefined) {
    const found = await discoverImages(data, options);
    splits = splitImages(found.files, data, seed);
    sources = [{ root: data.root, linked: found.linked, splits }];
    skipped = found.skipped;
  } else {
    const train = await discoverFolder(data.train, 'data.train.dir', options.fs);
    const validationFolder = data.validation;
    const validation = validationFolder && { dir: validationFolder.dir, ...(await discoverFolder(validationFolder, 'data.validation.dir', options.fs)) };
    const test = await discoverFolder(data.test, 'data.test.dir', options.fs);
    const held = validation ? { train: train.files, validation: validation.files } : holdOut(train.files, data.train.dir, data.validationFraction ?? 0, seed);
    if (held.train.length === 0) {
      throw new UserError('DATA_SPLIT_EMPTY', `the ${train.files.length} images of data.train.dir ${data.train.dir} leave none for training`, {
        hint: 'Add images, or lower data.validationFraction (the share of data.train that validates when data.validation is unset).',
      });
    }
    splits = { ...held, test: test.files };
    sources = validation
      ? [
          { root: data.train.dir, linked: train.linked, splits: { train: held.train } },
          { root: validation.dir, linked: validation.linked, splits: { validation: held.validation } },
          { root: data.test.dir, linked: test.linked, splits: { test: test.files } },
        ]
      : [
          { root: data.train.dir, linked: train.linked, splits: held },
          { root: data.test.dir, linked: test.linked, splits: { test: test.files } },
        ];
    skipped = [...train.skipped, ...(validation?.skipped ?? []), ...test.skipped].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  const overlap = await findSplitOverlap(sources);
  if (overlap) throw overlapError(overlap, data);
  return { splits, skipped };
}

/** Deals a train folder's files to training and validation by the hash splitImages uses. */
function holdOut(files: readonly string[], dir: string, fraction: number, seed: number): { train: string[]; validation: string[] } {
  const prefix = resolve(dir).length;
  const train: string[] = [];
  const validation: string[] = [];
  for (const file of files) (deriveSeed(seed, 'split', file.slice(prefix)) / 2 ** 32 < fraction ? validation : train).push(file);
  return { train, validation };
}

const IMAGE_OF: Record<SplitName, string> = { train: 'training image', validation: 'validation image', test: 'test image' };

function overlapError(overlap: SplitOverlap, data: DataConfig): UserError {
  const { count, file, split, sameAs, sameAsSplit } = overlap;
  const message =
    count === 1
      ? `a ${IMAGE_OF[split]} is also a ${IMAGE_OF[sameAsSplit]}: ${file} is the same file as ${sameAs}`
      : `${count} images are in two splits, e.g. the ${IMAGE_OF[split]} ${file} is the same file as the ${IMAGE_OF[sameAsSplit]} ${sameAs}`;
  return new UserError('DATA_SPLIT_OVERLAP', message, {
    details: ['files are compared by real path: the same file reached through two folders or a link is one file'],
    hint:
      data.root !== undefined
        ? 'Each photo must be in one split (a test image that trains or validates flatters the scores): remove its second name (a link) under data.root, or leave one name out with data.exclude.'
        : 'Each image must be in one split (a test image that trains or validates flatters the scores): keep data.train, data.validation and data.test apart (none inside another, no links from one into another), or leave the shared files out with exclude patterns.',
  });
}

/**
 * The folder the files of `split` are named relative to, in fingerprints, score stamps and
 * messages: data.root, or the split's own folder (the train folder for validation images held out
 * of it).
 */
export function splitRoot(data: DataConfig, split: SplitName): string {
  if (data.root !== undefined) return data.root;
  return (split === 'validation' ? (data.validation ?? data.train) : data[split]).dir;
}

/** Where the images of `splits` live, for messages: "data.root /photos", or each split folder's key and path. */
export function describeDataFolders(data: DataConfig, splits: readonly SplitName[]): string {
  if (data.root !== undefined) return `data.root ${data.root}`;
  const keys = [...new Set(splits.map((split) => (split === 'validation' && !data.validation ? 'train' : split)))];
  return keys.map((key) => `data.${key}.dir ${splitRoot(data, key)}`).join(', ');
}

/** How a message tells to leave files of `splits` out: the exclude keys and what their patterns are relative to. */
export function excludeHintOf(data: DataConfig, splits: readonly SplitName[]): string {
  if (data.root !== undefined) return 'data.exclude (patterns relative to data.root)';
  const keys = [...new Set(splits.map((split) => (split === 'validation' && !data.validation ? 'train' : split)))];
  return `data.exclude or ${keys.map((key) => `data.${key}.exclude`).join(' or ')} (patterns relative to the folder)`;
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
export function splitImages(files: readonly string[], data: Pick<DataConfig, 'root' | 'testFraction' | 'validationFraction'>, seed: number): ImageSplits {
  const root = rootOf(data);
  const testFraction = data.testFraction ?? 0;
  const validationFraction = data.validationFraction ?? 0;
  const ranked = files.map((file) => ({ file, key: deriveSeed(seed, 'split', file.slice(root.length)) / 2 ** 32 }));
  const train: string[] = [];
  const validation: string[] = [];
  const test: string[] = [];
  for (const { file, key } of ranked) {
    if (key < testFraction) test.push(file);
    else if (key < testFraction + validationFraction) validation.push(file);
    else train.push(file);
  }
  if (train.length === 0 || test.length === 0) {
    throw new UserError('DATA_SPLIT_EMPTY', `the ${files.length} images give ${train.length} for training and ${test.length} for testing`, {
      hint: 'Add images, or change data.testFraction and data.validationFraction so that both splits get some.',
    });
  }
  return { train, validation, test };
}
