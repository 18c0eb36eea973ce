import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { CHECKPOINT_FILES } from '../../protocol/run-layout.js';
import { UserError } from '../errors.js';
import { makeStagingDir, replaceDir, writeFileAtomic } from '../io/atomic.js';
import { sha256Of } from '../io/stable-json.js';

const META = CHECKPOINT_FILES.meta;
const DATA = CHECKPOINT_FILES.tensors;
/** Read size for streamed hashing: large enough that a 400 MB file is a hundred reads. */
const HASH_CHUNK = 4 << 20;

/** The format this build writes. */
export const CHECKPOINT_FORMAT = 'pconv-bench/checkpoint@1';
/** Every checkpoint format this build reads (named in the error for any other). */
export const CHECKPOINT_FORMATS_READ: readonly string[] = [CHECKPOINT_FORMAT];

/**
 * One data file of a checkpoint, as written: its name in the folder (no path: nothing outside the
 * folder is ever read), its size and the sha256 of its bytes.
 */
export const CheckpointFileSchema = z.object({
  name: z.string().regex(/^[\w-][\w.-]*$/, 'a plain file name'),
  bytes: z.int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type CheckpointFile = z.infer<typeof CheckpointFileSchema>;

/**
 * A checkpoint folder: checkpoint.json (what, where, how far, a table of tensors and of the data
 * files with their sizes and hashes) and tensors.bin (every tensor as little-endian float32, one
 * after another). Written into a staging folder and renamed into place, so a crash leaves the
 * previous checkpoint whole.
 */
export const CheckpointMetaSchema = z
  .object({
    format: z.literal(CHECKPOINT_FORMAT),
    model: z.enum(['pconv', 'conv']),
    /** The phase in progress (or just finished) and the global step count done. */
    phase: z.union([z.literal(1), z.literal(2)]),
    step: z.int().min(0),
    phaseFinished: z.boolean(),
    seed: z.int(),
    optimizer: z.object({ kind: z.literal('adam'), t: z.int().min(0), learningRate: z.number() }),
    configHash: z.string(),
    backend: z.object({ name: z.string(), version: z.string(), device: z.string() }),
    createdAt: z.string(),
    /** sha256 of tensors.bin; also what evaluation fingerprints a model by (src/eval/scorers.ts). */
    tensorsSha256: z.string(),
    /**
     * Every data file the checkpoint refers to, with size and hash: what verifyCheckpoint checks.
     * Optional, and the format still @1, because the addition is compatible both ways: checkpoints
     * written before it lack the table but are still fully checkable, since tensorsSha256 covers
     * tensors.bin, their only data file (only the size is unknown, so a truncation is found by
     * hashing instead of by stat); and older builds, whose reader is a non-strict object, ignore
     * the new key and keep reading new checkpoints. A version bump would have made every older
     * build refuse them.
     */
    files: z.array(CheckpointFileSchema).optional(),
    tensors: z.array(z.object({ key: z.string(), shape: z.array(z.int().min(0)), offset: z.int().min(0), length: z.int().min(0) })),
    config: z.record(z.string(), z.unknown()),
  })
  .superRefine((meta, ctx) => {
    if (!meta.files) return;
    const names = meta.files.map((f) => f.name);
    if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', path: ['files'], message: 'a file is listed twice' });
    if (meta.files.find((f) => f.name === DATA)?.sha256 !== meta.tensorsSha256) {
      ctx.addIssue({ code: 'custom', path: ['files'], message: `${DATA} is not listed with the hash tensorsSha256 records` });
    }
  });
export type CheckpointMeta = z.infer<typeof CheckpointMetaSchema>;

export interface LoadedCheckpoint {
  readonly meta: CheckpointMeta;
  readonly tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>;
}

/** What verifyCheckpoint finds: the checkpoint is whole, or the first problem with it. */
export type CheckpointCheck =
  | { readonly ok: true; readonly meta: CheckpointMeta }
  | {
      readonly ok: false;
      /** The code loadCheckpoint would throw: CHECKPOINT_MISSING (no folder), CHECKPOINT_FORMAT (another format version) or CHECKPOINT_CORRUPT. */
      readonly code: 'CHECKPOINT_MISSING' | 'CHECKPOINT_FORMAT' | 'CHECKPOINT_CORRUPT';
      /** The file at fault, by name in the folder (checkpoint.json, tensors.bin), when one is. */
      readonly file?: string;
      /** A sentence naming the folder and the file, e.g. "checkpoint … is damaged: tensors.bin is missing". */
      readonly problem: string;
      readonly hint?: string;
    };
type CheckpointFailure = Extract<CheckpointCheck, { ok: false }>;

export async function saveCheckpoint(
  dir: string,
  meta: Omit<CheckpointMeta, 'tensors' | 'tensorsSha256' | 'files' | 'format'>,
  tensors: ReadonlyMap<string, tf.Tensor>,
): Promise<void> {
  const table: CheckpointMeta['tensors'] = [];
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const [key, tensor] of tensors) {
    const values = (await tensor.data()) as Float32Array;
    table.push({ key, shape: [...tensor.shape], offset, length: values.length });
    parts.push(values);
    offset += values.length;
  }
  const data = new Float32Array(offset);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }
  const bytes = new Uint8Array(data.buffer);
  const sha256 = sha256Of(bytes);
  const full: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    ...meta,
    tensorsSha256: sha256,
    files: [{ name: DATA, bytes: bytes.byteLength, sha256 }],
    tensors: table,
  };
  const staging = await makeStagingDir(dir);
  try {
    await writeFileAtomic(join(staging, DATA), bytes);
    await writeFileAtomic(join(staging, META), `${JSON.stringify(full, null, 1)}\n`);
    await replaceDir(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

const DAMAGED_HINT =
  'Delete the folder and train again (pconv-bench train <config> --restart); or, if a checkpoint beside it (phase1, phase2, latest) is intact, copy that one in its place and pass --resume.';

function damaged(dir: string, file: string, why: string): CheckpointFailure {
  return { ok: false, code: 'CHECKPOINT_CORRUPT', file, problem: `checkpoint ${dir} is damaged: ${why}`, hint: DAMAGED_HINT };
}

function toError(failure: CheckpointFailure): UserError {
  return new UserError(failure.code, failure.problem, { hint: failure.hint });
}

/** A format this build does not read: say which it is, which this build reads, and who wrote it. */
function unknownFormat(dir: string, format: string, version: number): CheckpointFailure {
  const newest = Math.max(...CHECKPOINT_FORMATS_READ.map((f) => Number(f.slice(f.lastIndexOf('@') + 1))));
  const known = CHECKPOINT_FORMATS_READ.join(', ');
  return version > newest
    ? {
        ok: false,
        code: 'CHECKPOINT_FORMAT',
        file: META,
        problem: `checkpoint ${dir} is in format ${format}, written by a newer pconv-bench; this build of pconv-bench reads ${known}`,
        hint: 'Use the pconv-bench version that wrote it (or a later one), or delete the folder and train again with this one.',
      }
    : {
        ok: false,
        code: 'CHECKPOINT_FORMAT',
        file: META,
        problem: `checkpoint ${dir} is in format ${format}, which this build of pconv-bench does not read; it reads ${known}`,
        hint: 'Delete the folder and train again (pconv-bench train <config> --restart).',
      };
}

/** checkpoint.json, parsed and checked: the folder exists, the file parses, and its format is one this build reads. */
async function readMeta(dir: string): Promise<CheckpointMeta | CheckpointFailure> {
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
    return {
      ok: false,
      code: 'CHECKPOINT_MISSING',
      problem: `no checkpoint at ${dir}`,
      hint: 'Train first (pconv-bench train <config>), or point --checkpoint at a checkpoint folder.',
    };
  }
  let text: string;
  try {
    text = await readFile(join(dir, META), 'utf8');
  } catch {
    return damaged(dir, META, `${META} is missing`);
  }
  const invalid = (error: unknown) => damaged(dir, META, `${META} is not a valid checkpoint description (${(error as Error).message.split('\n')[0]})`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return invalid(error);
  }
  // Told apart before the schema, whose message for a wrong literal would only say "invalid".
  const format = (raw as { format?: unknown } | null)?.format;
  const version = typeof format === 'string' ? /^pconv-bench\/checkpoint@(\d+)$/.exec(format)?.[1] : undefined;
  if (typeof format === 'string' && version !== undefined && !CHECKPOINT_FORMATS_READ.includes(format)) return unknownFormat(dir, format, Number(version));
  const parsed = CheckpointMetaSchema.safeParse(raw);
  if (!parsed.success) return invalid(parsed.error);
  return parsed.data;
}

/** The data files a checkpoint refers to; one without a `files` table (written before it) has only tensors.bin, of unknown size. */
function dataFiles(meta: CheckpointMeta): { name: string; bytes?: number; sha256: string }[] {
  return meta.files ?? [{ name: DATA, sha256: meta.tensorsSha256 }];
}

function sizeProblem(file: { name: string; bytes?: number }, size: number): string | undefined {
  if (file.bytes === undefined || file.bytes === size) return undefined;
  return `${file.name} does not match its recorded hash (${size} bytes where ${file.bytes} were written${size < file.bytes ? ': truncated' : ''})`;
}

const hashProblem = (name: string) => `${name} does not match its recorded hash (truncated or altered)`;

/** A tensor of the table that lies past the end of tensors.bin (of `size` bytes), if any. */
function tablePastEnd(meta: CheckpointMeta, size: number): string | undefined {
  const floats = Math.floor(size / 4);
  return meta.tensors.find((entry) => entry.offset + entry.length > floats)?.key;
}

/** sha256 and size of a file, read in chunks: a checkpoint's tensors can be hundreds of MB. */
async function hashFileStreamed(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: HASH_CHUNK })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Whether a checkpoint is whole, without loading it: checkpoint.json is readable and of a format
 * this build reads, and every data file it refers to exists with its recorded size and hash (the
 * sizes first, by stat, so a missing or truncated file is found before anything is hashed; then the
 * hashes, streamed in 4 MiB reads, so memory stays flat however large the tensors). `ok` exactly
 * when loadCheckpoint would succeed; otherwise the problem it would throw, as data. Costs one read
 * and hash of the data files: about 20 ms for the demo model (8.8 MB), 0.4 to 1.2 s for 400 MiB
 * (warm page cache, a loaded 2-core machine).
 */
