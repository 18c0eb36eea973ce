import { copyFile, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { DataConfig, SplitFolder } from '../../../src/core/config/schema.js';
import { describeDataFolders, discoverSplits, excludeHintOf, splitImages, splitRoot } from '../../../src/core/data/image-list.js';
import { findSplitOverlap } from '../../../src/core/data/split-overlap.js';
import { deriveSeed } from '../../../src/core/rng.js';
import { repoRoot } from '../../helpers/run-cli.js';
import { useTempDirs } from '../../helpers/temp-dir.js';
import { userErrorOf } from '../../helpers/user-error.js';

const tempDir = useTempDirs();
const INCLUDE = ['**/*.{jpg,jpeg,png,webp,tif,tiff}'];
const photos = (await readdir(join(repoRoot, 'data/photos'))).filter((f) => f.endsWith('.png')).sort();

/** Copies bundled photos [from, from + count) into `dir`; returns their new paths, sorted. */
async function copyPhotos(dir: string, from: number, count: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const names = photos.slice(from, from + count);
  await Promise.all(names.map((name) => copyFile(join(repoRoot, 'data/photos', name), join(dir, name))));
  return names.map((name) => join(dir, name)).sort();
}

const folder = (dir: string, patterns: Partial<SplitFolder> = {}): SplitFolder => ({ dir, include: INCLUDE, exclude: [], ...patterns });
const foldersOf = (train: string, test: string, validation?: string, validationFraction = 0.2): DataConfig => ({
  train: folder(train),
  ...(validation ? { validation: folder(validation) } : { validationFraction }),
  test: folder(test),
  include: INCLUDE,
  exclude: [],
  imageSize: 32,
});

describe('discoverSplits: a folder per split (issue 17)', () => {
  test('train, validation and test are the images of their folders', async () => {
    const dir = await tempDir();
    const train = await copyPhotos(join(dir, 'train'), 0, 12);
    const validation = await copyPhotos(join(dir, 'val'), 12, 3);
    const test = await copyPhotos(join(dir, 'test'), 15, 5);
    const { splits, skipped } = await discoverSplits(foldersOf(join(dir, 'train'), join(dir, 'test'), join(dir, 'val')), 7);
    expect(splits).toEqual({ train, validation, test });
    expect(skipped).toEqual([]);
  });

  test('without a validation folder, validationFraction of the train folder validates, by a hash of each name (seed-dependent, stable)', async () => {
    const dir = await tempDir();
    const all = await copyPhotos(join(dir, 'train'), 0, 30);
    const test = await copyPhotos(join(dir, 'test'), 30, 4);
    const data = foldersOf(join(dir, 'train'), join(dir, 'test'), undefined, 0.3);
    const { splits } = await discoverSplits(data, 7);
    expect(splits.test).toEqual(test);
    expect(splits.validation.length).toBeGreaterThan(0);
    expect(splits.train.length).toBeGreaterThan(splits.validation.length);
    expect([...splits.train, ...splits.validation].sort()).toEqual(all);
    expect((await discoverSplits(data, 7)).splits).toEqual(splits);
    expect((await discoverSplits(data, 8)).splits.validation).not.toEqual(splits.validation);
    // A photo added to the train folder moves no other photo between training and validation.
    await copyFile(join(repoRoot, 'data/photos', photos[40] as string), join(dir, 'train', 'zz-new.png'));
    const grown = (await discoverSplits(data, 7)).splits;
    expect(grown.validation.filter((f) => !f.endsWith('zz-new.png'))).toEqual(splits.validation);
    // No share at all: every image trains.
    expect((await discoverSplits({ ...data, validationFraction: 0 }, 7)).splits.validation).toEqual([]);
  });

  test("a folder's own include and exclude replace data.include and data.exclude for that folder only", async () => {
    const dir = await tempDir();
    const train = await copyPhotos(join(dir, 'train'), 0, 6);
    const test = await copyPhotos(join(dir, 'test'), 6, 4);
    await writeFile(join(dir, 'train', 'notes.txt'), 'not an image');
    const data: DataConfig = {
      train: folder(join(dir, 'train'), { exclude: ['000_*'] }),
      validationFraction: 0,
      test: folder(join(dir, 'test'), { include: ['007_*', '008_*'] }),
      include: INCLUDE,
      exclude: [],
      imageSize: 32,
    };
    const { splits } = await discoverSplits(data, 1);
    expect(splits.train).toEqual(train.slice(1));
    expect(splits.test).toEqual(test.filter((f) => /\/00[78]_/.test(f)));
  });

  test('a missing or empty folder is named by its key', async () => {
    const dir = await tempDir();
    await copyPhotos(join(dir, 'train'), 0, 4);
    await mkdir(join(dir, 'test'));
    const missing = await userErrorOf(discoverSplits(foldersOf(join(dir, 'train'), join(dir, 'nope')), 1));
    expect(missing.code).toBe('DATA_NO_DIR');
    expect(missing.message).toBe(`data.test.dir ${join(dir, 'nope')} does not exist`);
    const empty = await userErrorOf(discoverSplits(foldersOf(join(dir, 'train'), join(dir, 'test')), 1));
    expect(empty.code).toBe('DATA_EMPTY');
    expect(empty.message).toContain(`no images under ${join(dir, 'test')}`);
    expect(empty.hint).toContain('data.test.dir and data.test.include');
  });

  test('a validation share that leaves nothing to train is an error', async () => {
    const dir = await tempDir();
    await copyPhotos(join(dir, 'train'), 0, 1);
    await copyPhotos(join(dir, 'test'), 1, 1);
    // One image whose hash falls below 0.99 for this seed.
    const seed = [...Array(50).keys()].find((s) => deriveSeed(s, 'split', `/${photos[0]}`) / 2 ** 32 < 0.99);
    const error = await userErrorOf(discoverSplits(foldersOf(join(dir, 'train'), join(dir, 'test'), undefined, 0.99), seed as number));
    expect(error.code).toBe('DATA_SPLIT_EMPTY');
  });

  test('splitRoot, describeDataFolders and excludeHintOf follow the form', () => {
    const three = foldersOf('/d/train', '/d/test', '/d/val');
    const two = foldersOf('/d/train', '/d/test');
    const root: DataConfig = { root: '/photos', include: INCLUDE, exclude: [], imageSize: 32, testFraction: 0.1, validationFraction: 0.05 };
    expect((['train', 'validation', 'test'] as const).map((s) => splitRoot(three, s))).toEqual(['/d/train', '/d/val', '/d/test']);
    expect((['train', 'validation', 'test'] as const).map((s) => splitRoot(two, s))).toEqual(['/d/train', '/d/train', '/d/test']);
    expect((['train', 'validation', 'test'] as const).map((s) => splitRoot(root, s))).toEqual(['/photos', '/photos', '/photos']);
    expect(describeDataFolders(three, ['train', 'validation'])).toBe('data.train.dir /d/train, data.validation.dir /d/val');
    expect(describeDataFolders(two, ['train', 'validation'])).toBe('data.train.dir /d/train');
    expect(describeDataFolders(root, ['train', 'validation'])).toBe('data.root /photos');
    expect(excludeHintOf(three, ['test'])).toBe('data.exclude or data.test.exclude (patterns relative to the folder)');
    expect(excludeHintOf(root, ['test'])).toBe('data.exclude (patterns relative to data.root)');
  });
});

describe('no image in two splits, by real path', () => {
  test('a test folder inside the train folder: every test image is also a training image', async () => {
    const dir = await tempDir();
    await copyPhotos(join(dir, 'train'), 0, 10);
    const test = await copyPhotos(join(dir, 'train', 'held-out'), 10, 4);
    const error = await userErrorOf(discoverSplits(foldersOf(join(dir, 'train'), join(dir, 'train', 'held-out'), undefined, 0), 1));
    expect(error.code).toBe('DATA_SPLIT_OVERLAP');
    expect(error.message).toBe(
      `4 images are in two splits, e.g. the test image ${test[0]} is the same file as the training image ${join(dir, 'train', 'held-out', photos[10] as string)}`,
    );
    expect(error.hint).toContain('keep data.train, data.validation and data.test apart');
  });

  test('a link in the test folder to a training photo', async () => {
    const dir = await tempDir();
    const train = await copyPhotos(join(dir, 'train'), 0, 8);
    await copyPhotos(join(dir, 'test'), 8, 3);
    await symlink(train[2] as string, join(dir, 'test', 'borrowed.png'));
    const error = await userErrorOf(discoverSplits(foldersOf(join(dir, 'train'), join(dir, 'test'), undefined, 0), 1));
    expect(error.code).toBe('DATA_SPLIT_OVERLAP');
    expect(error.message).toBe(`a test image is also a training image: ${join(dir, 'test', 'borrowed.png')} is the same file as ${train[2]}`);
  });

  test('overlapping folders: the test folder given again as the validation folder, through a link', async () => {
    const dir = await tempDir();
    await copyPhotos(join(dir, 'train'), 0, 8);
    const test = await copyPhotos(join(dir, 'test'), 8, 3);
    await symlink(join(dir, 'test'), join(dir, 'val'));
    const error = await userErrorOf(discoverSplits(foldersOf(join(dir, 'train'), join(dir, 'test'), join(dir, 'val')), 1));
    expect(error.message).toBe(
      `3 images are in two splits, e.g. the test image ${test[0]} is the same file as the validation image ${join(dir, 'val', photos[8] as string)}`,
    );
  });

  test('a train folder whose subfolder links to the test folder', async () => {
    const dir = await tempDir();
    await copyPhotos(join(dir, 'train', 'a'), 0, 8);
    await copyPhotos(join(dir, 'test'), 8, 2);
    await symlink(join(dir, 'test'), join(dir, 'train', 'b'));
    const error = await userErrorOf(discoverSplits(foldersOf(join(dir, 'train'), join(dir, 'test'), undefined, 0), 1));
    expect(error.message).toMatch(/^2 images are in two splits, e.g. the test image .*test\/008_.* is the same file as the training image .*train\/b\/008_/);
  });

  test('separate folders, and links that stay inside their own split, are fine', async () => {
    const dir = await tempDir();
    const train = await copyPhotos(join(dir, 'train'), 0, 8);
    const test = await copyPhotos(join(dir, 'test'), 8, 3);
    // A second name for a training photo, in the train folder: still one split.
    await symlink(train[0] as string, join(dir, 'train', 'zz-again.png'));
    const { splits } = await discoverSplits(foldersOf(join(dir, 'train'), join(dir, 'test'), undefined, 0), 1);
    expect(splits.test).toEqual(test);
    expect(splits.train).toEqual([...train, join(dir, 'train', 'zz-again.png')]);
  });

  test('data.root: a linked second name of a photo that lands in another split is refused too', async () => {
    const root = await tempDir();
    const own = await copyPhotos(root, 0, 20);
    await mkdir(join(root, 'again'));
    for (const [i, file] of own.entries()) await symlink(file, join(root, 'again', `copy-${i}.png`));
    const data: DataConfig = { root, include: INCLUDE, exclude: [], imageSize: 32, testFraction: 0.3, validationFraction: 0.2 };
    const splits = splitImages([...own, ...own.map((_, i) => join(root, 'again', `copy-${i}.png`))].sort(), data, 3);
    const splitOf = (file: string) => (splits.test.includes(file) ? 'test' : splits.validation.includes(file) ? 'validation' : 'train');
    const crossing = own.filter((file, i) => splitOf(file) !== splitOf(join(root, 'again', `copy-${i}.png`))).length;
    expect(crossing).toBeGreaterThan(0);
    const error = await userErrorOf(discoverSplits(data, 3));
    expect(error.code).toBe('DATA_SPLIT_OVERLAP');
    expect(error.message).toMatch(new RegExp(`^${crossing === 1 ? 'a ' : `${crossing} images are in two splits`}`));
    expect(error.hint).toContain('under data.root');
  });

  test('findSplitOverlap: one file listed twice in one split is no overlap; real roots that do not nest skip the comparison', async () => {
    const dir = await tempDir();
    const [a] = await copyPhotos(join(dir, 'x'), 0, 1);
    await symlink(a as string, join(dir, 'x', 'b.png'));
    expect(
      await findSplitOverlap([{ root: join(dir, 'x'), linked: [join(dir, 'x', 'b.png')], splits: { train: [a as string, join(dir, 'x', 'b.png')] } }]),
    ).toBeUndefined();
    // Without links and with separate roots, files are never compared (these names are not even read).
    expect(
      await findSplitOverlap([
        { root: join(dir, 'x'), linked: [], splits: { train: ['/nowhere/1.png'] } },
        { root: join(dir, 'y'), linked: [], splits: { test: ['/nowhere/1.png'] } },
      ]),
    ).toBeUndefined();
  });
});
