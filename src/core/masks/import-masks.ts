import { rm, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import fg from 'fast-glob';
import pLimit from 'p-limit';
import sharp from 'sharp';
import type { OnEvent } from '../../protocol/events.js';
import type { MaskEntry, MaskManifest } from '../../protocol/mask-manifest.js';
import { MASK_MANIFEST_FILE, runLayout } from '../../protocol/run-layout.js';
import { InterruptedError, UserError } from '../errors.js';
import { makeStagingDir, replaceDir, writeFileAtomic } from '../io/atomic.js';
import { encodeGreyPng } from '../io/png-gray.js';
import { sha256Of, stableStringify } from '../io/stable-json.js';
import { type Bin, type BinRule, binDirName, binLabel, findBin } from './bins.js';
import { countMasks } from './manifest-counts.js';
import { binarise, borderSubsetOf, holeRatio } from './mask-image.js';
import { readExistingManifest } from './read-mask-set.js';

export type Polarity = 'hole-white' | 'hole-black';

export interface ImportMasksOptions {
  /** Folder of mask images (searched recursively). */
  readonly dir: string;
  readonly polarity: Polarity;
  /** Grey level in [0, 1] that separates black from white. */
  readonly threshold: number;
  readonly bins: readonly Bin[];
  readonly binRule: BinRule;
  readonly margin: number;
  /** Required size; undefined takes the first readable file's size. */
  readonly size?: { readonly width: number; readonly height: number };
  /** The set goes to <outDir>/masks/. */
  readonly outDir: string;
  readonly force?: boolean;
  /** Import even when most masks are mostly hole (which usually means the wrong --polarity). */
  readonly allowMostlyHoles?: boolean;
  readonly signal?: AbortSignal;
  readonly onEvent?: OnEvent;
}

const IMAGE_PATTERN = '**/*.{png,jpg,jpeg,bmp,gif,tif,tiff,webp,pgm,ppm}';

/**
 * Imports an external mask set (NVIDIA's irregular masks, LaMa's, a user's own): binarises each
 * file at the threshold, converts it to our polarity (255 = valid), measures its hole ratio, bin
 * and border subset, and writes our PNG files and manifest. Files that cannot be used are skipped,
 * counted and listed with the reason; nothing is written unless the whole import succeeds.
 */
export async function importMasks(options: ImportMasksOptions): Promise<MaskManifest> {
  const emit = options.onEvent ?? (() => {});
  const info = await stat(options.dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new UserError('IMPORT_NO_DIR', `mask folder ${options.dir} ${info ? 'is not a folder' : 'does not exist'}`, {
      hint: 'Pass the folder that holds the mask images.',
    });
  }
  const files = (await fg(IMAGE_PATTERN, { cwd: options.dir, caseSensitiveMatch: false, onlyFiles: true, dot: false })).sort();
  if (files.length === 0) {
    throw new UserError('IMPORT_EMPTY', `no image files in ${options.dir}`, { hint: `Expected files matching ${IMAGE_PATTERN} (case-insensitive).` });
  }

  const dir = runLayout(options.outDir).masksDir;
  const existing = await readExistingManifest(dir);
  if (existing && !options.force) {
    throw new UserError('MASKS_EXIST', `${dir} already holds a mask set`, { hint: 'Pass --force to replace it, or --out to write the import elsewhere.' });
  }

  emit({ type: 'stage', stage: 'masks-import', status: 'started', message: `${files.length} files from ${options.dir}` });
  const staging = await makeStagingDir(dir);
  try {
    const decoded = await decodeAll(files, options, emit);
    const size = options.size ?? decoded.find((d) => d.ok)?.size;
    const entries: MaskEntry[] = [];
    const skipped: MaskManifest['skipped'] = [];
    const ratios: number[] = [];
    const usedNames = new Set<string>();
    for (const item of decoded) {
      if (!item.ok) {
        skipped.push({ file: item.file, reason: item.reason });
        continue;
      }
      if (!size || item.size.width !== size.width || item.size.height !== size.height) {
        skipped.push({ file: item.file, reason: `size ${item.size.width}x${item.size.height}, expected ${size?.width}x${size?.height}` });
        continue;
      }
      const mask = binarise(item.grey, item.size.width, item.size.height, options.threshold, options.polarity === 'hole-white');
      const ratio = holeRatio(mask);
      ratios.push(ratio);
      const binIndex = findBin(ratio, options.bins, options.binRule);
      if (binIndex < 0) {
        skipped.push({ file: item.file, reason: `hole ratio ${ratio.toFixed(4)} lies in no bin` });
        continue;
      }
      const bin = options.bins[binIndex] as Bin;
      const border = borderSubsetOf(mask, options.margin);
      const png = encodeGreyPng(mask.data, mask.width, mask.height);
      const file = uniqueName(`${binDirName(bin)}/${border}/${item.file.replace(/\.[^./]+$/, '').replace(/[^A-Za-z0-9._-]+/g, '_')}.png`, usedNames);
      await writeFileAtomic(join(staging, file), png);
      entries.push({
        file,
        width: mask.width,
        height: mask.height,
        holeRatio: ratio,
        bin: binLabel(bin, options.binRule),
        binIndex,
        border,
        generator: 'import',
        seed: null,
        source: item.file,
        sha256: sha256Of(png),
      });
    }

    const mostlyHoles = ratios.filter((r) => r > 0.5).length;
    if (ratios.length > 0 && mostlyHoles * 2 > ratios.length && !options.allowMostlyHoles) {
      const other = options.polarity === 'hole-white' ? 'hole-black' : 'hole-white';
      throw new UserError(
        'IMPORT_POLARITY',
        `${mostlyHoles} of ${ratios.length} masks in ${options.dir} are more than half hole with --polarity ${options.polarity}: the polarity looks inverted`,
        {
          hint: `Try --polarity ${other}, or pass --allow-mostly-holes if these masks really are mostly hole.`,
        },
      );
    }
    if (entries.length === 0) {
      throw new UserError('IMPORT_NOTHING', `none of the ${files.length} files in ${options.dir} could be imported`, {
        details: summariseSkips(skipped),
        hint: 'Check --polarity, --threshold, the bins and the mask size.',
      });
    }
    const settings = {
      source: options.dir,
      polarity: options.polarity,
      threshold: options.threshold,
      bins: options.bins,
      binRule: options.binRule,
      margin: options.margin,
    };
    const manifest: MaskManifest = {
      format: 'pconv-bench/masks@1',
      width: (size as { width: number }).width,
      height: (size as { height: number }).height,
      binRule: options.binRule,
      bins: options.bins.map((bin) => ({ ...bin, label: binLabel(bin, options.binRule) })),
      borderMargin: options.margin,
      settings,
      settingsHash: sha256Of(stableStringify({ ...settings, files: entries.map((e) => e.sha256) })),
      counts: countMasks(entries),
      skipped,
      masks: entries,
    };
    await writeFileAtomic(join(staging, MASK_MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
    await replaceDir(staging, dir);
    if (skipped.length > 0)
      emit({ type: 'log', level: 'warn', message: `skipped ${skipped.length} of ${files.length} files: ${summariseSkips(skipped).join('; ')}` });
    emit({ type: 'stage', stage: 'masks-import', status: 'finished', message: `${entries.length} masks in ${dir}` });
    return manifest;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

type Decoded = { file: string; ok: true; grey: Uint8Array; size: { width: number; height: number } } | { file: string; ok: false; reason: string };

async function decodeAll(files: readonly string[], options: ImportMasksOptions, emit: OnEvent): Promise<Decoded[]> {
  const limit = pLimit(Math.max(2, availableParallelism()));
  let done = 0;
  return Promise.all(
    files.map((file) =>
      limit(async (): Promise<Decoded> => {
        if (options.signal?.aborted) throw new InterruptedError();
        try {
          const { data, info } = await sharp(join(options.dir, file))
            .flatten({ background: '#ffffff' })
            .greyscale()
            .raw()
            .toBuffer({ resolveWithObject: true });
          return {
            file,
            ok: true,
            grey: new Uint8Array(data.buffer, data.byteOffset, info.width * info.height),
            size: { width: info.width, height: info.height },
          };
        } catch (error) {
          return { file, ok: false, reason: `not a readable image (${firstLine(error)})` };
        } finally {
          emit({ type: 'progress', stage: 'masks-import', done: ++done, total: files.length, unit: 'files' });
        }
      }),
    ),
  );
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

function uniqueName(name: string, used: Set<string>): string {
  let candidate = name;
  for (let i = 2; used.has(candidate); i++) candidate = name.replace(/\.png$/, `-${i}.png`);
  used.add(candidate);
  return candidate;
}

const NUMBER = /\d+(?:\.\d+)?/g;

/**
 * "3 x size 256x256, expected 512x512" style lines with the real numbers, the most common first.
 * Reasons of the same wording that differ only in their numbers are one group: up to `separate`
 * distinct reasons are a line each; more are one line that gives each number as its range
 * ("40 x hole ratio 0.0000..0.0093 lies in no bin").
 */
export function summariseSkips(skipped: MaskManifest['skipped'], separate = 3): string[] {
  const groups = new Map<string, Map<string, number>>();
  for (const { reason } of skipped) {
    const wording = reason.replace(NUMBER, 'N');
    const group = groups.get(wording) ?? new Map<string, number>();
    group.set(reason, (group.get(reason) ?? 0) + 1);
    groups.set(wording, group);
  }
  const lines: [count: number, text: string][] = [];
  for (const group of groups.values()) {
    if (group.size <= separate) {
      for (const [reason, n] of group) lines.push([n, reason]);
      continue;
    }
    const reasons = [...group.keys()];
    const numbers = reasons.map((reason) => reason.match(NUMBER) ?? []);
    let slot = 0;
    const ranged = (reasons[0] as string).replace(NUMBER, () => {
      const at = slot++;
      const values = numbers.map((n) => n[at] as string).sort((a, b) => Number(a) - Number(b));
      const [low, high] = [values[0] as string, values.at(-1) as string];
      return Number(low) === Number(high) ? low : `${low}..${high}`;
    });
    lines.push([[...group.values()].reduce((a, b) => a + b, 0), ranged]);
  }
  return lines.sort((a, b) => b[0] - a[0]).map(([n, text]) => `${n} x ${text}`);
}