export async function verifyCheckpoint(dir: string): Promise<CheckpointCheck> {
  const meta = await readMeta(dir);
  if ('ok' in meta) return meta;
  const files = dataFiles(meta);
  const sizes = new Map<string, number>();
  for (const file of files) {
    const info = await stat(join(dir, file.name)).catch(() => undefined);
    if (!info?.isFile()) return damaged(dir, file.name, `${file.name} is missing`);
    const wrong = sizeProblem(file, info.size);
    if (wrong) return damaged(dir, file.name, wrong);
    sizes.set(file.name, info.size);
  }
  for (const file of files) {
    let found: { bytes: number; sha256: string };
    try {
      found = await hashFileStreamed(join(dir, file.name));
    } catch (error) {
      return damaged(dir, file.name, `${file.name} cannot be read (${(error as Error).message})`);
    }
    if (found.sha256 !== file.sha256) return damaged(dir, file.name, sizeProblem(file, found.bytes) ?? hashProblem(file.name));
  }
  const past = tablePastEnd(meta, sizes.get(DATA) ?? 0);
  if (past !== undefined) return damaged(dir, DATA, `tensor ${past} lies past the end of ${DATA}`);
  return { ok: true, meta };
}

/**
 * checkpoint.json alone (step, phase, config hash), without reading or checking the tensors: for
 * deciding what to do with a checkpoint. Throws what loadCheckpoint throws for the folder and
 * checkpoint.json; verifyCheckpoint says whether the data files are whole.
 */
