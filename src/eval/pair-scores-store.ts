import { type FileHandle, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FOLDERS } from '../protocol/run-layout.js';
import type { ImageMetrics } from './metrics.js';

/**
 * Per-pair scores, kept in the run folder as they are computed so that an interrupted evaluation
 * continues where it stopped and later tools can look at single pairs. One append-only file per
 * model and shard under scores/: a header line, then one JSON array per pair,
 *
 *   {"format":"pconv-bench/pair-scores@1","model":"PConv","fingerprint":"…","engine":"…"}
 *   [k,"stamp",l1Hole,l1,psnr,ssim]
 *
 * `fingerprint` names what scored the pairs (the checkpoint's tensors, the engine asked for, the
 * image size); `stamp` names what was scored (the test image's name, size and modification time,
 * the mask's hash), so a replaced photo invalidates only its own pairs. JSON numbers read back to
 * the same doubles, so kept scores summarise to the same bytes as fresh ones. Lines are written in
 * batches and fsync'd; a line torn by a crash is dropped when the file is next opened.
 */
export const PAIR_SCORES_FORMAT = 'pconv-bench/pair-scores@1';
export const SCORES_DIR = RUN_FOLDERS.scores;

export interface ScoresHeader {
  readonly model: string;
  readonly fingerprint: string;
  /** What ran the model forward (recorded in results.json), when a model did. */
  readonly engine?: string;
}

export interface PairScore {
  readonly k: number;
  readonly stamp: string;
  readonly metrics: ImageMetrics;
}

/** A file-name-safe form of a model's name: "Conv (baseline)" -> "conv-baseline". */
export function slugOf(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .toLowerCase() || 'model'
  );
}

export function scoresFileName(model: string, shard?: { readonly index: number; readonly count: number }): string {
  return `${slugOf(model)}${shard ? `.shard-${shard.index}-of-${shard.count}` : ''}.jsonl`;
}

function isScoresFileOf(file: string, model: string): boolean {
  const slug = slugOf(model);
  return file === `${slug}.jsonl` || new RegExp(`^${slug}\\.shard-\\d+-of-\\d+\\.jsonl$`).test(file);
}

export function recordLine(score: PairScore): string {
  const m = score.metrics;
  return `${JSON.stringify([score.k, score.stamp, m.l1Hole ?? null, m.l1, m.psnr, m.ssim])}\n`;
}

interface ParsedFile {
  readonly header: ScoresHeader | undefined;
  readonly scores: PairScore[];
  /** Bytes up to the end of the last whole line: what survives a torn last write. */
  readonly intactBytes: number;
}

function parseScoresFile(text: string): ParsedFile {
  const scores: PairScore[] = [];
  let header: ScoresHeader | undefined;
  let at = 0;
  let intactBytes = 0;
  while (at < text.length) {
    const end = text.indexOf('\n', at);
    if (end < 0) break;
    const line = text.slice(at, end);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      break;
    }
    if (header === undefined) {
      const h = value as { format?: unknown; model?: unknown; fingerprint?: unknown; engine?: unknown };
      if (h?.format !== PAIR_SCORES_FORMAT || typeof h.model !== 'string' || typeof h.fingerprint !== 'string') break;
      header = { model: h.model, fingerprint: h.fingerprint, ...(typeof h.engine === 'string' ? { engine: h.engine } : {}) };
    } else {
      const r = value as unknown[];
      if (
        !Array.isArray(r) ||
        r.length !== 6 ||
        !Number.isInteger(r[0]) ||
        typeof r[1] !== 'string' ||
        !(r[2] === null || typeof r[2] === 'number') ||
        !r.slice(3).every((v) => typeof v === 'number')
      )
        break;
      scores.push({
        k: r[0] as number,
        stamp: r[1] as string,
        metrics: { l1Hole: typeof r[2] === 'number' ? r[2] : undefined, l1: r[3] as number, psnr: r[4] as number, ssim: r[5] as number },
      });
    }
    at = end + 1;
    // Byte length, not string length: a model name may hold characters outside ASCII.
    intactBytes += Buffer.byteLength(line) + 1;
  }
  return { header, scores, intactBytes };
}

export interface KeptScores {
  /** Scores of pairs from files made by the same scorer, first file wins on repeats. */
  readonly scores: Map<number, PairScore>;
  readonly engine: string | undefined;
  /** Files of this model made by something else (another checkpoint, engine or size). */
  readonly stale: string[];
}

