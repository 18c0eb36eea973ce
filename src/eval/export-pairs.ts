import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { ExperimentConfig } from '../core/config/schema.js';
import { CENTRE_CROP, loadImageCrop } from '../core/data/load-image.js';
import { UserError } from '../core/errors.js';
import { makeStagingDir, replaceDir, writeFileAtomic } from '../core/io/atomic.js';
import { readExistingManifest } from '../core/masks/read-mask-set.js';
import type { OnEvent } from '../protocol/events.js';
import { runLayout } from '../protocol/run-layout.js';
import { pairId } from './pair-inputs.js';

export type ExportFormat = 'plain' | 'lama';

export interface ExportOptions {
  readonly config: ExperimentConfig;
  readonly runDir: string;
  readonly testFiles: readonly string[];
  readonly out: string;
  readonly format: ExportFormat;
  readonly onEvent?: OnEvent;
}

/**
 * Writes the evaluation's (image, mask) pairs as files other inpainting tools read, so their
 * outputs can be scored on the same pairs (`pconv-bench eval --predictions`):
 * - lama: <id>.png + <id>_mask000.png, white = hole (LaMa's predict.py layout);
 * - plain: <id>.png + <id>_mask.png, black = hole (ours).
 * Images are the ground truth, holes included, as LaMa's layout expects: tools mask them themselves.
 * pairs.json lists every pair with its bin and border subset. The folder is replaced atomically.
 */
export async function exportPairs(options: ExportOptions): Promise<{ count: number; out: string }> {
  const { config, runDir } = options;
  const size = config.data.imageSize;
  const masksDir = runLayout(runDir).masksDir;
  const manifest = await readExistingManifest(masksDir);
  if (!manifest)
    throw new UserError('EXPORT_NO_MASKS', `no test mask set in ${masksDir}`, { hint: `Make it first: pconv-bench masks <config> --out ${runDir}` });
  if (manifest.width !== size)
    throw new UserError('EVAL_MASK_SIZE', `the masks in ${masksDir} are ${manifest.width}x${manifest.height} but data.imageSize is ${size}`, {
      hint: 'Regenerate the masks for this config.',
    });
  const staging = await makeStagingDir(options.out);
  try {
    const images = await Promise.all(options.testFiles.map((file) => loadImageCrop(file, size, CENTRE_CROP)));
    const listing = [];
    for (const [k, entry] of manifest.masks.entries()) {
      const id = pairId(k);
      const image = images[k % images.length] as Float32Array;
      await writeFileAtomic(
        join(staging, `${id}.png`),
        await sharp(Buffer.from(Uint8Array.from(image, (v) => Math.round(v * 255))), { raw: { width: size, height: size, channels: 3 } })
          .png()
          .toBuffer(),
      );
      const { data } = await sharp(join(masksDir, entry.file)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      const holeWhite = options.format === 'lama';
      const mask = Buffer.from(Uint8Array.from(data, (v) => (v >= 128 === holeWhite ? 0 : 255)));
      const maskName = holeWhite ? `${id}_mask000.png` : `${id}_mask.png`;
      await writeFileAtomic(
        join(staging, maskName),
        await sharp(mask, { raw: { width: size, height: size, channels: 1 } })
          .png()
          .toBuffer(),
      );
      listing.push({
        id,
        image: `${id}.png`,
        mask: maskName,
        bin: entry.bin,
        border: entry.border,
        holeRatio: entry.holeRatio,
        source: options.testFiles[k % images.length],
      });
      options.onEvent?.({ type: 'progress', stage: 'export', done: k + 1, total: manifest.masks.length, unit: 'pairs' });
    }
    const about = { format: options.format, maskPolarity: options.format === 'lama' ? 'white = hole' : 'black = hole', size, pairs: listing };
    await writeFileAtomic(join(staging, 'pairs.json'), `${JSON.stringify(about, null, 1)}\n`);
    await replaceDir(staging, options.out);
    return { count: listing.length, out: options.out };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
