import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { processAlive } from '../../../src/pipeline/process-alive.js';
import { type Results, ResultsSchema } from '../../../src/protocol/results.js';
import {
  CHECKPOINT_FILES,
  type CheckpointSlot,
  type ModelKindName,
  RUN_FILES,
  RUN_STAGES,
  type RunLayout,
  RunLockSchema,
  type RunRecord,
  RunRecordSchema,
  type RunStage,
  runLayout,
} from '../../../src/protocol/run-layout.js';

/** The run folder's names and stages come from the CLI's own contract (I/O-free, so importable here). */
export { RUN_STAGES, type RunStage };

/**
 * running: a live process holds the lock. finished: every stage done. failed / interrupted: how
 * the last command ended (run.json, else what the extension saw, else a lock left by a dead
 * process). partial: the last command finished what it was asked (say `masks` alone) but stages
 * remain, resuming runs them; also a folder no run.json accounts for (a CLI before the record).
 */
export type RunStatus = 'running' | 'finished' | 'partial' | 'failed' | 'interrupted';

/** How the last CLI process the extension ran on a folder ended: what tells the status when run.json does not (a CLI older than its `outcome`, a process killed before writing it). */
export interface RunOutcome {
  readonly exitCode: number;
  /** When it ended, ms since the epoch. */
  readonly at: number;
  /** When the extension started it, ms since the epoch: a run.json started later was written by another process. */
  readonly startedAt?: number;
  readonly message: string;
  /** What the row shows after "failed: ": the CLI's error code, else the signal or exit code. */
  readonly code?: string;
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
  readonly kind: ModelKindName;
  readonly phase: CheckpointSlot;
  readonly dir: string;
  readonly step: number;
}

/** The checkpoints of a model, best first: the end of phase 2, of phase 1, then the newest. */
export const CHECKPOINT_SLOTS = ['phase2', 'phase1', 'latest'] as const satisfies readonly CheckpointSlot[];
/** The trained models, in the order the Runs view lists them. */
const MODEL_KINDS = ['conv', 'pconv'] as const satisfies readonly ModelKindName[];

export interface RunInfo {
  readonly dir: string;
  /** The folder relative to the reports folder, e.g. "demo" or "demo/2026-11-25". */
  readonly label: string;
  /** The workspace folder whose reports folder holds it, named only when the workspace has several. */
  readonly workspaceFolder?: string;
  readonly status: RunStatus;
  /**
   * The status in a few words, for the row: "running", "finished", "masks done", "failed:
   * MASKS_MISSING", "interrupted in train-pconv", "incomplete".
   */
  readonly state: string;
  /** Why it has that status, for people (the failure's message, the process, what remains). */
  readonly detail: string;
  /** The stage a live process is working in, or the one the last command failed or stopped in. */
  readonly activeStage?: RunStage;
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
  readonly lock?: { readonly pid: number; readonly host?: string; readonly startedAt?: string; readonly command?: string; readonly alive: boolean };
  /** The command run.json says worked in the folder last, and how it ended. */
  readonly lastCommand?: { readonly command?: string; readonly outcome: RunRecord['outcome']; readonly finishedAt: string };
  /** Files of the run that could not be read, with why. */
  readonly problems: readonly string[];
}

export interface ScanOptions {
  readonly outcomes?: Readonly<Record<string, RunOutcome>>;
  readonly isAlive?: (pid: number) => boolean;
  readonly hostname?: string;
}

/** What any command that works in a run folder leaves there: one of them makes a folder a run. */
const runMarks = (layout: RunLayout): string[] => [
  layout.stagesDir,
  layout.record,
  layout.resolvedConfig,
  layout.results,
  layout.lock,
  layout.checkpointsDir,
  layout.maskManifest,
];

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
  for (const mark of runMarks(runLayout(dir))) if ((await mtimeOf(mark)) !== undefined) return true;
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

async function readCheckpoints(layout: RunLayout): Promise<{ checkpoints: CheckpointInfo[]; training: RunInfo['training'] }> {
  const checkpoints: CheckpointInfo[] = [];
  const training: { kind: string; step: number; totalSteps: number | null }[] = [];
  for (const kind of MODEL_KINDS) {
    for (const phase of CHECKPOINT_SLOTS) {
      const dir = layout.checkpoint(kind, phase);
      let meta: { step?: unknown; config?: { train?: { phase1?: { steps?: unknown }; phase2?: { steps?: unknown } } } };
      try {
        meta = (await readJson(join(dir, CHECKPOINT_FILES.meta))) as typeof meta;
      } catch {
        continue;
      }
      if (typeof meta.step !== 'number') continue;
      checkpoints.push({ kind, phase, dir, step: meta.step });
      if (phase === 'latest') {
        const p1 = meta.config?.train?.phase1?.steps;
        const p2 = meta.config?.train?.phase2?.steps;
        training.push({ kind, step: meta.step, totalSteps: typeof p1 === 'number' && typeof p2 === 'number' ? p1 + p2 : null });
      }
    }
  }
  return { checkpoints, training };
}

