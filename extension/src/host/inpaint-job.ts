import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageSize } from './image-size.js';

/** A temp folder for one inpaint request: the painted mask and the CLI's output. */
export interface InpaintFiles {
  readonly dir: string;
  readonly mask: string;
  readonly out: string;
  dispose(): Promise<void>;
}

/**
 * Writes the mask the webview painted (a PNG data: URI, black = hole) to a fresh temp folder, after
 * checking that it really is a PNG of the size the webview claims, which must be the image's size.
 */
export async function writeMaskFiles(maskPngDataUri: string, expected: { width: number; height: number }): Promise<InpaintFiles> {
  const comma = maskPngDataUri.indexOf(',');
  const bytes = Buffer.from(maskPngDataUri.slice(comma + 1), 'base64');
  const size = imageSize(bytes);
  if (size?.format !== 'png') throw new Error('the painted mask is not a PNG');
  if (size.width !== expected.width || size.height !== expected.height) {
    throw new Error(`the painted mask is ${size.width}x${size.height}, the image ${expected.width}x${expected.height}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'pconv-bench-inpaint-'));
  const mask = join(dir, 'mask.png');
  await writeFile(mask, bytes);
  return { dir, mask, out: join(dir, 'inpainted.png'), dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** `pconv-bench inpaint` for a painted mask (ours: black = hole). */
export function inpaintArgs(options: { checkpoint: string; image: string; mask: string; out: string; backend: string }): string[] {
  return [
    'inpaint',
    '--checkpoint',
    options.checkpoint,
    '--image',
    options.image,
    '--mask',
    options.mask,
    '--out',
    options.out,
    '--polarity',
    'hole-black',
    '--backend',
    options.backend,
  ];
}
