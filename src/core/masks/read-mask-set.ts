import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { type MaskEntry, type MaskManifest, MaskManifestSchema } from '../../protocol/mask-manifest.js';
import { MASK_MANIFEST_FILE } from '../../protocol/run-layout.js';
import { sha256Of } from '../io/stable-json.js';

/**
 * Reading a mask set back: its manifest (masks/manifest.json) and the check that every file it
 * lists is there with its recorded hash. Generated, imported and merged sets alike; writing them is
 * write-mask-set.ts, import-masks.ts and merge-mask-shards.ts.
 */

/** The manifest in `dir`, or undefined when it is missing, not JSON, or not a mask manifest. */
export async function readExistingManifest(dir: string): Promise<MaskManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MASK_MANIFEST_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = MaskManifestSchema.safeParse(safeJson(text));
  return parsed.success ? parsed.data : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What verifyMaskFiles finds: every file whole, or the first damaged one in manifest order. */
export type MaskFilesCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** The first missing or altered file, as the manifest names it (relative to the set's folder). */
      readonly file: string;
      /** A sentence naming the file's path, e.g. "…/masks/m-00012.png does not match its recorded hash (…)". */
      readonly problem: string;
      /** How many of the manifest's files are missing or altered, this one included. */
      readonly damaged: number;
    };

/** Files read at once: enough to keep the disk and the hashing busy, few enough to stay far from the descriptor limit. */
const VERIFY_CONCURRENCY = 32;

/**
 * Checks that every mask of a manifest exists with its recorded sha256. Every file is read and
 * hashed (a mask is a few KB, so whole reads beat streams), up to `concurrency` at once; all are
 * checked, so the report does not depend on timing: the first damaged file in manifest order, and
 * how many are damaged.
 */
export async function verifyMaskFiles(dir: string, manifest: MaskManifest, options: { concurrency?: number } = {}): Promise<MaskFilesCheck> {
  const limit = pLimit(options.concurrency ?? VERIFY_CONCURRENCY);
  const problems = await Promise.all(
    manifest.masks.map((entry) =>
      limit(async (): Promise<string | undefined> => {
        const path = join(dir, entry.file);
        let bytes: Buffer;
        try {
          bytes = await readFile(path);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          return code === 'ENOENT' ? `${path} is missing` : `${path} cannot be read (${code ?? (error as Error).message})`;
        }
        return sha256Of(bytes) === entry.sha256 ? undefined : `${path} does not match its recorded hash (altered or damaged)`;
      }),
    ),
  );
  const first = problems.findIndex((problem) => problem !== undefined);
  if (first < 0) return { ok: true };
  const damaged = problems.reduce((n, problem) => n + (problem === undefined ? 0 : 1), 0);
  const others = damaged > 1 ? ` (and ${damaged - 1} more of the ${manifest.masks.length} masks)` : '';
  return { ok: false, file: (manifest.masks[first] as MaskEntry).file, problem: `${problems[first]}${others}`, damaged };
}

/**
 * Whether `dir` holds a whole mask set: a readable manifest whose every listed file exists with its
 * recorded hash. Returns the manifest so a caller that goes on to use the set need not read it again.
 */
export async function verifyMaskSet(
  dir: string,
  options: { concurrency?: number } = {},
): Promise<{ readonly ok: true; readonly manifest: MaskManifest } | { readonly ok: false; readonly file: string; readonly problem: string }> {
  const manifest = await readExistingManifest(dir);
  const manifestPath = join(dir, MASK_MANIFEST_FILE);
  if (!manifest) {
    const present = await stat(manifestPath).catch(() => undefined);
    return { ok: false, file: MASK_MANIFEST_FILE, problem: present ? `${manifestPath} is not a valid mask manifest` : `${manifestPath} is missing` };
  }
  const files = await verifyMaskFiles(dir, manifest, options);
  return files.ok ? { ok: true, manifest } : { ok: false, file: files.file, problem: files.problem };
}

/** True when every file of the manifest exists with the recorded hash (verifyMaskFiles says which does not). */
export async function filesIntact(dir: string, manifest: MaskManifest): Promise<boolean> {
  return (await verifyMaskFiles(dir, manifest)).ok;
}