/** Every kept score of `model` in a run folder, from the files of any shard. */
export async function readKeptScores(runDir: string, model: string, fingerprint: string): Promise<KeptScores> {
  const dir = join(runDir, SCORES_DIR);
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => isScoresFileOf(f, model)).sort();
  const scores = new Map<number, PairScore>();
  const stale: string[] = [];
  let engine: string | undefined;
  for (const file of files) {
    const parsed = parseScoresFile(await readFile(join(dir, file), 'utf8'));
    if (parsed.header?.model !== model || parsed.header.fingerprint !== fingerprint) {
      stale.push(join(dir, file));
      continue;
    }
    engine ??= parsed.header.engine;
    for (const score of parsed.scores) if (!scores.has(score.k)) scores.set(score.k, score);
  }
  return { scores, engine, stale };
}

/** Removes the score files of the given models (all shards): `eval --restart`, `run --from eval`. */
export async function removeScores(runDir: string, models: readonly string[]): Promise<void> {
  const dir = join(runDir, SCORES_DIR);
  const files = await readdir(dir).catch(() => [] as string[]);
  for (const file of files) if (models.some((m) => isScoresFileOf(file, m))) await rm(join(dir, file), { force: true });
}

/** Appends scores to one model's file (of one shard), durably. */
export class ScoresWriter {
  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  /**
   * Opens the file for appending: one of the same scorer keeps its whole lines (a torn last line
   * is cut off), anything else is started afresh with this header.
   */
  static async open(runDir: string, header: ScoresHeader, shard?: { index: number; count: number }): Promise<ScoresWriter> {
    const dir = join(runDir, SCORES_DIR);
    await mkdir(dir, { recursive: true });
    const path = join(dir, scoresFileName(header.model, shard));
    const existing = await readFile(path, 'utf8').catch(() => undefined);
    const parsed = existing === undefined ? undefined : parseScoresFile(existing);
    const same = parsed?.header?.model === header.model && parsed.header.fingerprint === header.fingerprint;
    const handle = await open(path, same ? 'r+' : 'w');
    try {
      if (same) {
        await handle.truncate(parsed?.intactBytes ?? 0);
      } else {
        await handle.write(`${JSON.stringify({ format: PAIR_SCORES_FORMAT, ...header })}\n`, 0);
        await handle.sync();
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new ScoresWriter(handle, path);
  }

  /** Appends run one after another: batches scored at the same time must not write over each other. */
  private queue: Promise<void> = Promise.resolve();

  /** Writes the lines at the end of the file and waits until they are on disk. */
  append(scores: readonly PairScore[]): Promise<void> {
    if (scores.length === 0) return this.queue;
    const text = scores.map(recordLine).join('');
    const write = this.queue.then(async () => {
      const { size } = await this.handle.stat();
      await this.handle.write(text, size);
      await this.handle.sync();
    });
    this.queue = write.catch(() => {});
    return write;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.handle.close();
  }
}

/** Every score file of `model` in a run folder, whatever scored it (`compare` reads them). */
export interface StoredScores {
  /** Per pair k: the score written last in its file; of several files (shards), the first file's. */
  readonly scores: Map<number, PairScore>;
  /** The fingerprints the files were written with: one, unless files of another scorer are left over. */
  readonly fingerprints: readonly string[];
  /** The files read, as paths. */
  readonly files: readonly string[];
}

/**
 * The per-pair scores of `model` as the last evaluation left them. Within a file the last line of a
 * pair wins: an evaluation appends a fresh score after a kept one whose stamp no longer held.
 */
export async function readStoredScores(runDir: string, model: string): Promise<StoredScores> {
  const dir = join(runDir, SCORES_DIR);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((f) => isScoresFileOf(f, model)).sort();
  const scores = new Map<number, PairScore>();
  const fingerprints = new Set<string>();
  const files: string[] = [];
  for (const name of names) {
    const parsed = parseScoresFile(await readFile(join(dir, name), 'utf8'));
    if (parsed.header?.model !== model) continue;
    fingerprints.add(parsed.header.fingerprint);
    files.push(join(dir, name));
    const own = new Map<number, PairScore>();
    for (const score of parsed.scores) own.set(score.k, score);
    for (const [k, score] of own) if (!scores.has(k)) scores.set(k, score);
  }
  return { scores, fingerprints: [...fingerprints], files };
}
