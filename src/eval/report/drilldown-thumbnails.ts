import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { type Drilldown, drilldownPicturePaths } from '../../protocol/drilldown.js';

/**
 * The drill-down's pictures as the report inlines them. Pictures up to THUMBNAIL_SIZE px go in
 * as they are (the smoke and demo runs' 32-64 px, every pixel exact); larger ones as a
 * THUMBNAIL_SIZE px WebP, each linking to its full-size PNG: at 512 px a picture's PNG is ~400 KB
 * and a drill-down of three models holds up to 12 groups x 3 models x 6 pairs x 6 pictures, so
 * inlined whole they would make the page hundreds of MB; a 128 px WebP (quality 80) of a photo is
 * ~2.5-5 KB against ~37 KB as PNG. Masks are WebP lossless (~0.7 KB): lossy coding would blur
 * their edges. Deterministic: the same files give the same bytes (the report is compared byte for
 * byte across resumed and sharded runs).
 */
export const THUMBNAIL_SIZE = 128;

const dataUri = (mime: string, bytes: Buffer) => `data:${mime};base64,${bytes.toString('base64')}`;

export async function drilldownThumbnails(runDir: string, drilldown: Drilldown): Promise<Record<string, string>> {
  const masks = new Set(drilldown.pairs.map((p) => p.mask));
  const thumbnails: Record<string, string> = {};
  for (const path of drilldownPicturePaths(drilldown)) {
    const bytes = await readFile(join(runDir, path));
    const { width = 0, height = 0 } = await sharp(bytes).metadata();
    if (width <= THUMBNAIL_SIZE && height <= THUMBNAIL_SIZE) {
      thumbnails[path] = dataUri('image/png', bytes);
      continue;
    }
    const small = sharp(bytes).resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside' });
    thumbnails[path] = dataUri('image/webp', await (masks.has(path) ? small.webp({ lossless: true }) : small.webp({ quality: 80 })).toBuffer());
  }
  return thumbnails;
}
