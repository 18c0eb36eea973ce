import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/io/atomic.js';
import { encodeGreyPng } from '../../core/io/png-gray.js';
import { sha256Of } from '../../core/io/stable-json.js';
import type { Drilldown } from '../../protocol/drilldown.js';
import { runLayout } from '../../protocol/run-layout.js';
import { maskedInput, rgbPng } from '../eval-samples.js';
import { DRILLDOWN_DIR, drilldownFilesOf, drilldownOutput, drilldownPairOf, drilldownPicture, drilldownStamp } from './drilldown-files.js';

/**
 * The drill-down pairs' pictures in the run folder. The models' outputs of arbitrary pairs are not
 * kept while scoring, and which pairs are worst or best is known only once every pair is scored,
 * so the chosen pairs are decoded and run through every model again afterwards, one pair at a
 * time (so the pictures do not depend on --batch). Each pair's pictures are written atomically,
 * then a stamp naming what made them; a pair whose stamp is missing (a kill mid-pair) or names
 * something else (a retrained model, a replaced photo) is made again, any other is kept.
 */
const STAMP_FORMAT = 'pconv-bench/drilldown-pictures@1';

/** One pair as the models saw it, and each model's output composited with its known pixels. */
export interface DrilldownPairPictures {
  /** HWC RGB on [0, 1]. */
  readonly image: Float32Array;
  /** HxW, 1 = valid. */
  readonly valid: Float32Array;
  readonly composites: readonly { readonly name: string; readonly data: Float32Array }[];
}

