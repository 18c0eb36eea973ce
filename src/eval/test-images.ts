import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import pLimit from 'p-limit';
import { displaySize } from '../core/data/load-image.js';
import { UserError } from '../core/errors.js';

/**
 * What evaluation checks of the test images before the first pair: each one can be decoded far
 * enough to know its size, none is smaller than the model input (scores on upscaled images would
 * flatter every model), and each one's identity (name below `root`: data.root or data.test.dir, size, modification time),
 * which the kept per-pair scores are checked against. Reads headers only: an ImageNet-sized test
 * split takes seconds, with progress.
 */
export async function inspectTestImages(
  files: readonly string[],
  size: number,
  root: string,
  onProgress?: (done: number) => void,
): Promise<{ readonly stamps: readonly string[] }> {
  const limit = pLimit(16);
  const small: string[] = [];
  let done = 0;
  const stamps = await Promise.all(
    files.map((file) =>
      limit(async () => {
        // displaySize caches the header it reads, so decoding the crop later does not read it
        // again; it also turns a missing or unreadable file into the error that names it.
        const meta = await displaySize(file);
        const info = await stat(file);
        if (Math.min(meta.width, meta.height) < size) small.push(`${file} (${meta.width}x${meta.height})`);
        done++;
        if (done % 256 === 0) onProgress?.(done);
        return `${relative(root, file)}\t${info.size}\t${Math.round(info.mtimeMs)}`;
      }),
    ),
  );
  onProgress?.(files.length);
  if (small.length > 0) {
    small.sort();
    throw new UserError('EVAL_IMAGES_TOO_SMALL', `${small.length} test images are smaller than data.imageSize ${size}`, {
      details: small.slice(0, 10),
      hint: 'Exclude them with data.exclude, or lower data.imageSize.',
    });
  }
  return { stamps };
}