async function readLock(layout: RunLayout, options: ScanOptions): Promise<RunInfo['lock']> {
  let holder: ReturnType<typeof RunLockSchema.parse>;
  try {
    holder = RunLockSchema.parse(await readJson(layout.lock));
  } catch {
    // No lock, or one torn by a crash while it was written: nobody holds it (as run-lock.ts reads it).
    return undefined;
  }
  const sameHost = holder.host === undefined || holder.host === (options.hostname ?? hostname());
  // A lock of another machine (a shared folder) cannot be checked from here: it counts as held, as the CLI counts it.
  const alive = !sameHost || (options.isAlive ?? processAlive)(holder.pid);
  return {
    pid: holder.pid,
    ...(holder.host ? { host: holder.host } : {}),
    ...(holder.startedAt ? { startedAt: holder.startedAt } : {}),
    ...(holder.command ? { command: holder.command } : {}),
    alive,
  };
}

/** run.json as this extension reads it: `command` may be missing (tolerated, it only names the command). */
const RecordSchema = RunRecordSchema.partial({ command: true });
type ReadRecord = Omit<RunRecord, 'command'> & { command?: string };

/**
 * The folder's run.json, or undefined when there is none or it predates `outcome` (a CLI before the
 * run contract wrote it only when `run` finished: the stage markers say as much). A damaged one is
 * a problem of the run, never an exception.
 */
