import sharp, { type Metadata, type OutputInfo, type SharpOptions } from 'sharp';
import { UserError } from '../errors.js';

export interface Crop {
  /** Side of the square the image is resized to cover, before cropping. */
  readonly scale: number;
  /** Crop position as fractions of the free room, in [0, 1]. */
  readonly fx: number;
  readonly fy: number;
  readonly flip: boolean;
}

/**
 * How every image is opened (header and pixels): sharp's default `failOn: 'warning'`, spelled out
 * and shared so that checkImagesReadable (check-images.ts) opens files exactly as the loader does.
 * It matters: under 'none' a truncated JPEG or PNG decodes without error, with a grey or garbage
 * tail, so a checker opening files with other options would pass files that then stop training.
 */
export const IMAGE_INPUT_OPTIONS = { failOn: 'warning' } as const satisfies SharpOptions;

/** The centre crop of the whole image, for evaluation. */
export const CENTRE_CROP: Crop = { scale: 0, fx: 0.5, fy: 0.5, flip: false };

interface Meta {
  width: number;
  height: number;
}

const metaCache = new Map<string, Meta>();

/** Width and height as displayed (after the EXIF rotation), read from the header once per file. */
export async function displaySize(file: string): Promise<Meta> {
  const cached = metaCache.get(file);
  if (cached) return cached;
  let meta: Metadata;
  try {
    meta = await sharp(file, IMAGE_INPUT_OPTIONS).metadata();
  } catch (error) {
    throw new UserError('IMAGE_UNREADABLE', `cannot decode image ${file}: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'Remove the file or exclude it with data.exclude.',
    });
  }
  if (!meta.width || !meta.height)
    throw new UserError('IMAGE_UNREADABLE', `image ${file} has no size`, { hint: 'Remove the file or exclude it with data.exclude.' });
  const rotated = (meta.orientation ?? 1) >= 5;
  const size = rotated ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
  metaCache.set(file, size);
  return size;
}

/**
 * Decodes one image into a `size` x `size` RGB crop, float32 in [0, 1], NHWC without the batch.
 * Handles what photos come as: EXIF orientation, greyscale, alpha (flattened on white), CMYK and
 * 16-bit (converted to 8-bit sRGB), and images smaller than `size` (scaled up). `crop.scale` 0
 * means "just cover the square"; larger values zoom in, up to the image's own resolution.
 */
export async function loadImageCrop(file: string, size: number, crop: Crop): Promise<Float32Array> {
  const { width, height } = await displaySize(file);
  const shortSide = Math.min(width, height);
  // Zoom between covering the square (1) and the native resolution (shortSide / size).
  const zoom = 1 + crop.scale * Math.max(0, shortSide / size - 1);
  const target = Math.max(size, Math.round(size * zoom));
  const resizedW = Math.max(size, Math.round((width / shortSide) * target));
  const resizedH = Math.max(size, Math.round((height / shortSide) * target));
  const left = Math.round(crop.fx * (resizedW - size));
  const top = Math.round(crop.fy * (resizedH - size));
  let pipeline = sharp(file, IMAGE_INPUT_OPTIONS)
    .rotate()
    .flatten({ background: '#ffffff' })
    .resize(resizedW, resizedH, { fit: 'fill', kernel: 'lanczos3' })
    .extract({ left, top, width: size, height: size })
    .toColourspace('srgb');
  if (crop.flip) pipeline = pipeline.flop();
  let data: Buffer;
  let info: OutputInfo;
  try {
    ({ data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }));
  } catch (error) {
    throw new UserError('IMAGE_UNREADABLE', `cannot decode image ${file}: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'Remove the file or exclude it with data.exclude.',
    });
  }
  const channels = info.channels;
  const out = new Float32Array(size * size * 3);
  for (let i = 0, j = 0; i < size * size; i++, j += channels) {
    out[i * 3] = (data[j] as number) / 255;
    out[i * 3 + 1] = (data[j + (channels > 1 ? 1 : 0)] as number) / 255;
    out[i * 3 + 2] = (data[j + (channels > 2 ? 2 : 0)] as number) / 255;
  }
  return out;
}
