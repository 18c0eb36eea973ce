import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { type Drilldown, drilldownPicturePaths } from '../../protocol/drilldown.js';

/**
 * Pictures as the report inlines them. Pictures up to THUMBNAIL_SIZE px go in as they are (the
 * smoke and demo runs' 32-64 px, every pixel exact); larger ones as a THUMBNAIL_SIZE px WebP, which
 * the page links to its full-size PNG beside it: at 512 px a picture's PNG is ~400 KB, and the
 * samples (12 groups x (input, truth, each model)) and the drill-down (up to 12 groups x 3 models x
 * 6 pairs x 6 pictures) inlined whole made the page 87 MB and more; a 128 px WebP (quality 80) of
 * a photo is ~2.5-5 KB against ~37 KB as PNG. Masks are WebP lossless (~0.7 KB): lossy coding would
 * blur their edges. Deterministic: the same files give the same bytes (the report is compared byte
 * for byte across resumed and sharded runs).
 */
export const THUMBNAIL_SIZE = 128;

export interface InlinePictures {
  /** Data URIs by path below the run folder. */
  readonly images: Record<string, string>;
  /** The paths inlined as thumbnails: the page links them to their full-size file. */
  readonly thumbnails: Set<string>;
}

/** Bytes as a data: URI, the report's way of inlining a file. */
export const dataUri = (mime: string, bytes: Buffer) => `data:${mime};base64,${bytes.toString('base64')}`;

/** Reads each picture below `runDir` and inlines it whole or as a thumbnail; a missing file throws ENOENT for the caller to name. */
export async function inlinePictures(runDir: string, paths: readonly string[], masks: ReadonlySet<string> = new Set()): Promise<InlinePictures> {
  const images: Record<string, string> = {};
  const thumbnails = new Set<string>();
  for (const path of paths) {
    const bytes = await readFile(join(runDir, path));
    const { width = 0, height = 0 } = await sharp(bytes).metadata();
    if (width <= THUMBNAIL_SIZE && height <= THUMBNAIL_SIZE) {
      images[path] = dataUri('image/png', bytes);
      continue;
    }
    const small = sharp(bytes).resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside' });
    images[path] = dataUri('image/webp', await (masks.has(path) ? small.webp({ lossless: true }) : small.webp({ quality: 80 })).toBuffer());
    thumbnails.add(path);
  }
  return { images, thumbnails };
}

/** The drill-down's pictures (its masks lossless). */
export function drilldownThumbnails(runDir: string, drilldown: Drilldown): Promise<InlinePictures> {
  return inlinePictures(runDir, drilldownPicturePaths(drilldown), new Set(drilldown.pairs.map((p) => p.mask)));
}
