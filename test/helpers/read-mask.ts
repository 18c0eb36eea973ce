import sharp from 'sharp';
import type { MaskImage } from '../../src/core/masks/mask-image.js';

/** Decodes a mask PNG with sharp (not with our encoder's code) and checks it is 8-bit, one channel. */
export async function readMaskPng(path: string): Promise<MaskImage & { channels: number; depth: string | undefined }> {
  const meta = await sharp(path).metadata();
  const { data, info } = await sharp(path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data), channels: meta.channels ?? 0, depth: meta.depth };
}