async function readRecord(path: string, problems: string[]): Promise<ReadRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${RUN_FILES.record} cannot be read (${(error as Error).message})`);
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    problems.push(`${RUN_FILES.record} is not readable JSON (${(error as Error).message})`);
    return undefined;
  }
  if (typeof json === 'object' && json !== null && !Array.isArray(json) && !('outcome' in json)) return undefined;
  const parsed = RecordSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  problems.push(`${RUN_FILES.record} does not match the run record schema (${issue?.path.join('.')}: ${issue?.message})`);
  return undefined;
}

/** The training stages and the model each trains (the Runs view shows a training stage's step). */
export const TRAINING_STAGES: Readonly<Partial<Record<RunStage, ModelKindName>>> = { 'train-pconv': 'pconv', 'train-conv': 'conv' };

interface StatusInputs {
  readonly stages: RunInfo['stages'];
  readonly nextStage: RunStage | undefined;
  /** Every stage marker is there and results.json reads. */
  readonly complete: boolean;
  readonly training: RunInfo['training'];
  readonly lock: RunInfo['lock'];
  readonly record: ReadRecord | undefined;
  /** The extension's outcome of its last process, when newer than run.json (or run.json does not say). */
  readonly outcome: RunOutcome | undefined;
}

interface StatusOf {
  readonly status: RunStatus;
  readonly state: string;
  readonly detail: string;
  readonly activeStage?: RunStage;
}

/** The stages each command works on (`run` all of them, unless --only says fewer). */
const COMMAND_STAGES: Readonly<Record<string, readonly RunStage[]>> = {
  masks: ['masks'],
  train: ['train-pconv', 'train-conv'],
  eval: ['eval'],
  report: ['report'],
};

/** Stage names for a row: both training stages read as "training". */
function stageNames(list: readonly RunStage[]): string {
  const both = list.filter((s) => TRAINING_STAGES[s]).length === 2;
  const names = list.map((s) => (both && TRAINING_STAGES[s] ? 'training' : s));
  return names.filter((name, i) => names.indexOf(name) === i).join(', ');
}

/**
 * Why the run is where it is, in order of authority: a live lock; the extension's own outcome when
 * run.json does not cover its process; a lock left by a dead process (no record of that process
 * can exist); the CLI's run.json; and for folders without one (a CLI before run.json's outcome),
 * what the files and the extension saw.
 */
function statusOf({ stages, nextStage, complete, training, lock, record, outcome }: StatusInputs): StatusOf {
  const all = RUN_STAGES.length;
  const done = stages.filter((s) => s.done).length;
  const by = (command: string | undefined) => (command ? `pconv-bench ${command}` : 'pconv-bench');
  const trainedTo = (stage: RunStage | undefined) => {
    const kind = stage && TRAINING_STAGES[stage];
    const t = kind ? training.find((x) => x.kind === kind) : undefined;
    return t ? `; latest checkpoint at step ${t.step}${t.totalSteps ? `/${t.totalSteps}` : ''}` : '';
  };
  // The stage a command was working in when nothing records it: the first of its stages without a
  // marker (stages run in order, and each writes its marker when it ends).
  const workingIn = (command: string | undefined) => {
    const own = command ? COMMAND_STAGES[command] : undefined;
    return own ? own.find((stage) => !stages.find((s) => s.stage === stage)?.done) : nextStage;
  };
  const at = (stage: RunStage | undefined) => (stage ? { activeStage: stage } : {});
  if (lock?.alive) {
    const where = `pid ${lock.pid}${lock.host ? ` on ${lock.host}` : ''}${lock.startedAt ? ` since ${lock.startedAt}` : ''}`;
    return {
      status: 'running',
      state: lock.command && lock.command !== 'run' ? `running ${lock.command}` : 'running',
      detail: lock.command ? `${by(lock.command)}, ${where}` : where,
      ...at(workingIn(lock.command)),
    };
  }
  if (outcome && outcome.exitCode !== 0 && outcome.exitCode !== 130)
    return { status: 'failed', state: `failed: ${outcome.code ?? `exit ${outcome.exitCode}`}`, detail: outcome.message };
  if (lock) {
    const who = lock.command ? `${by(lock.command)}, pid ${lock.pid}` : `pid ${lock.pid}`;
    const stage = workingIn(lock.command);
    return {
      status: 'interrupted',
      state: stage ? `interrupted in ${stage}` : 'interrupted',
      detail: `its process (${who}) ended without finishing: killed, or the machine restarted`,
      ...at(stage),
    };
  }
  if (record) {
    const { outcome: end, command } = record;
    const suffix = command ? ` (${by(command)})` : '';
    if (end.status === 'failed') {
      const where = end.stage ? ` in ${end.stage}` : '';
      return {
        status: 'failed',
        state: end.error ? `failed: ${end.error.code}` : 'failed',
        detail: end.error ? `${end.error.code}${where}: ${end.error.message}${suffix}` : `${by(command)} failed${where}`,
        ...at(end.stage),
      };
    }
    if (end.status === 'interrupted') {
      // No stage: stopped before its first stage began (while checking its inputs).
      const stage = end.stage ?? workingIn(command);
      return {
        status: 'interrupted',
        state: end.stage ? `interrupted in ${end.stage}` : stage ? `interrupted before ${stage}` : 'interrupted',
        detail: `stopped at ${stage ?? 'the end'}${suffix}${trainedTo(stage)}`,
        ...at(end.stage),
      };
    }
    if (complete) return { status: 'finished', state: 'finished', detail: `all ${all} stages done` };
    if (done === all)
      return { status: 'partial', state: 'no readable results', detail: `all ${all} stages done, but ${RUN_FILES.results} is missing or unreadable` };
    // The command did what it was asked (`masks` alone, say): the rest is still to run, nothing stopped it.
    const asked = record.stages.filter((s) => s.status !== 'not asked').map((s) => s.stage);
    const isDone = (stage: RunStage) => stages.find((s) => s.stage === stage)?.done === true;
    const parts = [
      ...(asked.some(isDone) ? [`${stageNames(asked.filter(isDone))} done`] : []),
      // A stage the command ran only part of (one phase, one shard): no marker.
      ...(asked.some((s) => !isDone(s)) ? [`${stageNames(asked.filter((s) => !isDone(s)))} in part`] : []),
    ];
    const last = asked.at(-1);
    const lastText = last ? `last: ${last}${isDone(last) ? '' : ' in part'}, ` : '';
    return {
      status: 'partial',
      state: parts.length ? parts.join(', ') : `${command ?? 'last command'} done`,
      detail: `${done} of ${all} stages done (${lastText}by ${by(command)})`,
    };
  }
  if (complete) return { status: 'finished', state: 'finished', detail: `all ${all} stages done` };
  if (outcome?.exitCode === 130)
    return {
      status: 'interrupted',
      state: nextStage ? `interrupted in ${nextStage}` : 'interrupted',
      detail: `stopped at ${nextStage ?? 'the end'}; a checkpoint was saved`,
      ...at(nextStage),
    };
  // Every command of this CLI writes run.json however it ends, and a killed one leaves its lock:
  // a folder with neither comes from an older CLI (or was put together by hand). How its last
  // command ended is unknown, so it is called neither interrupted nor failed.
  return { status: 'partial', state: 'incomplete', detail: `${done} of ${all} stages done; no ${RUN_FILES.record} says how the last command ended` };
}

/** One run folder as the Runs view shows it: everything comes from its files (run.json first), plus the known outcome of the extension's last process. */
export async function readRun(dir: string, label: string, options: ScanOptions = {}): Promise<RunInfo> {
  const layout = runLayout(dir);
  const problems: string[] = [];
  const stages = await Promise.all(RUN_STAGES.map(async (stage) => ({ stage, done: (await mtimeOf(layout.stageMarker(stage))) !== undefined })));
  const done = stages.filter((s) => s.done).length;
  const nextStage = stages.find((s) => !s.done)?.stage;
  let results: Results | undefined;
  const hasResults = (await mtimeOf(layout.results)) !== undefined;
  if (hasResults) {
    try {
      const parsed = ResultsSchema.safeParse(await readJson(layout.results));
      if (parsed.success) results = parsed.data;
      else
        problems.push(`${RUN_FILES.results} does not match the results schema (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
    } catch (error) {
      problems.push(`${RUN_FILES.results} is not readable JSON (${(error as Error).message})`);
    }
  }
  let configFile: string | undefined;
  try {
    configFile = /^# resolved from (.+)$/m.exec(await readFile(layout.resolvedConfig, 'utf8'))?.[1]?.trim();
  } catch {
    // A run folder made by report alone has no resolved config: no resume.
  }
  const { checkpoints, training } = await readCheckpoints(layout);
  const lock = await readLock(layout, options);
  const record = await readRecord(layout.record, problems);
  // Every command given a config rewrites config.resolved.yaml when it starts: an outcome older than that belongs to an earlier process.
  const startedAt = await mtimeOf(layout.resolvedConfig);
  const outcome = options.outcomes?.[dir];
  const seen = outcome && (startedAt === undefined || outcome.at >= startedAt) ? outcome : undefined;
  // run.json is the CLI's own account. The extension's outcome tells more only of a process run.json
  // does not cover: one killed before writing it (run.json started before it), or a CLI whose
  // run.json has no outcome. An outcome without its start time (an older extension) yields to run.json.
  const covered = record !== undefined && seen !== undefined && (seen.startedAt === undefined || Date.parse(record.startedAt) >= seen.startedAt);
  const { status, state, detail, activeStage } = statusOf({
    stages,
    nextStage,
    complete: done === RUN_STAGES.length && results !== undefined,
    training,
    lock,
    record,
    outcome: covered ? undefined : seen,
  });
  return {
    dir,
    label,
    status,
    state,
    detail,
    ...(activeStage ? { activeStage } : {}),
    stages,
    ...(nextStage ? { nextStage } : {}),
    training,
    headline: results ? headlineOf(results) : [],
    checkpoints,
    ...(configFile ? { configFile } : {}),
    hasReport: (await mtimeOf(layout.report)) !== undefined,
    hasResults,
    ...(lock ? { lock } : {}),
    ...(record ? { lastCommand: { ...(record.command ? { command: record.command } : {}), outcome: record.outcome, finishedAt: record.finishedAt } } : {}),
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
export function runOutcomeOf(
  outcome: { exitCode: number | null; cancelled: boolean; message: string; signal?: NodeJS.Signals | null; errors?: readonly { code: string }[] },
  at = Date.now(),
  startedAt?: number,
): RunOutcome {
  const exitCode = outcome.cancelled ? 130 : (outcome.exitCode ?? -1);
  const code = outcome.errors?.at(-1)?.code ?? outcome.signal ?? (outcome.exitCode === null ? undefined : `exit ${outcome.exitCode}`);
  return {
    exitCode,
    at,
    ...(startedAt === undefined ? {} : { startedAt }),
    message: outcome.message,
    ...(code && exitCode !== 0 && exitCode !== 130 ? { code } : {}),
  };
}

/** The CLI arguments that continue a run where it stopped: the same config into the same folder. */
export function resumeArgs(run: RunInfo): string[] {
  if (!run.configFile)
    throw new Error(`${run.dir} has no ${RUN_FILES.resolvedConfig} naming its config, so it cannot be resumed; run its config with --run ${run.dir}`);
  return ['run', run.configFile, '--run', run.dir];
}
