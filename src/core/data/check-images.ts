import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { isAbsolute, relative, sep } from 'node:path';
import sharp from 'sharp';
import { InterruptedError, UserError } from '../errors.js';
import { IMAGE_INPUT_OPTIONS } from './load-image.js';

export interface CheckImagesOptions {
  /** data.root (or a split folder): files under it are named relative to it, as data.exclude patterns are written. */
  readonly root?: string;
  /** The keys the hint names to leave files out, with what their patterns are relative to (default: data.exclude under data.root). */
  readonly excludeHint?: string;
  /**
   * Decode every pixel too, not only the header. The header alone passes a truncated JPEG or PNG
   * (its header is intact) that the loader then fails on, mid-training.
   */
  readonly decode: boolean;
  /** Files checked at once (default: the CPU count, 2 to 8; a full decode holds one image's pixels per file). */
  readonly concurrency?: number;
  /** Stops the check; the call then throws InterruptedError. */
  readonly signal?: AbortSignal;
  /** After each file checked: how many are done of how many (not called when the same files passed before, unchanged). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Unreadable files named one per line in the error's details; the rest are counted. */
export const MAX_NAMED_UNREADABLE = 20;

/**
 * Lists of files that passed in this process, by a digest of each file's path and identity (size,
 * modification and change time, inode), with whether they were decoded: the same files checked
 * again unchanged (train checks its data before each model, `run` before each training) cost one
 * stat each. One entry per list, however long.
 */
const passed = new Map<string, boolean>();
/**
 * Checks that every file opens as an image the way training opens it (load-image.ts's
 * IMAGE_INPUT_OPTIONS: failOn 'warning', under which a truncated file is an error rather than a
 * grey tail): the header for all, and with `decode` every pixel at full resolution. That fails on
 * exactly the files the loader fails on when it reads every row (the centre crop, and any crop
 * that shrinks the image); a crop at native resolution near the top stops reading early and can
 * pass a file with a bad tail, but training draws other crops of it and stops there later. Throws
 * one UserError (IMAGE_UNREADABLE) naming every unreadable file with sharp's reason (the first
 * MAX_NAMED_UNREADABLE, then a count), so all of them are fixed before a run rather than one per
 * failed run. Cost on the bundled 256x256 PNGs, one at a time: ~0.4 ms a file for the header,
 * ~4 ms with decode (the loader spends ~5 ms on one crop), so at most one epoch of data loading.
 */
export async function checkImagesReadable(files: readonly string[], options: CheckImagesOptions): Promise<void> {
  const { decode, signal } = options;
  const problems: Problem[] = [];
  const nameOf = (file: string) => {
    if (options.root === undefined) return file;
    const rel = relative(options.root, file);
    return rel && rel.split(sep)[0] !== '..' && !isAbsolute(rel) ? rel : file;
  };
  const stamps: (string | undefined)[] = new Array(files.length);
  await forEachBounded(files.length, 64, async (i) => {
    const file = files[i] as string;
    try {
      const info = await stat(file);
      stamps[i] = `${info.size}:${info.mtimeMs}:${info.ctimeMs}:${info.ino}`;
    } catch (error) {
      problems.push({
        file,
        name: nameOf(file),
        opened: false,
        reason: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      });
    }
  });
  const hash = createHash('sha256');
  for (const [i, file] of files.entries()) hash.update(`${file}\0${stamps[i]}\0`);
  const digest = hash.digest('hex');
  const before = passed.get(digest);
  if (problems.length === 0 && before !== undefined && (before || !decode)) return;
  const todo = files.filter((_, i) => stamps[i] !== undefined);
  let done = 0;
  await forEachBounded(todo.length, options.concurrency ?? Math.max(2, Math.min(8, availableParallelism())), async (i) => {
    if (signal?.aborted) return;
    const file = todo[i] as string;
    const reason = await unreadableBecause(file, decode);
    if (reason !== undefined) problems.push({ file, name: nameOf(file), opened: true, reason });
    options.onProgress?.(++done, todo.length);
  });
  if (signal?.aborted) throw new InterruptedError('interrupted while checking the images');
  if (problems.length === 0) {
    passed.set(digest, decode || before === true);
    return;
  }
  problems.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // libvips keeps one error buffer for all threads: a decode failing beside another one can come
  // back with the other file's message, or a generic "Warning treated as error". The files named
  // in the error are opened again one at a time, for their own reason.
  const named = problems.slice(0, MAX_NAMED_UNREADABLE);
  for (const [i, problem] of named.entries()) {
    if (!problem.opened) continue;
    const reason = await unreadableBecause(problem.file, decode);
    if (reason !== undefined) named[i] = { ...problem, reason };
  }
  throw unreadableError([...named, ...problems.slice(MAX_NAMED_UNREADABLE)], files.length, options.root, options.excludeHint);
}

/**
 * Runs work(0 .. count - 1) with at most `concurrency` at once: a few workers taking the next
 * index, so a million-file list holds a handful of promises, not a million queued ones.
 */
async function forEachBounded(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), count) }, worker));
}

interface Problem {
  readonly file: string;
  /** The file relative to the root, when under it. */
  readonly name: string;
  /** Whether sharp opened it (false: the file system refused it first). */
  readonly opened: boolean;
  readonly reason: string;
}

/** Why sharp cannot open `file` as the loader does (first line of its message), or undefined. */
async function unreadableBecause(file: string, decode: boolean): Promise<string | undefined> {
  try {
    const meta = await sharp(file, IMAGE_INPUT_OPTIONS).metadata();
    if (!meta.width || !meta.height) return 'the header gives no size';
    if (decode) await sharp(file, IMAGE_INPUT_OPTIONS).raw().toBuffer();
    return undefined;
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0];
  }
}

function unreadableError(
  problems: readonly Problem[],
  total: number,
  root: string | undefined,
  excludeHint = 'data.exclude (patterns relative to data.root)',
): UserError {
  const n = problems.length;
  const first = problems[0] as Problem;
  const message =
    n === 1
      ? `cannot read image ${first.file}: ${first.reason}`
      : `cannot read ${n} of the ${total} images${root === undefined ? '' : ` under ${root}`}: ${first.name} and ${n - 1} more (listed below)`;
  const details = problems.slice(0, MAX_NAMED_UNREADABLE).map(({ name, reason }) => `${name}: ${reason}`);
  if (n > MAX_NAMED_UNREADABLE) details.push(`... and ${n - MAX_NAMED_UNREADABLE} more`);
  // A ready-made data.exclude line, when the names are plain (no glob syntax to escape).
  const shown = problems.slice(0, 3).map(({ name }) => name);
  const example =
    root !== undefined && shown.every((name) => !isAbsolute(name) && !/[*?[\]{}()!@+\\]/.test(name))
      ? `, e.g. exclude: [${shown.map((name) => JSON.stringify(name)).join(', ')}${n > 3 ? ', ...' : ''}]`
      : '';
  return new UserError('IMAGE_UNREADABLE', message, {
    details: n === 1 ? [] : details,
    hint: `Remove or replace ${n === 1 ? 'the file' : 'these files'}, or leave ${n === 1 ? 'it' : 'them'} out with ${excludeHint}${example}.`,
  });
}
