import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { binsFromEdges, PAPER_BIN_EDGES } from '../../../src/core/masks/bins.js';
import { type ImportMasksOptions, importMasks } from '../../../src/core/masks/import-masks.js';
import { holeRatio } from '../../../src/core/masks/mask-image.js';
import { MaskManifestSchema } from '../../../src/protocol/mask-manifest.js';
import { readMaskPng } from '../../helpers/read-mask.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();

/** A white-on-black mask file as NVIDIA ships them: white = hole, here a rectangle of `holes` pixels from the left edge. */
async function writeWhiteHoleMask(path: string, size: number, rect: { x: number; y: number; w: number; h: number }, format: 'png' | 'jpg' = 'png') {
  const grey = Buffer.alloc(size * size, 0);
  for (let y = rect.y; y < rect.y + rect.h; y++) for (let x = rect.x; x < rect.x + rect.w; x++) grey[y * size + x] = 255;
  await mkdir(join(path, '..'), { recursive: true });
  const image = sharp(grey, { raw: { width: size, height: size, channels: 1 } });
  await (format === 'png' ? image.png() : image.jpeg({ quality: 100 })).toFile(path);
}

function options(dir: string, outDir: string, extra: Partial<ImportMasksOptions> = {}): ImportMasksOptions {
  return { dir, outDir, polarity: 'hole-white', threshold: 0.5, bins: binsFromEdges(PAPER_BIN_EDGES), binRule: '(lo,hi]', margin: 2, ...extra };
}

describe('importMasks', () => {
  test('converts polarity, measures ratio, bin and border subset, and skips what it cannot use with a reason', async () => {
    const src = await tempDir();
    const out = await tempDir();
    // 32x32 = 1024 px. 15% hole, away from the frame -> (0.1, 0.2] no-border.
    await writeWhiteHoleMask(join(src, 'a.png'), 32, { x: 8, y: 8, w: 16, h: 10 });
    // 25% hole touching the left edge -> (0.2, 0.3] border; in a subfolder, as JPEG.
    await writeWhiteHoleMask(join(src, 'sub', 'b.jpg'), 32, { x: 0, y: 4, w: 16, h: 16 }, 'jpg');
    // 0.5% hole: below every bin.
    await writeWhiteHoleMask(join(src, 'c.png'), 32, { x: 10, y: 10, w: 5, h: 1 });
    // Wrong size.
    await writeWhiteHoleMask(join(src, 'd.png'), 16, { x: 2, y: 2, w: 4, h: 4 });
    // Not an image.
    await writeFile(join(src, 'e.png'), 'this is not a png');

    const manifest = await importMasks(options(src, out, { size: { width: 32, height: 32 } }));
    expect(MaskManifestSchema.parse(JSON.parse(await readFile(join(out, 'masks', 'manifest.json'), 'utf8')))).toEqual(manifest);
    expect(manifest.masks.map(({ source, bin, border, holeRatio, generator, seed }) => ({ source, bin, border, holeRatio, generator, seed }))).toEqual([
      { source: 'a.png', bin: '(0.1, 0.2]', border: 'no-border', holeRatio: 160 / 1024, generator: 'import', seed: null },
      { source: 'sub/b.jpg', bin: '(0.2, 0.3]', border: 'border', holeRatio: 256 / 1024, generator: 'import', seed: null },
    ]);
    expect(manifest.skipped.map((s) => [s.file, s.reason.replace(/\(.*\)/, '(...)')])).toEqual([
      ['c.png', 'hole ratio 0.0049 lies in no bin'],
      ['d.png', 'size 16x16, expected 32x32'],
      ['e.png', 'not a readable image (...)'],
    ]);
    for (const entry of manifest.masks) {
      const mask = await readMaskPng(join(out, 'masks', entry.file));
      expect(holeRatio(mask)).toBe(entry.holeRatio);
    }
  });

  test('hole-black reads the same files the other way round', async () => {
    const src = await tempDir();
    const out = await tempDir();
    await writeWhiteHoleMask(join(src, 'a.png'), 32, { x: 0, y: 0, w: 32, h: 28 }); // 87.5% white -> 12.5% black
    const manifest = await importMasks(options(src, out, { polarity: 'hole-black' }));
    expect(manifest.masks[0]?.holeRatio).toBe(128 / 1024);
  });

  test('mostly-hole masks stop the import as a likely inverted polarity, unless allowed', async () => {
    const src = await tempDir();
    const out = await tempDir();
    for (const name of ['a', 'b', 'c']) await writeWhiteHoleMask(join(src, `${name}.png`), 32, { x: 0, y: 0, w: 32, h: 30 });
    await expect(importMasks(options(src, out))).rejects.toThrow(
      /3 of 3 masks in .* are more than half hole with --polarity hole-white: the polarity looks inverted/,
    );
    expect(await readdir(out)).toEqual([]);
    const wide = binsFromEdges([0.01, 0.5, 1]);
    const manifest = await importMasks(options(src, out, { bins: wide, allowMostlyHoles: true }));
    expect(manifest.masks).toHaveLength(3);
  });

  test('an empty or missing folder is a clear error', async () => {
    const empty = await tempDir();
    const out = await tempDir();
    await expect(importMasks(options(empty, out))).rejects.toThrow(/no image files in/);
    await expect(importMasks(options(join(empty, 'nope'), out))).rejects.toThrow(/does not exist/);
  });

  test('a folder where nothing is usable fails and writes nothing', async () => {
    const src = await tempDir();
    const out = await tempDir();
    await writeFile(join(src, 'x.png'), 'junk');
    await writeFile(join(src, 'y.jpg'), 'junk');
    await expect(importMasks(options(src, out))).rejects.toThrow(/none of the 2 files/);
    expect(await readdir(out)).toEqual([]);
  });

  test('an existing set is kept unless forced', async () => {
    const src = await tempDir();
    const out = await tempDir();
    await writeWhiteHoleMask(join(src, 'a.png'), 32, { x: 8, y: 8, w: 16, h: 10 });
    await importMasks(options(src, out));
    await expect(importMasks(options(src, out))).rejects.toThrow(/already holds a mask set/);
    await expect(importMasks(options(src, out, { force: true }))).resolves.toBeTruthy();
  });
});
