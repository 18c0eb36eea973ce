import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { encodeGreyPng } from '../../../src/core/io/png-gray.js';
import { Rng } from '../../../src/core/rng.js';

describe('encodeGreyPng', () => {
  test('an independent decoder (sharp) reads back the exact pixels as 8-bit greyscale', async () => {
    const rng = new Rng(3);
    const width = 37;
    const height = 23;
    const pixels = Uint8Array.from({ length: width * height }, () => (rng.next() < 0.3 ? 0 : rng.next() < 0.5 ? 255 : rng.int(0, 255)));
    const png = encodeGreyPng(pixels, width, height);
    const meta = await sharp(png).metadata();
    expect(meta).toMatchObject({ format: 'png', width, height, channels: 1, depth: 'uchar' });
    const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(1);
    expect(new Uint8Array(data)).toEqual(pixels);
  });

  test('the same pixels always give the same bytes', () => {
    const pixels = new Uint8Array(64 * 64).fill(255).fill(0, 100, 900);
    expect(encodeGreyPng(pixels, 64, 64).equals(encodeGreyPng(pixels, 64, 64))).toBe(true);
  });

  test('rejects a buffer of the wrong length', () => {
    expect(() => encodeGreyPng(new Uint8Array(10), 4, 4)).toThrow(/10 bytes for 4x4/);
  });
});
