import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { type Results, ResultsSchema } from '../../../src/protocol/results.js';

/**
 * The stages of `pconv-bench run`, in order, as named by their markers in <run>/stages/. They
 * mirror STAGES in src/pipeline/run-experiment.ts, which cannot be imported here (that module
 * loads TensorFlow.js); the runs-model test checks them against a real run folder.
 */
export const RUN_STAGES = ['masks', 'train-pconv', 'train-conv', 'eval', 'report'] as const;
export type RunStage = (typeof RUN_STAGES)[number];

export type RunStatus = 'running' | 'finished' | 'failed' | 'interrupted';

/** How the last CLI process the extension ran on a folder ended (the CLI leaves no mark of a failure on disk). */
export interface RunOutcome {
  readonly exitCode: number;
  /** When it ended, ms since the epoch. */
  readonly at: number;
  readonly message: string;
}

export interface Headline {
  readonly model: string;
  readonly kind: Results['models'][number]['kind'];
  /** Means over all test pairs (every bin and border subset), or null when no pair was scored. */
  readonly psnr: number | null;
  readonly ssim: number | null;
  readonly l1Hole: number | null;
  readonly pairs: number;
}

export interface CheckpointInfo {
  readonly kind: string;
  readonly phase: 'phase2' | 'phase1' | 'latest';
  readonly dir: string;
  readonly step: number;
}

export interface RunInfo {
  readonly dir: string;
  /** The folder relative to the reports folder, e.g. "demo" or "demo/2026-11-25". */
  readonly label: string;
  readonly status: RunStatus;
  /** Why it has that status, for people. */
  readonly detail: string;
  readonly stages: readonly { readonly stage: RunStage; readonly done: boolean }[];
  /** The first stage without a marker: where a resume starts. */
  readonly nextStage?: RunStage;
  /** Training progress from each model's latest checkpoint. */
  readonly training: readonly { readonly kind: string; readonly step: number; readonly totalSteps: number | null }[];
  readonly headline: readonly Headline[];
  readonly checkpoints: readonly CheckpointInfo[];
  /** The config the run was made from (the header of config.resolved.yaml): what resume runs. */
  readonly configFile?: string;
  readonly hasReport: boolean;
  readonly hasResults: boolean;
  readonly lock?: { readonly pid: number; readonly host?: string; readonly startedAt?: string; readonly alive: boolean };
  /** Files of the run that could not be read, with why. */
  readonly problems: readonly string[];
}

export interface ScanOptions {
  readonly outcomes?: Readonly<Record<string, RunOutcome>>;
  readonly isAlive?: (pid: number) => boolean;
  readonly hostname?: string;
}

/** The run lock of src/pipeline/run-lock.ts. */
const LOCK_FILE = '.pconv-bench.lock';
const RUN_MARKS = ['stages', 'config.resolved.yaml', 'results.json', LOCK_FILE, 'checkpoints', join('masks', 'manifest.json')];

function processAlive(pid: number): boolean {
  // kill(0) and kill(-1) address process groups and succeed: a damaged lock is not a live run.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function mtimeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8'));
}

async function isRunFolder(dir: string): Promise<boolean> {
  for (const mark of RUN_MARKS) if ((await mtimeOf(join(dir, mark))) !== undefined) return true;
  return false;
}

async function subfolders(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => join(dir, e.name))
    .sort();
}

/** Means over all pairs: each pair is in exactly one (bin, subset) row per model, so weight rows by n. */
export function headlineOf(results: Results): Headline[] {
  return results.models.map((model) => {
    const rows = results.rows.filter((r) => r.model === model.name);
    const mean = (metric: 'psnr' | 'ssim' | 'l1Hole') => {
      let sum = 0;
      let n = 0;
      for (const row of rows) {
        const s = row.metrics[metric];
        if (s.mean === null) continue;
        sum += s.mean * s.n;
        n += s.n;
      }
      return n ? sum / n : null;
    };
    return {
      model: model.name,
      kind: model.kind,
      psnr: mean('psnr'),
      ssim: mean('ssim'),
      l1Hole: mean('l1Hole'),
      pairs: rows.reduce((a, r) => a + r.metrics.psnr.n, 0),
    };
  });
}

