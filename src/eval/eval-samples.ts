import sharp from 'sharp';
import type { MaskGroup } from '../core/masks/manifest-counts.js';
import type { Results } from '../protocol/results.js';
import { RUN_FOLDERS } from '../protocol/run-layout.js';
import { slugOf } from './pair-scores-store.js';

/**
 * The report's pictures: for the first pair of every bin and border subset, the masked input, the
 * ground truth and each model's composite, as PNGs under eval-samples/. File names depend only on
 * the group and the model, so a resumed evaluation lists the same files. Scoring writes them (the
 * composites it scored); eval makes one again that is missing or changed afterwards by running the
 * models on that pair alone (remake-samples.ts): both encode here, so the bytes are the same.
 */
export const SAMPLES_DIR = RUN_FOLDERS.evalSamples;

/** The folder of a group's pictures, and of their stamp (sample-stamps.ts). */
export function sampleFolder(group: Pick<MaskGroup, 'binIndex' | 'border'>): string {
  return `${SAMPLES_DIR}/${group.binIndex}-${group.border}`;
}

export function sampleFile(group: Pick<MaskGroup, 'binIndex' | 'border'>, name: string): string {
  return `${sampleFolder(group)}/${slugOf(name)}.png`;
}

/** An HWC RGB image on [0, 1] as an 8-bit PNG. */
export async function rgbPng(data: Float32Array, size: number): Promise<Buffer> {
  // A plain loop: Uint8Array.from with a mapping function took ~0.2 s of a 512 px picture's ~0.23 s.
  const bytes = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) bytes[i] = Math.round(Math.min(1, Math.max(0, data[i] as number)) * 255);
  return sharp(bytes, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
}

/** The image as a model's input is shown: its holes white. */
export function maskedInput(image: Float32Array, valid: Float32Array): Float32Array {
  const masked = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) masked[i] = (valid[Math.floor(i / 3)] as number) >= 0.5 ? (image[i] as number) : 1;
  return masked;
}

/**
 * A sample pair's pictures, encoded: the masked input (holes white), the ground truth and each
 * given composite (the model's output with the known pixels copied back), by run-relative path.
 * Encoded side by side (sharp's threads): the same bytes in any order.
 */
export function samplePictures(
  group: Pick<MaskGroup, 'binIndex' | 'border'>,
  pair: { readonly image: Float32Array; readonly valid: Float32Array },
  composites: readonly { readonly name: string; readonly data: Float32Array }[],
  size: number,
): Promise<[string, Buffer][]> {
  const rgb: [string, Float32Array][] = [
    [sampleFile(group, 'input'), maskedInput(pair.image, pair.valid)],
    [sampleFile(group, 'target'), pair.image],
    ...composites.map((c): [string, Float32Array] => [sampleFile(group, c.name), c.data]),
  ];
  return Promise.all(rgb.map(async ([file, data]): Promise<[string, Buffer]> => [file, await rgbPng(data, size)]));
}

/** The samples entry of results.json: groups whose first pair was scored here, models in order. */
export function samplesOf(groups: readonly MaskGroup[], scored: (k: number, model: string) => boolean, models: readonly string[]): Results['samples'] {
  const samples: Results['samples'] = [];
  for (const group of groups) {
    const k = group.indices[0] as number;
    const names = models.filter((name) => scored(k, name));
    // Under --shard, the samples of other shards' pairs are written by those shards.
    if (names.length === 0) continue;
    samples.push({
      bin: group.bin,
      binIndex: group.binIndex,
      border: group.border,
      input: sampleFile(group, 'input'),
      target: sampleFile(group, 'target'),
      outputs: Object.fromEntries(names.map((name) => [name, sampleFile(group, name)])),
    });
  }
  return samples;
}
