import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { imageSize } from '../../src/host/image-size.js';
import { repoRoot } from './helpers/real-cli.js';

/** A 37x23 image (odd sizes catch swapped or off-by-one fields) written by sharp, an independent encoder. */
const source = () => sharp({ create: { width: 37, height: 23, channels: 3, background: { r: 200, g: 40, b: 90 } } });

describe('imageSize', () => {
  test.each([
    ['png', () => source().png().toBuffer()],
    ['jpeg', () => source().jpeg().toBuffer()],
    [
      'jpeg',
      () =>
        source()
          .withMetadata({ exif: { IFD0: { Copyright: 'x' } } })
          .jpeg({ progressive: true })
          .toBuffer(),
    ],
    ['gif', () => source().gif().toBuffer()],
    ['webp', () => source().webp({ lossless: true }).toBuffer()],
    ['webp', () => source().webp({ quality: 50 }).toBuffer()],
    ['webp', () => source().ensureAlpha(0.5).webp({ quality: 50 }).toBuffer()],
  ])('reads %s headers', async (format, make) => {
    expect(imageSize(await make())).toEqual({ width: 37, height: 23, format });
  });

  test("reads the project's bundled photos like sharp does", async () => {
    const file = join(repoRoot, 'data', 'photos', '000_astronaut.png');
    const meta = await sharp(file).metadata();
    expect(imageSize(await readFile(file))).toEqual({ width: meta.width, height: meta.height, format: 'png' });
  });

  test('anything else is undefined, not a throw', () => {
    expect(imageSize(Buffer.from('not an image at all, just text'))).toBeUndefined();
    expect(imageSize(Buffer.from([0xff, 0xd8, 0xff]))).toBeUndefined();
    expect(imageSize(new Uint8Array(0))).toBeUndefined();
  });
});