/** "PSNR 29.51 dB (PConv) vs 26.63 dB (baseline)", or every model when there is no pair to compare. */
export function headlineText(headline: readonly Headline[]): string {
  const db = (h: Headline) => (h.psnr === null ? '-' : `${h.psnr.toFixed(2)} dB`);
  const pconv = headline.find((h) => h.kind === 'pconv');
  const conv = headline.find((h) => h.kind === 'conv');
  if (pconv && conv) return `PSNR ${db(pconv)} (${pconv.model}) vs ${db(conv)} (${conv.model})`;
  return headline.length ? `PSNR ${headline.map((h) => `${h.model} ${db(h)}`).join(', ')}` : '';
}

async function readCheckpoints(dir: string): Promise<{ checkpoints: CheckpointInfo[]; training: RunInfo['training'] }> {
  const checkpoints: CheckpointInfo[] = [];
  const training: { kind: string; step: number; totalSteps: number | null }[] = [];
  for (const kindDir of await subfolders(join(dir, 'checkpoints'))) {
    const kind = relative(join(dir, 'checkpoints'), kindDir);
    for (const phase of ['phase2', 'phase1', 'latest'] as const) {
      let meta: { step?: unknown; config?: { train?: { phase1?: { steps?: unknown }; phase2?: { steps?: unknown } } } };
      try {
        meta = (await readJson(join(kindDir, phase, 'checkpoint.json'))) as typeof meta;
      } catch {
        continue;
      }
      if (typeof meta.step !== 'number') continue;
      checkpoints.push({ kind, phase, dir: join(kindDir, phase), step: meta.step });
      if (phase === 'latest') {
        const p1 = meta.config?.train?.phase1?.steps;
        const p2 = meta.config?.train?.phase2?.steps;
        training.push({ kind, step: meta.step, totalSteps: typeof p1 === 'number' && typeof p2 === 'number' ? p1 + p2 : null });
      }
    }
  }
  return { checkpoints, training };
}

async function readLock(dir: string, options: ScanOptions): Promise<RunInfo['lock']> {
  let holder: { pid?: unknown; host?: unknown; startedAt?: unknown };
  try {
    holder = (await readJson(join(dir, LOCK_FILE))) as typeof holder;
  } catch {
    // No lock, or one torn by a crash while it was written: nobody holds it (as run-lock.ts reads it).
    return undefined;
  }
  if (typeof holder.pid !== 'number') return undefined;
  const host = typeof holder.host === 'string' ? holder.host : undefined;
  const sameHost = host === undefined || host === (options.hostname ?? hostname());
  // A lock of another machine (a shared folder) cannot be checked from here: it counts as held, as the CLI counts it.
  const alive = !sameHost || (options.isAlive ?? processAlive)(holder.pid);
  return { pid: holder.pid, ...(host ? { host } : {}), ...(typeof holder.startedAt === 'string' ? { startedAt: holder.startedAt } : {}), alive };
}