export interface DrilldownPictureSource {
  /** What would make pair k's pictures now; a stamp holding anything else is stale. */
  keyOf(k: number): Promise<string>;
  make(k: number): Promise<DrilldownPairPictures>;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** A pair's stamp: what made its pictures, and each picture's hash (so a damaged one is found). */
interface PairStamp {
  readonly format: typeof STAMP_FORMAT;
  readonly k: number;
  readonly key: string;
  /** Run-relative path -> sha256 of the bytes written. */
  readonly files: Readonly<Record<string, string>>;
}

async function readStamp(runDir: string, k: number): Promise<PairStamp | undefined> {
  const text = await readFile(join(runDir, drilldownStamp(k)), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const stamp = JSON.parse(text) as Partial<PairStamp>;
    return stamp.format === STAMP_FORMAT && stamp.k === k && typeof stamp.key === 'string' && typeof stamp.files === 'object' && stamp.files !== null
      ? (stamp as PairStamp)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The first of `files` that is missing or not the bytes its stamp recorded. */
async function firstDamaged(runDir: string, files: readonly string[], stamp: PairStamp): Promise<{ file: string; problem: string } | undefined> {
  for (const file of files) {
    const bytes = await readFile(join(runDir, file)).catch(() => undefined);
    if (bytes === undefined) return { file, problem: 'is missing' };
    if (stamp.files[file] !== sha256Of(bytes)) return { file, problem: `is not the picture eval wrote (its hash in ${drilldownStamp(stamp.k)} differs)` };
  }
  return undefined;
}

async function stampHolds(runDir: string, k: number, key: string, models: readonly string[]): Promise<boolean> {
  const stamp = await readStamp(runDir, k);
  return stamp?.key === key && (await firstDamaged(runDir, drilldownFilesOf(k, models).slice(0, -1), stamp)) === undefined;
}

/**
 * Makes the pictures of pairs `ks` that are missing or stale, then removes the files of every other
 * pair from the folder. `onPair` follows each pair, made or kept.
 */
export async function writeDrilldownPictures(args: {
  readonly runDir: string;
  readonly size: number;
  readonly ks: readonly number[];
  readonly models: readonly string[];
  readonly source: DrilldownPictureSource;
  readonly signal?: AbortSignal;
  readonly onPair?: (done: number, made: number) => void;
}): Promise<{ readonly made: number }> {
  const { runDir, size, models } = args;
  await mkdir(runLayout(runDir).drilldownDir, { recursive: true });
  let made = 0;
  for (const [i, k] of args.ks.entries()) {
    if (args.signal?.aborted) break;
    const key = await args.source.keyOf(k);
    if (!(await stampHolds(runDir, k, key, models))) {
      // The stamp goes first, so that pictures half made again never pass for whole.
      await rm(join(runDir, drilldownStamp(k)), { force: true });
      const pair = await args.source.make(k);
      const mask = new Uint8Array(pair.valid.length);
      for (let i = 0; i < mask.length; i++) mask[i] = (pair.valid[i] as number) >= 0.5 ? 255 : 0;
      const outputs = models.map((model) => {
        const composite = pair.composites.find((c) => c.name === model);
        if (!composite) throw new Error(`drill-down: no output of ${model} for pair ${k}`);
        return [drilldownOutput(k, model), composite.data] as const;
      });
      // Encoded side by side (sharp's threads): the same bytes in any order.
      const rgb = await Promise.all(
        [[drilldownPicture(k, 'input'), maskedInput(pair.image, pair.valid)] as const, [drilldownPicture(k, 'target'), pair.image] as const, ...outputs].map(
          async ([file, data]): Promise<[string, Buffer]> => [file, await rgbPng(data, size)],
        ),
      );
      const pictures: [string, Buffer][] = [[drilldownPicture(k, 'mask'), encodeGreyPng(mask, size, size)], ...rgb];
      for (const [file, bytes] of pictures) await writeFileAtomic(join(runDir, file), bytes);
      const stamp: PairStamp = { format: STAMP_FORMAT, k, key, files: Object.fromEntries(pictures.map(([file, bytes]) => [file, sha256Of(bytes)])) };
      await writeFileAtomic(join(runDir, drilldownStamp(k)), `${JSON.stringify(stamp)}\n`);
      made++;
    }
    args.onPair?.(i + 1, made);
  }
  if (!args.signal?.aborted) await pruneDrilldown(runDir, new Set(args.ks));
  return { made };
}

/** Removes the drill-down files of pairs not in `keep` (an earlier evaluation's choice). */
export async function pruneDrilldown(runDir: string, keep: ReadonlySet<number>): Promise<void> {
  const dir = runLayout(runDir).drilldownDir;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const k = drilldownPairOf(name);
    if (k !== undefined && !keep.has(k)) await rm(join(dir, name), { force: true });
  }
}

/**
 * `merge`: copies the files of every pair of `drilldown` from the shard folder that scored it
 * (`shardDirOf(k)`), where that shard's own choice put them (choose-drilldown-pairs.ts says why
 * every pair chosen among all pairs was chosen within its shard too), then prunes the rest.
 */
export async function copyDrilldownPictures(drilldown: Drilldown, shardDirOf: (k: number) => string, outDir: string): Promise<void> {
  await mkdir(join(outDir, DRILLDOWN_DIR), { recursive: true });
  for (const pair of drilldown.pairs) {
    const from = shardDirOf(pair.k);
    for (const file of drilldownFilesOf(pair.k, drilldown.models)) {
      if (!(await exists(join(from, file))))
        throw new UserError(
          'MERGE_DRILLDOWN_MISSING',
          `${join(from, file)} is missing: the drill-down needs it and that shard's evaluation should have written it`,
          {
            hint: `Evaluate that shard again in its folder (pconv-bench eval <config> --run ${from} --shard i/n): it scores nothing again and writes the pictures; then merge.`,
          },
        );
      // Atomically, the stamp last: a merge killed midway leaves no picture that passes for whole.
      if (from !== outDir) await writeFileAtomic(join(outDir, file), await readFile(join(from, file)));
    }
  }
  await pruneDrilldown(outDir, new Set(drilldown.pairs.map((p) => p.k)));
}

/**
 * The first picture drilldown.json lists that is not as eval wrote it (missing, changed, or its
 * pair's stamp gone), with what is wrong; undefined when every one is intact.
 */
export async function damagedDrilldownPicture(runDir: string, drilldown: Drilldown): Promise<{ file: string; problem: string } | undefined> {
  for (const pair of drilldown.pairs) {
    const files = [pair.input, pair.mask, ...drilldown.models.flatMap((m) => (pair.outputs[m] ? [pair.outputs[m]] : [])), pair.target];
    const stamp = await readStamp(runDir, pair.k);
    if (!stamp)
      return { file: files[0] as string, problem: `has no stamp (${drilldownStamp(pair.k)} is missing or damaged: its pictures may be half written)` };
    const damaged = await firstDamaged(runDir, files, stamp);
    if (damaged) return damaged;
  }
  return undefined;
}
