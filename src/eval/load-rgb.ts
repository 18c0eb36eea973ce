import sharp from 'sharp';
import { UserError } from '../core/errors.js';

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** HWC, float32 on [0, 1]. */
  readonly data: Float32Array;
}

/** Decodes any image sharp reads to RGB on [0, 1] (EXIF rotation applied, alpha flattened on white). */
export async function loadRgb(path: string, what = 'image'): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(path)
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const out = new Float32Array(info.width * info.height * 3);
    for (let p = 0; p < info.width * info.height; p++) {
      for (let c = 0; c < 3; c++) out[p * 3 + c] = (data[p * info.channels + Math.min(c, info.channels - 1)] as number) / 255;
    }
    return { width: info.width, height: info.height, data: out };
  } catch (error) {
    throw new UserError('IMAGE_UNREADABLE', `cannot read ${what} ${path}: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'Pass a PNG, JPEG or WebP file.',
    });
  }
}

/** Decodes a mask to HxW with 1 = valid, by polarity and a threshold on [0, 1]. */
export async function loadMask(
  path: string,
  polarity: 'hole-black' | 'hole-white',
  threshold = 0.5,
): Promise<{ width: number; height: number; valid: Float32Array }> {
  try {
    const { data, info } = await sharp(path)
      .rotate()
      .flatten({ background: '#000000' })
      .greyscale()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const cut = threshold * 255;
    const valid = new Float32Array(info.width * info.height);
    for (let p = 0; p < valid.length; p++) {
      const white = (data[p * info.channels] as number) >= cut;
      valid[p] = white === (polarity === 'hole-black') ? 1 : 0;
    }
    return { width: info.width, height: info.height, valid };
  } catch (error) {
    throw new UserError('IMAGE_UNREADABLE', `cannot read mask ${path}: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'Pass a PNG mask (ours: black = hole).',
    });
  }
}
