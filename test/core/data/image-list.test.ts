import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import fg from 'fast-glob';
import { describe, expect, test } from 'vitest';
import type { ExperimentConfig } from '../../../src/core/config/schema.js';
import { nodeDiscoveryFs } from '../../../src/core/data/discover-files.js';
import { discoverImages, listImages, splitImages, summariseSkipped } from '../../../src/core/data/image-list.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();

type Data = Extract<ExperimentConfig['data'], { root: string }>;
const dataOf = (root: string, extra: Partial<Data> = {}): Data => ({
  root,
  include: ['**/*.{jpg,jpeg,png,webp,tif,tiff}'],
  exclude: [],
  imageSize: 64,
  testFraction: 0.3,
  validationFraction: 0.2,
  ...extra,
});

async function touch(root: string, files: readonly string[]): Promise<void> {
  for (const file of files) {
    await mkdir(dirname(join(root, file)), { recursive: true });
    await writeFile(join(root, file), '');
  }
}

/** 40 photos in a few folders, enough for every split to get some. */
async function photoTree(root: string): Promise<string[]> {
  const files = Array.from({ length: 40 }, (_, i) => `${['beach', 'city', 'city/night', 'forest'][i % 4]}/p${i}.jpg`);
  await touch(root, files);
  return files.map((f) => join(root, f)).sort();
}

const splitOf = (files: readonly string[], data: Data) => {
  const s = splitImages(files, data, 7);
  return { train: [...s.train], validation: [...s.validation], test: [...s.test] };
};

describe('listImages and discoverImages', () => {
  test('a link to the root itself (ln -s . loop) lists each photo once, with the splits it had without the link', async () => {
    const root = await tempDir();
    const photos = await photoTree(root);
    const data = dataOf(root);
    const before = splitOf(await listImages(data), data);
    await symlink('.', join(root, 'loop'));
    await symlink('..', join(root, 'city', 'up'));
    const files = await listImages(data);
    expect(files).toEqual(photos);
    expect(splitOf(files, data)).toEqual(before);
    const { skipped } = await discoverImages(data);
    expect(skipped).toEqual([
      { path: join(root, 'city', 'up'), reason: 'loop', sameAs: root, target: '..' },
      { path: join(root, 'loop'), reason: 'loop', sameAs: root, target: '.' },
    ]);
  });

  test('an absolute link back to the root is a loop, listed once', async () => {
    const root = await tempDir();
    const photos = await photoTree(root);
    await symlink(root, join(root, 'forest', 'again'));
    const { files, skipped } = await discoverImages(dataOf(root));
    expect(files).toEqual(photos);
    expect(skipped).toEqual([{ path: join(root, 'forest', 'again'), reason: 'loop', sameAs: root, target: root }]);
  });

  test('a link to a folder outside the root is followed, once, under the link', async () => {
    const parent = await tempDir();
    const root = join(parent, 'photos');
    const photos = await photoTree(root);
    await touch(parent, ['extra/e1.jpg', 'extra/deeper/e2.png', 'extra/notes.txt']);
    await symlink(join(parent, 'extra'), join(root, 'extra'));
    // A link inside the linked folder back to it: still one listing.
    await symlink('.', join(parent, 'extra', 'self'));
    const { files, skipped } = await discoverImages(dataOf(root));
    expect(files).toEqual([...photos, join(root, 'extra', 'deeper', 'e2.png'), join(root, 'extra', 'e1.jpg')].sort());
    expect(skipped).toEqual([{ path: join(root, 'extra', 'self'), reason: 'loop', sameAs: join(root, 'extra'), target: '.' }]);
  });

  test('two links to one folder list it once; the other is skipped as already listed', async () => {
    const parent = await tempDir();
    const root = join(parent, 'photos');
    await touch(root, ['own/a.jpg', 'own/b.jpg', 'own/c.jpg']);
    await touch(parent, ['shared/s1.jpg', 'shared/s2.jpg']);
    await symlink(join(parent, 'shared'), join(root, 'link-b'));
    await symlink('../shared', join(root, 'link-a'));
    // A link to a folder that is also in the real tree: the real path wins, whatever the names' order.
    await symlink('own', join(root, 'aaa-own'));
    const data = dataOf(root);
    const { files, skipped } = await discoverImages(data);
    expect(files).toEqual([...['own/a.jpg', 'own/b.jpg', 'own/c.jpg', 'link-a/s1.jpg', 'link-a/s2.jpg'].map((f) => join(root, f))].sort());
    expect(skipped).toEqual([
      { path: join(root, 'aaa-own'), reason: 'already listed', sameAs: join(root, 'own'), target: 'own' },
      { path: join(root, 'link-b'), reason: 'already listed', sameAs: join(root, 'link-a'), target: join(parent, 'shared') },
    ]);
    expect(await listImages(data)).toEqual(files);
    expect(summariseSkipped(skipped)).toBe(`skipped 2 folders already listed: ${join(root, 'aaa-own')}, ${join(root, 'link-b')}`);
  });

  test('linked files are listed; broken and self-referencing links are ignored and reported', async () => {
    const parent = await tempDir();
    const root = join(parent, 'photos');
    await touch(root, ['a.jpg', 'sub/b.jpg']);
    await touch(parent, ['elsewhere.jpg']);
    await symlink(join(parent, 'elsewhere.jpg'), join(root, 'linked.jpg'));
    await symlink(join(parent, 'gone.jpg'), join(root, 'broken.jpg'));
    await symlink(join(parent, 'gone-folder'), join(root, 'sub', 'broken-folder'));
    await symlink('self.jpg', join(root, 'self.jpg'));
    const { files, skipped } = await discoverImages(dataOf(root));
    expect(files).toEqual([join(root, 'a.jpg'), join(root, 'linked.jpg'), join(root, 'sub', 'b.jpg')]);
    expect(skipped).toEqual([
      { path: join(root, 'broken.jpg'), reason: 'broken link', code: 'ENOENT', target: join(parent, 'gone.jpg') },
      { path: join(root, 'self.jpg'), reason: 'broken link', code: 'ELOOP', target: 'self.jpg' },
      { path: join(root, 'sub', 'broken-folder'), reason: 'broken link', code: 'ENOENT', target: join(parent, 'gone-folder') },
    ]);
  });

  test('a folder that cannot be read is skipped and reported, the rest listed (simulated: root reads everything)', async () => {
    const root = await tempDir();
    const photos = await photoTree(root);
    const locked = join(root, 'city', 'night');
    const fs = {
      ...nodeDiscoveryFs,
      readdir: async (path: string) => {
        if (path === locked) throw Object.assign(new Error(`EACCES: permission denied, scandir '${path}'`), { code: 'EACCES' });
        return nodeDiscoveryFs.readdir(path);
      },
    };
    const { files, skipped } = await discoverImages(dataOf(root), { fs });
    expect(files).toEqual(photos.filter((p) => !p.startsWith(`${locked}/`)));
    expect(skipped).toEqual([{ path: locked, reason: 'unreadable', code: 'EACCES' }]);
  });

  test('an empty listing names what was skipped', async () => {
    const parent = await tempDir();
    const root = join(parent, 'photos');
    await mkdir(root);
    await symlink(join(parent, 'not-mounted'), join(root, 'imagenet'));
    await expect(listImages(dataOf(root))).rejects.toMatchObject({
      code: 'DATA_EMPTY',
      details: [`${join(root, 'imagenet')} -> ${join(parent, 'not-mounted')}: broken link (ENOENT)`],
    });
  });
});

