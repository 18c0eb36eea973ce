import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { checkImagesReadable, MAX_NAMED_UNREADABLE } from '../../../src/core/data/check-images.js';
import { CENTRE_CROP, loadImageCrop } from '../../../src/core/data/load-image.js';
import { InterruptedError, UserError } from '../../../src/core/errors.js';
import { repoRoot } from '../../helpers/run-cli.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();
const photo = join(repoRoot, 'data/photos/000_astronaut.png');

/** What the check throws, or undefined when it passes. */
async function thrown(promise: Promise<void>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** A folder of the kinds of broken file photo sets hold, beside good ones. */
async function fixtures(): Promise<{ dir: string; good: string[]; bad: Record<string, string> }> {
  const dir = await tempDir();
  const png = await readFile(photo);
  const jpeg = await sharp(photo).jpeg({ quality: 90 }).toBuffer();
  const files: Record<string, Buffer | string> = {
    'good.png': png,
    'good.jpg': jpeg,
    'truncated.jpg': jpeg.subarray(0, 3000),
    'truncated.png': png.subarray(0, png.length >> 1),
    'corrupt.png': Buffer.from(png.map((v, i) => (i === png.length - 100 ? v ^ 0xff : v))),
    'empty.png': '',
    'text.png': 'not an image',
  };
  for (const [name, data] of Object.entries(files)) await writeFile(join(dir, name), data);
  const good = ['good.png', 'good.jpg'].map((name) => join(dir, name));
  const bad = Object.fromEntries(Object.keys(files).flatMap((name) => (name.startsWith('good') ? [] : [[name, join(dir, name)]])));
  return { dir, good, bad };
}

describe('checkImagesReadable', () => {
  test('readable images pass, by header and by full decode', async () => {
    const { dir, good } = await fixtures();
    await checkImagesReadable(good, { root: dir, decode: false });
    await checkImagesReadable(good, { root: dir, decode: true });
    await checkImagesReadable([], { decode: true });
  });

  test('a header check passes a truncated JPEG; the full decode catches it and names the file with the reason', async () => {
    const { dir, bad } = await fixtures();
    const file = bad['truncated.jpg'] as string;
    await checkImagesReadable([file], { root: dir, decode: false });
    const error = await thrown(checkImagesReadable([file], { root: dir, decode: true }));
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ code: 'IMAGE_UNREADABLE', message: `cannot read image ${file}: VipsJpeg: premature end of JPEG image` });
    expect((error as UserError).hint).toContain('data.exclude');
    expect((error as UserError).hint).toContain('exclude: ["truncated.jpg"]');
  });

  test('a zero-byte or non-image file fails the header check already', async () => {
    const { dir, bad } = await fixtures();
    for (const name of ['empty.png', 'text.png']) {
      const error = await thrown(checkImagesReadable([bad[name] as string], { root: dir, decode: false }));
      expect(error).toMatchObject({ code: 'IMAGE_UNREADABLE', message: `cannot read image ${bad[name]}: Input file contains unsupported image format` });
    }
  });

  test('fails on exactly the files the loader fails on when it reads every row (same sharp options: failOn warning)', async () => {
    const { dir, good, bad } = await fixtures();
    for (const file of [...good, ...Object.values(bad)]) {
      const checked = await thrown(checkImagesReadable([file], { root: dir, decode: true }));
      // The centre crop (evaluation's, and training's at zoom 0) shrinks the whole image: every row is decoded.
      const loaded = await loadImageCrop(file, 32, CENTRE_CROP).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(checked === undefined, `${file}: check ${String(checked)}, loader ${String(loaded)}`).toBe(loaded === undefined);
    }
  });

  test('a file with a bad tail passes some training crops (a native-resolution crop near the top stops reading early) but not the check', async () => {
    const { dir, bad } = await fixtures();
    for (const name of ['truncated.png', 'corrupt.png']) {
      const file = bad[name] as string;
      await expect(loadImageCrop(file, 32, { scale: 1, fx: 0.5, fy: 0, flip: false })).resolves.toHaveLength(32 * 32 * 3);
      await expect(loadImageCrop(file, 32, { scale: 1, fx: 0.5, fy: 1, flip: false })).rejects.toThrow(`cannot decode image ${file}`);
      expect(await thrown(checkImagesReadable([file], { root: dir, decode: true }))).toMatchObject({
        message: `cannot read image ${file}: vipspng: libpng read error`,
      });
    }
  });

  test('every unreadable file in one error: sorted, named relative to the root, the first 20 listed and the rest counted', async () => {
    const { dir, good } = await fixtures();
    const broken = Array.from({ length: 25 }, (_, i) => join(dir, `bad-${String(i).padStart(2, '0')}.png`));
    await Promise.all(broken.map((file) => writeFile(file, '')));
    const error = (await thrown(checkImagesReadable([...broken].reverse().concat(good), { root: dir, decode: true }))) as UserError;
    expect(error.message).toBe(`cannot read 25 of the 27 images under ${dir}: bad-00.png and 24 more (listed below)`);
    expect(error.details).toHaveLength(MAX_NAMED_UNREADABLE + 1);
    expect(error.details[0]).toBe('bad-00.png: Input file contains unsupported image format');
    expect(error.details[19]).toMatch(/^bad-19\.png: /);
    expect(error.details[20]).toBe('... and 5 more');
    expect(error.hint).toContain('exclude: ["bad-00.png", "bad-01.png", "bad-02.png", ...]');
  });

  test("each file named gets its own reason, though libvips's error buffer is shared by concurrent decodes", async () => {
    const { dir, bad } = await fixtures();
    const jpeg = await readFile(bad['truncated.jpg'] as string);
    const png = await readFile(bad['truncated.png'] as string);
    const files: string[] = [];
    for (let i = 0; i < 8; i++) {
      files.push(join(dir, `t${i}.jpg`), join(dir, `t${i}.png`));
      await writeFile(join(dir, `t${i}.jpg`), jpeg);
      await writeFile(join(dir, `t${i}.png`), png);
    }
    for (let round = 0; round < 3; round++) {
      const error = (await thrown(checkImagesReadable(files, { root: dir, decode: true, concurrency: 8 }))) as UserError;
      for (const line of error.details) {
        expect(line).toMatch(line.includes('.jpg:') ? /^t\d\.jpg: VipsJpeg: premature end of JPEG image$/ : /^t\d\.png: vipspng: libpng read error$/);
      }
      expect(error.details).toHaveLength(16);
    }
  });

  test('a missing file is named too; without a root, names are the paths as given', async () => {
    const { dir, bad } = await fixtures();
    const missing = join(dir, 'gone.png');
    const error = (await thrown(checkImagesReadable([missing, bad['empty.png'] as string], { decode: false }))) as UserError;
    expect(error.details).toEqual([`${bad['empty.png']}: Input file contains unsupported image format`, `${missing}: cannot be read (ENOENT)`]);
    expect(error.hint).not.toContain('exclude: [');
  });

  test('files that passed are not checked again while unchanged; once one changes, they are', async () => {
    const { dir, good } = await fixtures();
    const file = good[0] as string;
    const progress: [number, number][] = [];
    const onProgress = (done: number, total: number) => progress.push([done, total]);
    await checkImagesReadable(good, { root: dir, decode: true, onProgress });
    expect(progress).toEqual([
      [1, 2],
      [2, 2],
    ]);
    progress.length = 0;
    await checkImagesReadable(good, { root: dir, decode: true, onProgress });
    expect(progress).toEqual([]);
    // Replaced by a truncated copy (a new file: other inode and times): checked, and caught.
    const png = await readFile(file);
    await writeFile(`${file}.tmp`, png.subarray(0, png.length >> 1));
    await rename(`${file}.tmp`, file);
    const error = await thrown(checkImagesReadable(good, { root: dir, decode: true, onProgress }));
    expect(error).toMatchObject({ message: `cannot read image ${file}: vipspng: libpng read error` });
    expect(progress.map(([, total]) => total)).toEqual([2, 2]);
  });

  test('a header-only pass does not stand in for a decode', async () => {
    const { dir, bad } = await fixtures();
    const file = bad['truncated.png'] as string;
    await checkImagesReadable([file], { root: dir, decode: false });
    await checkImagesReadable([file], { root: dir, decode: false });
    expect(await thrown(checkImagesReadable([file], { root: dir, decode: true }))).toBeInstanceOf(UserError);
  });

  test('an aborted signal stops the check with InterruptedError', async () => {
    const { dir, good } = await fixtures();
    const controller = new AbortController();
    controller.abort();
    expect(await thrown(checkImagesReadable(good, { root: dir, decode: true, signal: controller.signal }))).toBeInstanceOf(InterruptedError);
  });
});