/** One run folder as the Runs view shows it; everything comes from the files, plus the known outcome of the last process. */
export async function readRun(dir: string, label: string, options: ScanOptions = {}): Promise<RunInfo> {
  const problems: string[] = [];
  const stages = await Promise.all(RUN_STAGES.map(async (stage) => ({ stage, done: (await mtimeOf(join(dir, 'stages', `${stage}.json`))) !== undefined })));
  const done = stages.filter((s) => s.done).length;
  const nextStage = stages.find((s) => !s.done)?.stage;
  let results: Results | undefined;
  const hasResults = (await mtimeOf(join(dir, 'results.json'))) !== undefined;
  if (hasResults) {
    try {
      const parsed = ResultsSchema.safeParse(await readJson(join(dir, 'results.json')));
      if (parsed.success) results = parsed.data;
      else problems.push(`results.json does not match the results schema (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
    } catch (error) {
      problems.push(`results.json is not readable JSON (${(error as Error).message})`);
    }
  }
  let configFile: string | undefined;
  try {
    configFile = /^# resolved from (.+)$/m.exec(await readFile(join(dir, 'config.resolved.yaml'), 'utf8'))?.[1]?.trim();
  } catch {
    // A run folder made by single commands (masks, train) has no resolved config: no resume.
  }
  const { checkpoints, training } = await readCheckpoints(dir);
  const lock = await readLock(dir, options);
  const finished = done === RUN_STAGES.length && results !== undefined;
  // Every `run` rewrites config.resolved.yaml when it starts: an outcome older than that belongs to an earlier process.
  const startedAt = await mtimeOf(join(dir, 'config.resolved.yaml'));
  const outcome = options.outcomes?.[dir];
  const current = outcome && (startedAt === undefined || outcome.at >= startedAt) ? outcome : undefined;

  let status: RunStatus;
  let detail: string;
  if (lock?.alive) {
    status = 'running';
    detail = `pid ${lock.pid}${lock.host ? ` on ${lock.host}` : ''}${lock.startedAt ? ` since ${lock.startedAt}` : ''}`;
  } else if (finished) {
    status = 'finished';
    detail = `all ${RUN_STAGES.length} stages done`;
  } else if (current && current.exitCode !== 0 && current.exitCode !== 130) {
    status = 'failed';
    detail = current.message;
  } else if (lock) {
    status = 'interrupted';
    detail = `its process (pid ${lock.pid}) ended without finishing: killed, or the machine restarted`;
  } else {
    status = 'interrupted';
    detail = current?.exitCode === 130 ? `stopped at ${nextStage ?? 'the end'}; a checkpoint was saved` : `${done} of ${RUN_STAGES.length} stages done`;
  }
  return {
    dir,
    label,
    status,
    detail,
    stages,
    ...(nextStage ? { nextStage } : {}),
    training,
    headline: results ? headlineOf(results) : [],
    checkpoints,
    ...(configFile ? { configFile } : {}),
    hasReport: (await mtimeOf(join(dir, 'index.html'))) !== undefined,
    hasResults,
    ...(lock ? { lock } : {}),
    problems,
  };
}

/**
 * The runs under a reports folder: <reports>/<name>/ (the CLI's default run folder) and
 * <reports>/<name>/<runId>/ (folders given with --run). Sorted by label; a missing folder is no runs.
 */
export async function scanRuns(reportsDir: string, options: ScanOptions = {}): Promise<RunInfo[]> {
  const runs: RunInfo[] = [];
  for (const dir of await subfolders(reportsDir)) {
    const candidates = (await isRunFolder(dir)) ? [dir] : await subfolders(dir);
    for (const candidate of candidates) {
      if (candidate !== dir && !(await isRunFolder(candidate))) continue;
      runs.push(await readRun(candidate, relative(reportsDir, candidate), options));
    }
  }
  return runs;
}

/**
 * What to remember of a finished CLI process for its run folder. A stop the user asked for counts
 * as interrupted even when it had to end with SIGKILL; any other death or non-zero exit as failed.
 */
export function runOutcomeOf(outcome: { exitCode: number | null; cancelled: boolean; message: string }, at = Date.now()): RunOutcome {
  return { exitCode: outcome.cancelled ? 130 : (outcome.exitCode ?? -1), at, message: outcome.message };
}

/** The CLI arguments that continue a run where it stopped: the same config into the same folder. */
export function resumeArgs(run: RunInfo): string[] {
  if (!run.configFile)
    throw new Error(`${run.dir} has no config.resolved.yaml naming its config, so it cannot be resumed; run its config with --run ${run.dir}`);
  return ['run', run.configFile, '--run', run.dir];
}
