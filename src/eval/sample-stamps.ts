import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import { writeFileAtomic } from '../core/io/atomic.js';
import { sha256Of } from '../core/io/stable-json.js';
import type { MaskGroup } from '../core/masks/manifest-counts.js';
import type { Results } from '../protocol/results.js';
import { sampleFolder } from './eval-samples.js';

/**
 * The record of the sample pictures as eval wrote them: beside each group's pictures, a stamp with
 * the pair they show and each picture's sha256, written after the pictures (so a kill between the
 * two leaves hashes that do not match, never pictures that pass unchecked). The eval stage's
 * outputs check and `report` compare every picture results.json lists against it, so a deleted or
 * edited one makes `eval` run again, which makes just that picture again (remake-samples.ts).
 * Beside the pictures rather than in results.json, whose bytes stay those of any worker count,
 * batch or shard split. About 12 groups x (2 + models) pictures at paper scale: cheap to hash.
 */
const STAMP_FORMAT = 'pconv-bench/sample-pictures@1';

type Group = Pick<MaskGroup, 'binIndex' | 'border'>;

interface SampleStamp {
  readonly format: typeof STAMP_FORMAT;
  /** The group's first pair, which the pictures show. */
  readonly k: number;
  /** Run-relative path -> sha256 of the bytes written. */
  readonly files: Readonly<Record<string, string>>;
}

export function sampleStamp(group: Group): string {
  return `${sampleFolder(group)}/stamp.json`;
}

/** The group's stamp; 'damaged' when the file is there but not a stamp. */
async function readStamp(runDir: string, group: Group): Promise<SampleStamp | 'damaged' | undefined> {
  const text = await readFile(join(runDir, sampleStamp(group)), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const stamp = JSON.parse(text) as Partial<SampleStamp>;
    return stamp.format === STAMP_FORMAT && Number.isInteger(stamp.k) && typeof stamp.files === 'object' && stamp.files !== null
      ? (stamp as SampleStamp)
      : 'damaged';
  } catch {
    return 'damaged';
  }
}

/** The hashes the group's stamp holds for pair k's pictures (none for another pair's, or none at all). */
async function stampedFiles(runDir: string, group: Group, k: number): Promise<Readonly<Record<string, string>>> {
  const stamp = await readStamp(runDir, group);
  return typeof stamp === 'object' && stamp.k === k ? stamp.files : {};
}

/**
 * Writes pictures of pair k, the first of `group`, each atomically, then the group's stamp: their
 * hashes, and those it held already for the pair's other pictures (a model scored earlier, or a
 * picture that was intact). An entry that no longer matches its file is found by the next check.
 */
export async function writeSamplePictures(runDir: string, group: Group, k: number, pictures: readonly (readonly [string, Buffer])[]): Promise<void> {
  const files = { ...(await stampedFiles(runDir, group, k)) };
  for (const [file, bytes] of pictures) {
    await writeFileAtomic(join(runDir, file), bytes);
    files[file] = sha256Of(bytes);
  }
  const stamp: SampleStamp = { format: STAMP_FORMAT, k, files };
  await writeFileAtomic(join(runDir, sampleStamp(group)), `${JSON.stringify(stamp)}\n`);
}

/** Those of `files` (pictures of pair k, the first of `group`) that are on disk as its stamp records them. */
export async function intactSamplePictures(runDir: string, group: Group, k: number, files: readonly string[]): Promise<Set<string>> {
  const stamped = await stampedFiles(runDir, group, k);
  const intact = new Set<string>();
  for (const file of files) {
    const bytes = await readFile(join(runDir, file)).catch(() => undefined);
    if (bytes !== undefined && stamped[file] === sha256Of(bytes)) intact.add(file);
  }
  return intact;
}

/** How to get a missing or changed sample picture back without scoring a pair again. */
export const SAMPLES_AGAIN =
  'Evaluate again: `pconv-bench eval <config>` (or `pconv-bench run <config>`); the per-pair scores in scores/ are kept, so only the missing or changed sample pictures are made again (each model run on its pair; nothing is scored again).';

/**
 * Throws, naming the file, when a picture of results.json's `samples` is missing or not the bytes
 * its group's stamp records. A group without a stamp was evaluated before stamps existed: its
 * pictures are checked for presence only (the next `eval` stamps them).
 */
export async function checkSamplePictures(runDir: string, samples: Results['samples']): Promise<void> {
  for (const sample of samples) {
    const stamp = await readStamp(runDir, sample);
    const where = sampleStamp(sample);
    for (const file of [sample.input, sample.target, ...Object.values(sample.outputs)]) {
      const path = join(runDir, file);
      const bytes = await readFile(path).catch(() => undefined);
      if (bytes === undefined) throw new UserError('REPORT_SAMPLE_MISSING', `sample image ${path} is missing`, { hint: SAMPLES_AGAIN });
      if (stamp === undefined) continue;
      const problem =
        stamp === 'damaged'
          ? `cannot be checked: ${where} is not a sample stamp`
          : stamp.files[file] === undefined
            ? `is not recorded in ${where} (eval did not finish writing it)`
            : stamp.files[file] !== sha256Of(bytes)
              ? `is not the picture eval wrote (its hash in ${where} differs)`
              : undefined;
      if (problem !== undefined) throw new UserError('REPORT_SAMPLE_DAMAGED', `sample image ${path} ${problem}`, { hint: SAMPLES_AGAIN });
    }
  }
}