describe('include and exclude keep their fast-glob meaning', () => {
  const tree = [
    'a.jpg',
    'B.JPG',
    'x.Png',
    'notes.txt',
    '.hidden.jpg',
    '.cache/c.jpg',
    'train/t1.jpg',
    'train/deep/t2.jpeg',
    'train/.thumbs/t3.jpg',
    'val/v1.JPEG',
    'masks/m1.png',
    'masks/sub/m2.png',
    'keep/masks/m3.png',
    'tmp/draft.jpg',
    'sub/tmp/draft2.jpg',
  ];
  const cases: [string[], string[]][] = [
    [['**/*.{jpg,jpeg,png,webp,tif,tiff}'], []],
    [['**/*.jpg'], []],
    [['*.jpg'], []],
    [['train/**/*.jpg', 'val/*'], []],
    [['**/*'], ['masks']],
    [['**/*'], ['**/masks']],
    [['**/*'], ['masks/**', '**/*.txt']],
    [['**/*'], ['**/tmp/**']],
    [['**/*.png'], ['masks/*']],
    [['**/*', '!**/*.txt'], ['tmp']],
    [['.cache/*.jpg', '.hidden.jpg', 'train/.thumbs/*'], []],
    [['**/t?.jpg', '**/[ab].jpg'], []],
    [['**/*.@(jpg|png)'], ['**/sub/**']],
  ];
  test.each(cases)('include %j exclude %j', async (include, exclude) => {
    const root = await tempDir();
    await touch(root, tree);
    const expected = (await fg(include, { cwd: root, ignore: exclude, absolute: true, onlyFiles: true, caseSensitiveMatch: false })).sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(await listImages(dataOf(root, { include, exclude }))).toEqual(expected);
  });

  test('an absolute exclude pattern applies to absolute paths', async () => {
    const root = await tempDir();
    await touch(root, tree);
    const exclude = [`${root}/train/**`];
    const expected = (await fg(['**/*.jpg'], { cwd: root, ignore: exclude, absolute: true, onlyFiles: true, caseSensitiveMatch: false })).sort();
    expect(await listImages(dataOf(root, { include: ['**/*.jpg'], exclude }))).toEqual(expected);
    expect(expected.some((f) => f.includes('/train/'))).toBe(false);
  });

  test('a pattern that cannot reach a folder does not read it', async () => {
    const root = await tempDir();
    await touch(root, ['top.jpg', 'one/a.jpg', 'one/two/b.jpg', 'other/c.jpg']);
    const read: string[] = [];
    const fs = {
      ...nodeDiscoveryFs,
      readdir: async (path: string) => {
        read.push(path);
        return nodeDiscoveryFs.readdir(path);
      },
    };
    const { files } = await discoverImages(dataOf(root, { include: ['one/*.jpg'] }), { fs });
    expect(files).toEqual([join(root, 'one', 'a.jpg')]);
    expect(read.sort()).toEqual([root, join(root, 'one')]);
  });
});