export async function loadCheckpointMeta(dir: string): Promise<CheckpointMeta> {
  const meta = await readMeta(dir);
  if ('ok' in meta) throw toError(meta);
  return meta;
}

/** Reads a checkpoint; a missing, truncated or altered one, or one of a format this build does not read, is a clear error. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const meta = await readMeta(dir);
  if ('ok' in meta) throw toError(meta);
  let bytes: Buffer | undefined;
  for (const file of dataFiles(meta)) {
    if (file.name !== DATA) {
      // Any other data file is checked without being kept (this build writes none).
      const check = await hashFileStreamed(join(dir, file.name)).catch(() => undefined);
      if (!check) throw toError(damaged(dir, file.name, `${file.name} is missing`));
      if (check.sha256 !== file.sha256) throw toError(damaged(dir, file.name, sizeProblem(file, check.bytes) ?? hashProblem(file.name)));
      continue;
    }
    try {
      bytes = await readFile(join(dir, DATA));
    } catch {
      throw toError(damaged(dir, DATA, `${DATA} is missing`));
    }
    if (sha256Of(bytes) !== file.sha256) throw toError(damaged(dir, DATA, sizeProblem(file, bytes.length) ?? hashProblem(DATA)));
  }
  // The schema makes files list tensors.bin whenever it is present.
  if (!bytes) throw toError(damaged(dir, META, `${META} does not list ${DATA}`));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  const past = tablePastEnd(meta, bytes.length);
  if (past !== undefined) throw toError(damaged(dir, DATA, `tensor ${past} lies past the end of ${DATA}`));
  for (const entry of meta.tensors) tensors.set(entry.key, { shape: entry.shape, values: all.subarray(entry.offset, entry.offset + entry.length) });
  return { meta, tensors };
}
