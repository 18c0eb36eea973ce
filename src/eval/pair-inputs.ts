import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp, { type OutputInfo } from 'sharp';
import { CENTRE_CROP, loadImageCrop } from '../core/data/load-image.js';
import { UserError } from '../core/errors.js';
import { sha256Of } from '../core/io/stable-json.js';
import type { MaskEntry } from '../protocol/mask-manifest.js';

/**
 * What one evaluation pair reads from disk, when its turn comes: the test image (centre crop),
 * the mask, and other tools' outputs for it; and the stamps that say which files a kept score
 * was computed from (pair-scores-store.ts).
 */
export interface Pair {
  /** Mask k of the set, with test image k mod n. */
  readonly k: number;
  readonly entry: MaskEntry;
  readonly imageFile: string;
}

export interface DecodedPair extends Pair {
  /** HWC RGB on [0, 1]. */
  readonly image: Float32Array;
  /** HxW, 1 = valid. */
  readonly valid: Float32Array;
  /** Other tools' outputs for this pair, by tool name. */
  readonly predictions: ReadonlyMap<string, { readonly data: Float32Array; readonly stamp: string }>;
}

/** Another tool's outputs for the exported pairs: a folder and the names in it. */
export interface ExternalOutputs {
  readonly name: string;
  readonly dir: string;
  readonly files: ReadonlySet<string>;
}

/** The stable name of pair k in exports and in other tools' outputs. */
export function pairId(k: number): string {
  return `pair-${String(k).padStart(5, '0')}`;
}

/** Another tool's output for pair k: <dir>/<id>.png, or LaMa's <dir>/<id>_mask000.png, or <id>.jpg. */
export function predictionFile(tool: ExternalOutputs, k: number): string | undefined {
  const id = pairId(k);
  const name = [`${id}.png`, `${id}_mask000.png`, `${id}.jpg`].find((n) => tool.files.has(n));
  return name === undefined ? undefined : join(tool.dir, name);
}

/** The stamp of a pair: its test image's identity (name, size, mtime) and its mask's hash. */
export function pairStampOf(imageStamp: string, entry: MaskEntry): string {
  return sha256Of(`${imageStamp}\t${entry.sha256}`).slice(0, 16);
}

/** The stamp of another tool's output for a pair: the pair's stamp and the output file's identity. */
export async function externalStampOf(pairStamp: string, tool: ExternalOutputs, k: number, runDir: string): Promise<string> {
  const file = predictionFile(tool, k);
  const info = file && (await stat(file).catch(() => undefined));
  return sha256Of(`${pairStamp}\t${file ? relative(runDir, file) : ''}\t${info ? `${info.size}\t${Math.round(info.mtimeMs)}` : ''}`).slice(0, 16);
}

/**
 * Decodes a batch of pairs, with the outputs of the tools in `externals(k)`; the first bad file
 * in pair order fails the batch, so the message does not depend on which read finished first.
 */
export async function decodeBatch(
  batch: readonly Pair[],
  size: number,
  masksDir: string,
  externals: (k: number) => readonly ExternalOutputs[],
  stampOf: (tool: ExternalOutputs, pair: Pair) => Promise<string>,
): Promise<DecodedPair[]> {
  const settled = await Promise.allSettled(
    batch.map(async (pair) => {
      const [image, valid] = await Promise.all([loadImageCrop(pair.imageFile, size, CENTRE_CROP), loadValidMask(join(masksDir, pair.entry.file), size)]);
      const predictions = new Map<string, { data: Float32Array; stamp: string }>();
      for (const tool of externals(pair.k)) {
        const file = predictionFile(tool, pair.k);
        if (!file) {
          const id = pairId(pair.k);
          throw new UserError('PREDICTION_MISSING', `no output for ${id} in ${tool.dir} (looked for ${id}.png, ${id}_mask000.png, ${id}.jpg)`, {
            hint: 'Run the other tool on the pairs written by pconv-bench export, into one folder.',
          });
        }
        predictions.set(tool.name, { data: await loadPrediction(file, size), stamp: await stampOf(tool, pair) });
      }
      return { ...pair, image, valid, predictions };
    }),
  );
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((r) => (r as PromiseFulfilledResult<DecodedPair>).value);
}

/** Another tool's output as RGB on [0, 1]; same size as the pair; JPEG or PNG. */
async function loadPrediction(path: string, size: number): Promise<Float32Array> {
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(path).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new UserError('PREDICTION_UNREADABLE', `cannot decode prediction ${path}: ${(error as Error).message.split('\n')[0]}`, {
      hint: "Write the other tool's outputs as PNG or JPEG.",
    });
  }
  const { data, info } = decoded;
  if (info.width !== size || info.height !== size) {
    throw new UserError('PREDICTION_SIZE', `prediction ${path} is ${info.width}x${info.height}, not ${size}x${size}`, {
      hint: 'Score the outputs at the size of the exported pairs.',
    });
  }
  const out = new Float32Array(size * size * 3);
  for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = (data[p * info.channels + Math.min(c, info.channels - 1)] as number) / 255;
  return out;
}

async function loadValidMask(path: string, size: number): Promise<Float32Array> {
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new UserError('EVAL_MASK_UNREADABLE', `cannot decode mask ${path}: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'Regenerate the mask set (pconv-bench masks <config> --force) or restore the file.',
    });
  }
  const { data, info } = decoded;
  if (info.width !== size || info.height !== size)
    throw new UserError('EVAL_MASK_SIZE', `mask ${path} is ${info.width}x${info.height}, not ${size}x${size}`, {
      hint: 'Regenerate the mask set for this config.',
    });
  return Float32Array.from(data, (v) => (v >= 128 ? 1 : 0));
}
