import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { CENTRE_CROP, loadImageCrop } from '../../../src/core/data/load-image.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();
const pixel = (data: Float32Array, size: number, x: number, y: number) =>
  [...data.subarray((y * size + x) * 3, (y * size + x) * 3 + 3)].map((v) => Math.round(v * 255));

describe('loadImageCrop', () => {
  test('greyscale becomes equal RGB channels in [0, 1]', async () => {
    const file = join(await tempDir(), 'grey.png');
    await sharp(Buffer.alloc(16 * 16, 128), { raw: { width: 16, height: 16, channels: 1 } })
      .png()
      .toFile(file);
    const data = await loadImageCrop(file, 8, CENTRE_CROP);
    expect(data.length).toBe(8 * 8 * 3);
    expect(pixel(data, 8, 3, 3)).toEqual([128, 128, 128]);
  });

  test('transparent pixels are flattened on white', async () => {
    const file = join(await tempDir(), 'alpha.png');
    await sharp(Buffer.alloc(8 * 8 * 4, 0), { raw: { width: 8, height: 8, channels: 4 } })
      .png()
      .toFile(file);
    expect(pixel(await loadImageCrop(file, 8, CENTRE_CROP), 8, 0, 0)).toEqual([255, 255, 255]);
  });

  test('16-bit images come out as 8-bit levels', async () => {
    const file = join(await tempDir(), 'deep.png');
    const raw = new Uint16Array(8 * 8 * 3).fill(65535);
    await sharp(Buffer.from(raw.buffer), { raw: { width: 8, height: 8, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toFile(file);
    const meta = await sharp(file).metadata();
    expect(meta.depth).toBe('ushort');
    expect(pixel(await loadImageCrop(file, 8, CENTRE_CROP), 8, 4, 4)).toEqual([255, 255, 255]);
  });

  test('CMYK JPEGs are converted to sRGB', async () => {
    const file = join(await tempDir(), 'cmyk.jpg');
    await sharp({ create: { width: 16, height: 16, channels: 3, background: '#ff0000' } })
      .toColourspace('cmyk')
      .jpeg({ quality: 100 })
      .toFile(file);
    expect((await sharp(file).metadata()).space).toBe('cmyk');
    const [r, g, b] = pixel(await loadImageCrop(file, 8, CENTRE_CROP), 8, 4, 4) as [number, number, number];
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
    expect(b).toBeLessThan(60);
  });

  test('EXIF orientation is applied: a landscape file shown rotated is read as portrait', async () => {
    const file = join(await tempDir(), 'rotated.jpg');
    // 20x10: left half red, right half blue; orientation 6 shows it turned 90 degrees clockwise,
    // so the red half is on top of a 10x20 portrait.
    const raw = Buffer.alloc(20 * 10 * 3);
    for (let y = 0; y < 10; y++) for (let x = 0; x < 20; x++) raw.set(x < 10 ? [255, 0, 0] : [0, 0, 255], (y * 20 + x) * 3);
    await sharp(raw, { raw: { width: 20, height: 10, channels: 3 } })
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toFile(file);
    // Top-aligned crop of the 10x20 portrait: the red upper half.
    const data = await loadImageCrop(file, 10, { scale: 0, fx: 0, fy: 0, flip: false });
    const [r, , b] = pixel(data, 10, 5, 2) as [number, number, number];
    expect(r).toBeGreaterThan(200);
    expect(b).toBeLessThan(60);
  });

  test('a tiny image is scaled up to the crop size', async () => {
    const file = join(await tempDir(), 'tiny.png');
    await sharp({ create: { width: 3, height: 2, channels: 3, background: '#00ff00' } })
      .png()
      .toFile(file);
    const data = await loadImageCrop(file, 16, CENTRE_CROP);
    expect(data.length).toBe(16 * 16 * 3);
    expect(pixel(data, 16, 8, 8)).toEqual([0, 255, 0]);
  });

  test('crops are deterministic and flips mirror them', async () => {
    const file = join(await tempDir(), 'gradient.png');
    const raw = Buffer.alloc(32 * 32 * 3);
    for (let i = 0; i < 32 * 32; i++) raw[i * 3] = (i % 32) * 8;
    await sharp(raw, { raw: { width: 32, height: 32, channels: 3 } })
      .png()
      .toFile(file);
    const crop = { scale: 0, fx: 0.3, fy: 0.7, flip: false };
    const a = await loadImageCrop(file, 16, crop);
    expect(await loadImageCrop(file, 16, crop)).toEqual(a);
    const flipped = await loadImageCrop(file, 16, { ...crop, flip: true });
    expect(pixel(flipped, 16, 0, 0)).toEqual(pixel(a, 16, 15, 0));
  });

  test('a file that is no image is a user error naming it', async () => {
    const file = join(await tempDir(), 'broken.jpg');
    await writeFile(file, 'not a jpeg');
    await expect(loadImageCrop(file, 8, CENTRE_CROP)).rejects.toThrow(/cannot decode image .*broken\.jpg/);
  });
});
