import { cp, mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, test } from 'vitest';
import type { PconvEvent } from '../../../src/protocol/events.js';
import {
  RUN_STAGES as CLI_RUN_STAGES,
  type RunLockHolder,
  RunLockSchema,
  type RunRecord,
  RunRecordSchema,
  type RunStage,
  runLayout,
  StageMarkerSchema,
} from '../../../src/protocol/run-layout.js';
import { checkpointChoices } from '../../src/host/checkpoint-choices.js';
import { type CliOutcome, startCli } from '../../src/host/cli-process.js';
import { headlineText, RUN_STAGES, type RunOutcome, readRun, resumeArgs, runOutcomeOf, scanRuns } from '../../src/host/runs-model.js';
import { isResumable, runContext, runDetailRows, runRow } from '../../src/host/runs-view-model.js';
import { assertCliBuilt, realCli, repoRoot, useTempDirs } from './helpers/real-cli.js';

const tempDir = useTempDirs();
const config = join(repoRoot, 'configs', 'smoke.yaml');
let reports: string;
let finished: string;

type Started = CliOutcome & { readonly startedAt: number };

/** The real CLI with `args`, as the extension starts it (remembering when); `onEvent` may stop it. */
async function runCli(args: string[], onEvent?: (event: PconvEvent, child: ReturnType<typeof startCli>) => void): Promise<Started> {
  const startedAt = Date.now();
  const child: ReturnType<typeof startCli> = startCli({ cliPath: realCli, args, cwd: repoRoot, onEvent: (event) => onEvent?.(event, child) });
  return { ...(await child.done), startedAt };
}

/** The real CLI's `run` on configs/smoke.yaml into `dir`. */
const runSmoke = (dir: string, onEvent?: (event: PconvEvent, child: ReturnType<typeof startCli>) => void) =>
  runCli(['run', config, '--run', dir, '--backend', 'wasm'], onEvent);

/** The extension's record of how its process ended, as CliRunner keeps it. */
const outcomeOf = (dir: string, o: Started): Record<string, RunOutcome> => ({ [dir]: runOutcomeOf(o, Date.now(), o.startedAt) });

/** A run.json as runStages writes it, for a folder where `masks` ran last unless `changes` say otherwise. */
function runRecord(changes: Partial<RunRecord> = {}): RunRecord {
  return {
    command: 'masks',
    config,
    seed: 1,
    versions: { 'pconv-bench': '0.1.0', node: process.version },
    backend: null,
    stages: CLI_RUN_STAGES.map((stage) => ({ stage, status: stage === 'masks' ? 'ran' : 'not asked' })),
    outcome: { status: 'finished' },
    startedAt: new Date(Date.now() - 3_000).toISOString(),
    finishedAt: new Date().toISOString(),
    ...changes,
  };
}

/**
 * The files `pconv-bench masks` leaves in a run folder (the smoke run's mask set, its marker and
 * resolved config), with `record` as run.json: an object, raw text, or nothing.
 */
async function masksFolder(name: string, record: RunRecord | Record<string, unknown> | string | undefined): Promise<string> {
  const dir = join(await tempDir(), name);
  const from = runLayout(finished);
  const to = runLayout(dir);
  await cp(from.masksDir, to.masksDir, { recursive: true });
  await mkdir(to.stagesDir, { recursive: true });
  await cp(from.stageMarker('masks'), to.stageMarker('masks'));
  await cp(from.resolvedConfig, to.resolvedConfig);
  if (record !== undefined) await writeFile(to.record, typeof record === 'string' ? record : `${JSON.stringify(record, null, 1)}\n`);
  return dir;
}

beforeAll(async () => {
  assertCliBuilt();
  reports = await tempDir();
  finished = join(reports, 'smoke');
  // The finished run the global setup made with the real CLI, copied: the scan test adds folders beside it.
  await cp(inject('smokeRun'), finished, { recursive: true });
});

describe('the runs model on real run folders', () => {
  test('a finished run: every stage, headline metrics from results.json, checkpoints, its config', async () => {
    // The stage names mirror src/pipeline/run-experiment.ts: exactly the markers a real run writes.
    expect((await readdir(join(finished, 'stages'))).sort()).toEqual(RUN_STAGES.map((s) => `${s}.json`).sort());
    const run = await readRun(finished, 'smoke');
    expect(run).toMatchObject({ status: 'finished', label: 'smoke', configFile: config, hasReport: true, hasResults: true, problems: [] });
    expect(run.stages.every((s) => s.done)).toBe(true);
    expect(run.nextStage).toBeUndefined();
    expect(run.training).toEqual([
      { kind: 'conv', step: 30, totalSteps: 30 },
      { kind: 'pconv', step: 30, totalSteps: 30 },
    ]);
    expect(run.checkpoints.map((c) => `${c.kind}/${c.phase}@${c.step}`)).toEqual([
      'conv/phase2@30',
      'conv/phase1@20',
      'conv/latest@30',
      'pconv/phase2@30',
      'pconv/phase1@20',
      'pconv/latest@30',
    ]);
    // The headline is the mean over all pairs, recomputed here from the rows of results.json.
    const results = JSON.parse(await readFile(join(finished, 'results.json'), 'utf8'));
    const pconvRows = results.rows.filter((r: { model: string }) => r.model === 'PConv');
    const pairs = pconvRows.reduce((a: number, r: { metrics: { psnr: { n: number } } }) => a + r.metrics.psnr.n, 0);
    const psnr = pconvRows.reduce((a: number, r: { metrics: { psnr: { n: number; mean: number } } }) => a + r.metrics.psnr.mean * r.metrics.psnr.n, 0) / pairs;
    expect(run.headline.map((h) => h.kind)).toEqual(['pconv', 'conv', 'classical']);
    expect(run.headline[0]).toMatchObject({ model: 'PConv', pairs: results.images.pairs });
    expect(run.headline[0]?.psnr).toBeCloseTo(psnr, 10);
    expect(headlineText(run.headline)).toMatch(/^PSNR \d+\.\d\d dB \(PConv\) vs \d+\.\d\d dB \(Conv \(baseline\)\)$/);
    expect(resumeArgs(run)).toEqual(['run', config, '--run', finished]);
    // What the Runs view shows of it.
    expect(runRow(run)).toMatchObject({ label: 'smoke', description: `finished \u00b7 ${headlineText(run.headline)}`, icon: 'pass' });
    expect(runRow(run, 'eval: 3/24 pairs').description).toBe('finished \u00b7 eval: 3/24 pairs');
    const rows = runDetailRows(run);
    expect(rows.map((r) => `${r.label}: ${r.description.split(',')[0]}`).slice(0, 5)).toEqual(RUN_STAGES.map((s) => `${s}: done`));
    expect(rows.slice(5).map((r) => r.label)).toEqual(['PConv', 'Conv (baseline)', 'Telea (OpenCV, radius 3)']);
    expect(rows[5]?.description).toMatch(/^PSNR \d+\.\d\d dB, SSIM \d\.\d{4}, hole L1 \d+\.\d\d$/);
    expect(runContext(run)).toBe('run hasReport');
    // Inpainting offers PConv's final weights first, and only ids, never paths, go to the webview.
    const choices = checkpointChoices([run]);
    expect(choices.map((c) => c.choice)).toEqual([
      { id: 'c0', label: 'smoke / pconv / phase2 (step 30)' },
      { id: 'c1', label: 'smoke / pconv / phase1 (step 20)' },
      { id: 'c2', label: 'smoke / pconv / latest (step 30)' },
      { id: 'c3', label: 'smoke / conv / phase2 (step 30)' },
      { id: 'c4', label: 'smoke / conv / phase1 (step 20)' },
      { id: 'c5', label: 'smoke / conv / latest (step 30)' },
    ]);
    expect(choices[0]?.checkpoint.dir).toBe(join(finished, 'checkpoints', 'pconv', 'phase2'));
  });

  test('a run stopped with cancel is interrupted at its training stage, with what resumes it', async () => {
    const dir = join(await tempDir(), 'stopped');
    const outcome = await runSmoke(dir, (event, child) => {
      if (event.type === 'progress' && event.stage.startsWith('train-pconv')) child.cancel();
    });
    expect(outcome.exitCode).toBe(130);
    const run = await readRun(dir, 'stopped', { outcomes: outcomeOf(dir, outcome) });
    expect(run).toMatchObject({ status: 'interrupted', nextStage: 'train-pconv', hasResults: false, headline: [] });
    // run.json says where it stopped; the extension's outcome of the same process adds nothing.
    expect(run.detail).toBe(`stopped at train-pconv (pconv-bench run); latest checkpoint at step ${run.training.find((t) => t.kind === 'pconv')?.step}/30`);
    expect(run.lastCommand).toMatchObject({ command: 'run', outcome: { status: 'interrupted', stage: 'train-pconv' } });
    expect(await readRun(dir, 'stopped')).toMatchObject({ status: 'interrupted', detail: run.detail });
    expect(run.stages.filter((s) => s.done).map((s) => s.stage)).toEqual(['masks']);
    const pconv = run.training.find((t) => t.kind === 'pconv');
    expect(pconv?.totalSteps).toBe(30);
    expect(pconv?.step).toBeLessThan(30);
    expect(run).toMatchObject({ state: 'interrupted in train-pconv', activeStage: 'train-pconv' });
    expect(runRow(run)).toMatchObject({ description: 'interrupted in train-pconv \u00b7 1/5 stages', icon: 'debug-pause' });
    expect(runDetailRows(run)[1]).toMatchObject({ label: 'train-pconv', description: `stopped, step ${pconv?.step}/30`, icon: 'debug-pause' });
    expect(runContext(run)).toBe('run resumable');
    expect(resumeArgs(run)).toEqual(['run', config, '--run', dir]);
    // A later `run` rewrites config.resolved.yaml when it starts: the old outcome no longer counts
    // (the extension-host test resumes this way for real), even where run.json would not say.
    const later = new Date(Date.now() + 5_000);
    await utimes(join(dir, 'config.resolved.yaml'), later, later);
    const oldFailure = { [dir]: { exitCode: 2, at: Date.now(), startedAt: Date.now() - 1_000, message: 'old failure' } };
    expect(await readRun(dir, 'stopped', { outcomes: oldFailure })).toMatchObject({ status: 'interrupted', detail: run.detail });
    // Without run.json (a CLI before it) nothing says how it ended: incomplete, neither failed nor interrupted.
    await rm(join(dir, 'run.json'));
    expect(await readRun(dir, 'stopped', { outcomes: oldFailure })).toMatchObject({
      status: 'partial',
      state: 'incomplete',
      detail: '1 of 5 stages done; no run.json says how the last command ended',
    });
  });

  test('a live run is running (its lock names the process); killed with -9 it is interrupted, or failed when the extension saw it die', async () => {
    const dir = join(await tempDir(), 'killed');
    let seen: Awaited<ReturnType<typeof readRun>> | undefined;
    let pid: number | undefined;
    let paused: Promise<void> | undefined;
    const outcome = await runSmoke(dir, (event, child) => {
      if (paused || event.type !== 'progress' || !event.stage.startsWith('train-pconv') || child.pid === undefined) return;
      const childPid = child.pid;
      pid = childPid;
      // Freeze the real CLI mid-training, look at the folder, then kill it as a crash would.
      process.kill(childPid, 'SIGSTOP');
      paused = readRun(dir, 'killed').then((run) => {
        seen = run;
        process.kill(childPid, 'SIGKILL');
      });
    });
    await paused;
    expect(outcome.signal).toBe('SIGKILL');
    expect(seen).toMatchObject({ status: 'running', state: 'running', activeStage: 'train-pconv', lock: { pid, host: hostname(), alive: true } });
    if (seen) expect(runRow(seen)).toMatchObject({ description: 'running \u00b7 1/5 stages', icon: 'sync~spin' });
    if (seen) expect(runDetailRows(seen)[1]).toMatchObject({ label: 'train-pconv', icon: 'loading~spin' });
    if (seen) expect(runDetailRows(seen)[1]?.description).toMatch(/^running/);
    expect(seen).toMatchObject({ lock: { command: 'run' } });
    expect(seen?.detail).toMatch(new RegExp(`^pconv-bench run, pid ${pid} on `));
    // Killed while nobody watched (a terminal, a closed editor): only the stale lock tells.
    const after = await readRun(dir, 'killed');
    expect(after).toMatchObject({ status: 'interrupted', state: 'interrupted in train-pconv', lock: { pid, alive: false }, nextStage: 'train-pconv' });
    expect(after.detail).toBe(`its process (pconv-bench run, pid ${pid}) ended without finishing: killed, or the machine restarted`);
    // SIGKILL left no run.json of its own, so there is none to read.
    expect(after.lastCommand).toBeUndefined();
    // Killed under the extension's eyes without a stop request (the OOM killer, say): a failure.
    const seenDying = await readRun(dir, 'killed', { outcomes: outcomeOf(dir, outcome) });
    expect(seenDying).toMatchObject({
      status: 'failed',
      state: 'failed: SIGKILL',
      detail: 'pconv-bench was killed by SIGKILL before finishing its event stream',
    });
  });

  test('a sample picture gone: `run --only report` fails before any stage, with the CLI message; `run` makes it again at the eval stage', async () => {
    const dir = join(await tempDir(), 'failed');
    await cp(finished, dir, { recursive: true });
    await rm(join(dir, 'index.html'));
    await rm(join(dir, 'stages', 'report.json'));
    const results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'));
    const sample = results.samples[0].input as string;
    await rm(join(dir, sample));
    // The eval stage's outputs include the sample pictures: not whole, and --only report does not run eval.
    const outcome = await runCli(['run', config, '--run', dir, '--only', 'report']);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.message).toMatch(/^failed: sample image .* is missing$/);
    const run = await readRun(dir, 'failed', { outcomes: outcomeOf(dir, outcome) });
    expect(run).toMatchObject({ status: 'failed', nextStage: 'report', hasReport: false, hasResults: true });
    // run.json names the error code, and no stage: it stopped while checking what the report needs.
    expect(run.detail).toMatch(/^[A-Z_]+: sample image .* is missing \(pconv-bench run\)$/);
    expect(await readRun(dir, 'failed')).toMatchObject({ status: 'failed', detail: run.detail });
    const code = /^([A-Z_]+):/.exec(run.detail)?.[1];
    expect(run).toMatchObject({ state: `failed: ${code}` });
    expect(run.activeStage).toBeUndefined();
    expect(runRow(run)).toMatchObject({ icon: 'error', description: `failed: ${code} \u00b7 4/5 stages` });
    expect(runRow(run).tooltip.split('\n').slice(0, 2)).toEqual([`failed: failed: ${code}`, run.detail]);
    // No stage failed: the report is still the next one to run.
    expect(runDetailRows(run)[4]).toMatchObject({ label: 'report', description: 'next', icon: 'circle-large-outline' });
    expect(runContext(run)).toBe('run hasReport resumable');
    // The whole run: eval is not up to date, makes the picture again from the kept scores, then the report.
    const remade = await runSmoke(dir);
    expect(remade.exitCode, remade.message).toBe(0);
    expect(await readFile(join(dir, sample))).toEqual(await readFile(join(finished, sample)));
    const after = await readRun(dir, 'failed', { outcomes: outcomeOf(dir, remade) });
    expect(after).toMatchObject({ status: 'finished', hasReport: true });
    const record = RunRecordSchema.parse(JSON.parse(await readFile(runLayout(dir).record, 'utf8')));
    expect(record.stages.filter((s) => s.status === 'ran').map((s) => s.stage)).toEqual(['eval', 'report']);
  });

  test('an unreadable results.json is a problem of the run, not an exception', async () => {
    const dir = join(await tempDir(), 'damaged');
    await cp(finished, dir, { recursive: true });
    await writeFile(join(dir, 'results.json'), '{"format":"pconv-bench/results@1"}');
    const run = await readRun(dir, 'damaged');
    expect(run.headline).toEqual([]);
    // The last command finished every stage, but what eval wrote no longer reads: not finished, not stopped either.
    expect(run).toMatchObject({ status: 'partial', state: 'no readable results', detail: 'all 5 stages done, but results.json is missing or unreadable' });
    expect(run.problems[0]).toMatch(/^results\.json does not match the results schema \(/);
    await writeFile(join(dir, 'results.json'), '{"format":');
    expect((await readRun(dir, 'damaged')).problems[0]).toMatch(/^results\.json is not readable JSON/);
  });

  test('scanRuns finds <reports>/<name> and <reports>/<name>/<runId> folders and nothing else', async () => {
    await cp(finished, join(reports, 'variants', 'copy-a'), { recursive: true });
    await mkdir(join(reports, 'variants', 'copy-b', 'stages'), { recursive: true });
    await mkdir(join(reports, 'notes', 'drafts'), { recursive: true });
    await writeFile(join(reports, 'notes', 'drafts', 'todo.txt'), 'not a run');
    const runs = await scanRuns(reports);
    expect(runs.map((r) => `${r.label}:${r.status}`)).toEqual(['smoke:finished', 'variants/copy-a:finished', 'variants/copy-b:partial']);
    expect(await scanRuns(join(reports, 'missing'))).toEqual([]);
  });
});

describe("the status comes from the CLI's run.json (issue 19)", () => {
  test('the stage names are the CLI contract itself, not a copy', () => {
    expect(RUN_STAGES).toBe(CLI_RUN_STAGES);
  });

  test('a folder made by `masks` alone (the real CLI) is partial, not interrupted; a failed eval in it, run from a terminal, is failed with its code', async () => {
    const dir = join(await tempDir(), 'masks-only');
    const masks = await runCli(['masks', config, '--out', dir]);
    expect(masks.exitCode).toBe(0);
    const run = await readRun(dir, 'masks-only');
    expect(run).toMatchObject({
      status: 'partial',
      state: 'masks done',
      detail: '1 of 5 stages done (last: masks, by pconv-bench masks)',
      nextStage: 'train-pconv',
      problems: [],
    });
    expect(run.lastCommand).toMatchObject({ command: 'masks', outcome: { status: 'finished' } });
    expect(runRow(run)).toMatchObject({ description: 'masks done \u00b7 1/5 stages', icon: 'milestone' });
    expect(runRow(run).tooltip.split('\n').slice(0, 3)).toEqual([
      'masks-only: masks done',
      '1 of 5 stages done (last: masks, by pconv-bench masks)',
      'next: train-pconv',
    ]);
    expect(runDetailRows(run).map((r) => `${r.label}: ${r.description}`)).toEqual([
      'masks: done',
      'train-pconv: next',
      'train-conv: to do',
      'eval: to do',
      'report: to do',
    ]);
    // Resume runs the stages still to do, with the config `masks` was given.
    expect(isResumable(run)).toBe(true);
    expect(runContext(run)).toBe('run resumable');
    expect(resumeArgs(run)).toEqual(['run', config, '--run', dir]);

    // No extension outcome: as if typed in a terminal. run.json alone says it failed, and why.
    const evaluated = await runCli(['eval', config, '--run', dir]);
    expect(evaluated.exitCode).toBe(1);
    const failed = await readRun(dir, 'masks-only');
    expect(failed).toMatchObject({ status: 'failed', lastCommand: { command: 'eval', outcome: { status: 'failed', stage: 'eval' } } });
    expect(failed.detail).toBe(`EVAL_NO_CHECKPOINTS in eval: no trained model in ${join(dir, 'checkpoints')} (pconv-bench eval)`);
    expect(runRow(failed)).toMatchObject({ description: 'failed: EVAL_NO_CHECKPOINTS \u00b7 1/5 stages', icon: 'error' });
    expect(runRow(failed).tooltip).toContain(`no trained model in ${join(dir, 'checkpoints')}`);
    expect(runDetailRows(failed)[3]).toMatchObject({ label: 'eval', description: 'failed', icon: 'error' });
    expect(runContext(failed)).toBe('run resumable');
  });

  test('a failed run.json: the CLI error code and message, and the stage when it names one', async () => {
    const masksMissing = { code: 'MASKS_MISSING', message: 'the test mask set in /data/run/masks is not whole' };
    const dir = await masksFolder('masks-missing', runRecord({ command: 'eval', stages: [], outcome: { status: 'failed', error: masksMissing } }));
    const run = await readRun(dir, 'masks-missing');
    expect(run).toMatchObject({
      status: 'failed',
      detail: 'MASKS_MISSING: the test mask set in /data/run/masks is not whole (pconv-bench eval)',
      problems: [],
    });
    await writeFile(
      runLayout(dir).record,
      JSON.stringify(runRecord({ command: 'train', outcome: { status: 'failed', stage: 'train-pconv', error: masksMissing } })),
    );
    expect((await readRun(dir, 'masks-missing')).detail).toBe(
      'MASKS_MISSING in train-pconv: the test mask set in /data/run/masks is not whole (pconv-bench train)',
    );
    // No error object: still a failure, of that command.
    await writeFile(runLayout(dir).record, JSON.stringify(runRecord({ command: 'train', outcome: { status: 'failed', stage: 'train-conv' } })));
    expect(await readRun(dir, 'masks-missing')).toMatchObject({ status: 'failed', detail: 'pconv-bench train failed in train-conv' });
  });

  test('an interrupted run.json: stopped at its stage', async () => {
    const record = runRecord({
      command: 'run',
      stages: [{ stage: 'masks', status: 'up to date' }],
      outcome: { status: 'interrupted', stage: 'train-pconv' },
    });
    const dir = await masksFolder('interrupted', record);
    const run = await readRun(dir, 'interrupted');
    expect(run).toMatchObject({ status: 'interrupted', detail: 'stopped at train-pconv (pconv-bench run)', nextStage: 'train-pconv', problems: [] });
    expect(runRow(run)).toMatchObject({ description: 'interrupted in train-pconv \u00b7 1/5 stages', icon: 'debug-pause' });
    // Stopped before any stage began: where it would have gone on.
    await writeFile(runLayout(dir).record, JSON.stringify({ ...record, stages: [], outcome: { status: 'interrupted' } }));
    expect(await readRun(dir, 'interrupted')).toMatchObject({ state: 'interrupted before train-pconv', detail: 'stopped at train-pconv (pconv-bench run)' });
  });

  test('a command that finished only part of a stage: partial, saying so', async () => {
    const record = runRecord({
      command: 'train',
      stages: [
        { stage: 'masks', status: 'not asked' },
        { stage: 'train-pconv', status: 'ran' },
      ],
    });
    const run = await readRun(await masksFolder('phase1', record), 'phase1');
    expect(run).toMatchObject({
      status: 'partial',
      state: 'train-pconv in part',
      detail: '1 of 5 stages done (last: train-pconv in part, by pconv-bench train)',
    });
  });

  test("the extension's own outcome counts only for a process run.json does not cover", async () => {
    const record = runRecord({ command: 'run', stages: [{ stage: 'masks', status: 'up to date' }], outcome: { status: 'interrupted', stage: 'train-pconv' } });
    const dir = await masksFolder('covered', record);
    const recordStart = Date.parse(record.startedAt);
    const died = (startedAt: number | undefined) => ({
      [dir]: { exitCode: -1, at: Date.now() + 1_000, ...(startedAt === undefined ? {} : { startedAt }), message: 'pconv-bench was killed by SIGKILL' },
    });
    // The same process (started before it wrote run.json): run.json says it, better.
    expect(await readRun(dir, 'covered', { outcomes: died(recordStart - 500) })).toMatchObject({ status: 'interrupted' });
    // A later process, killed before it could write run.json: the extension saw it die.
    expect(await readRun(dir, 'covered', { outcomes: died(recordStart + 500) })).toMatchObject({
      status: 'failed',
      detail: 'pconv-bench was killed by SIGKILL',
    });
    // An outcome kept by an older extension, without its start: run.json, the CLI's own word, wins.
    expect(await readRun(dir, 'covered', { outcomes: died(undefined) })).toMatchObject({ status: 'interrupted' });
  });

  test('an older run.json (no command, no outcome) is no problem: the stage markers and the extension outcome tell, as before', async () => {
    const old = {
      config,
      seed: 1,
      versions: { 'pconv-bench': '0.0.9', node: process.version },
      backend: null,
      stages: [{ stage: 'masks', status: 'ran' }],
      finishedAt: new Date().toISOString(),
    };
    const dir = await masksFolder('old', old);
    const run = await readRun(dir, 'old');
    expect(run).toMatchObject({ status: 'partial', state: 'incomplete', problems: [] });
    expect(run.lastCommand).toBeUndefined();
    const at = Date.now() + 1_000;
    expect(await readRun(dir, 'old', { outcomes: { [dir]: { exitCode: 1, at, message: 'failed: no GPU' } } })).toMatchObject({
      status: 'failed',
      state: 'failed: exit 1',
      detail: 'failed: no GPU',
    });
    expect(await readRun(dir, 'old', { outcomes: { [dir]: { exitCode: 1, at, message: 'failed: no GPU', code: 'BACKEND_UNAVAILABLE' } } })).toMatchObject({
      state: 'failed: BACKEND_UNAVAILABLE',
    });
    expect(await readRun(dir, 'old', { outcomes: { [dir]: { exitCode: 130, at, message: 'interrupted' } } })).toMatchObject({
      status: 'interrupted',
      state: 'interrupted in train-pconv',
      detail: 'stopped at train-pconv; a checkpoint was saved',
    });
    // An outcome without `command` is read too: only the command's name is missing from the detail.
    const { command: _, ...noCommand } = runRecord({ outcome: { status: 'failed', error: { code: 'MASKS_MISSING', message: 'gone' } } });
    await writeFile(runLayout(dir).record, JSON.stringify(noCommand));
    expect(await readRun(dir, 'old')).toMatchObject({ status: 'failed', detail: 'MASKS_MISSING: gone', problems: [] });
  });

  test('an unreadable run.json is a problem of the run, never an exception; the status falls back to the files', async () => {
    const dir = await masksFolder('torn', '{"command":"masks","outc');
    const torn = await readRun(dir, 'torn');
    expect(torn).toMatchObject({ status: 'partial', state: 'incomplete' });
    expect(torn.problems).toHaveLength(1);
    expect(torn.problems[0]).toMatch(/^run\.json is not readable JSON \(/);
    expect(runRow(torn).tooltip).toContain(torn.problems[0]);

    await writeFile(runLayout(dir).record, JSON.stringify(runRecord({ outcome: { status: 'exploded' } as unknown as RunRecord['outcome'] })));
    expect((await readRun(dir, 'torn')).problems).toEqual([expect.stringMatching(/^run\.json does not match the run record schema \(outcome\.status: /)]);
    await writeFile(runLayout(dir).record, '[1, 2]');
    expect((await readRun(dir, 'torn')).problems).toEqual([expect.stringMatching(/^run\.json does not match the run record schema \(/)]);

    await rm(runLayout(dir).record);
    await mkdir(runLayout(dir).record);
    const folder = await readRun(dir, 'torn');
    expect(folder).toMatchObject({ status: 'partial', state: 'incomplete' });
    expect(folder.problems).toEqual([expect.stringMatching(/^run\.json cannot be read \(/)]);
  });

  test('scanRuns lists a folder that has only run.json (a command that failed before any stage)', async () => {
    const reportsDir = await tempDir();
    await mkdir(join(reportsDir, 'early'));
    await writeFile(
      runLayout(join(reportsDir, 'early')).record,
      JSON.stringify(runRecord({ command: 'eval', stages: [], outcome: { status: 'failed', error: { code: 'MASKS_MISSING', message: 'no masks' } } })),
    );
    const runs = await scanRuns(reportsDir);
    expect(runs.map((r) => `${r.label}:${r.status}:${r.detail}`)).toEqual(['early:failed:MASKS_MISSING: no masks (pconv-bench eval)']);
  });
});

/**
 * Run folders as the CLI leaves them, written through the protocol's own schemas: run.json as each
 * command wrote it on configs/smoke.yaml (observed with the built CLI: `masks --out`, `train
 * --run`, `eval --run` on a fresh folder and on one with masks and training, `run` stopped with
 * SIGINT in training), stage markers and checkpoints copied from the real finished run, and the lock.
 */
describe('what the Runs view shows of each run folder the CLI leaves (issue 19)', () => {
  const versions = { 'pconv-bench': '0.1.0', node: process.version };
  const wasmBackend = { name: 'wasm', version: '@tensorflow/tfjs-backend-wasm 4.22.0', device: 'CPU, WebAssembly SIMD (XNNPACK), one thread', notes: [] };
  const stagesOf = (ran: readonly string[]) =>
    CLI_RUN_STAGES.map((stage) => ({ stage, status: ran.includes(stage) ? ('ran' as const) : ('not asked' as const) }));

  /** A run folder with these stages' markers (and what they made), `record` as run.json, and a lock when given. */
  async function runFolder(
    name: string,
    { markers, record, lock }: { markers: readonly RunStage[]; record?: Omit<RunRecord, 'startedAt' | 'finishedAt'>; lock?: RunLockHolder },
  ): Promise<string> {
    const dir = join(await tempDir(), name);
    const from = runLayout(finished);
    const to = runLayout(dir);
    await mkdir(to.stagesDir, { recursive: true });
    await cp(from.resolvedConfig, to.resolvedConfig);
    for (const stage of markers) {
      const marker = StageMarkerSchema.parse(JSON.parse(await readFile(from.stageMarker(stage), 'utf8')));
      const command = stage.startsWith('train') ? 'train' : stage;
      await writeFile(to.stageMarker(stage), `${JSON.stringify(StageMarkerSchema.parse({ ...marker, command }))}\n`);
    }
    if (markers.includes('masks')) await cp(from.masksDir, to.masksDir, { recursive: true });
    if (markers.includes('train-pconv')) await cp(from.modelCheckpoints('pconv'), to.modelCheckpoints('pconv'), { recursive: true });
    if (markers.includes('train-conv')) await cp(from.modelCheckpoints('conv'), to.modelCheckpoints('conv'), { recursive: true });
    if (markers.includes('eval')) await cp(from.results, to.results);
    if (record) {
      const full = RunRecordSchema.parse({ ...record, startedAt: new Date(Date.now() - 2_000).toISOString(), finishedAt: new Date().toISOString() });
      await writeFile(to.record, `${JSON.stringify(full, null, 1)}\n`);
    }
    if (lock) await writeFile(to.lock, JSON.stringify(RunLockSchema.parse(lock)));
    return dir;
  }
  const show = async (dir: string) => {
    const run = await readRun(dir, 'r');
    const row = runRow(run);
    return {
      run,
      row,
      stages: runDetailRows(run)
        .slice(0, 5)
        .map((r) => `${r.label}: ${r.description.split(',')[0]}`),
    };
  };

  test('`masks` alone: masks done, not interrupted', async () => {
    const dir = await runFolder('masks', {
      markers: ['masks'],
      record: { command: 'masks', config, seed: 1, versions, backend: null, stages: stagesOf(['masks']), outcome: { status: 'finished' } },
    });
    const { run, row, stages } = await show(dir);
    expect(run).toMatchObject({ status: 'partial', state: 'masks done', problems: [] });
    expect(row).toMatchObject({ description: 'masks done \u00b7 1/5 stages', icon: 'milestone' });
    expect(stages).toEqual(['masks: done', 'train-pconv: next', 'train-conv: to do', 'eval: to do', 'report: to do']);
  });

  test('`train` alone in a fresh folder (it needs no masks): training done', async () => {
    const dir = await runFolder('train', {
      markers: ['train-pconv', 'train-conv'],
      record: {
        command: 'train',
        config,
        seed: 1,
        versions,
        backend: wasmBackend,
        stages: stagesOf(['train-pconv', 'train-conv']),
        outcome: { status: 'finished' },
      },
    });
    const { run, row, stages } = await show(dir);
    expect(run).toMatchObject({ status: 'partial', state: 'training done', detail: '2 of 5 stages done (last: train-conv, by pconv-bench train)' });
    expect(row.description).toBe('training done \u00b7 2/5 stages');
    expect(stages).toEqual(['masks: next', 'train-pconv: done', 'train-conv: done', 'eval: to do', 'report: to do']);
    // One model asked for (train --model conv): that stage, by its name.
    await writeFile(runLayout(dir).record, JSON.stringify({ ...JSON.parse(await readFile(runLayout(dir).record, 'utf8')), stages: stagesOf(['train-conv']) }));
    expect((await show(dir)).row.description).toBe('train-conv done \u00b7 2/5 stages');
  });

  test('`eval` alone after masks and training: eval done; only the report remains', async () => {
    const dir = await runFolder('eval', {
      markers: ['masks', 'train-pconv', 'train-conv', 'eval'],
      record: { command: 'eval', config, seed: 1, versions, backend: wasmBackend, stages: stagesOf(['eval']), outcome: { status: 'finished' } },
    });
    const { run, row } = await show(dir);
    expect(run).toMatchObject({ status: 'partial', state: 'eval done', nextStage: 'report', hasResults: true });
    expect(row.description).toBe('eval done \u00b7 4/5 stages');
    expect(runContext(run)).toBe('run hasReport resumable');
  });

  test('`eval` alone in a fresh folder: failed with its code on the row, the message in the tooltip', async () => {
    const message = 'there is no test mask set in /runs/eval/masks';
    const dir = await runFolder('eval-fresh', {
      markers: [],
      record: {
        command: 'eval',
        config,
        seed: 1,
        versions,
        backend: null,
        stages: [],
        outcome: { status: 'failed', error: { code: 'MASKS_MISSING', message } },
      },
    });
    const { run, row, stages } = await show(dir);
    expect(run).toMatchObject({ status: 'failed', state: 'failed: MASKS_MISSING', detail: `MASKS_MISSING: ${message} (pconv-bench eval)` });
    expect(run.activeStage).toBeUndefined();
    expect(row).toMatchObject({ description: 'failed: MASKS_MISSING \u00b7 0/5 stages', icon: 'error' });
    expect(row.tooltip.split('\n').slice(0, 2)).toEqual(['r: failed: MASKS_MISSING', `MASKS_MISSING: ${message} (pconv-bench eval)`]);
    expect(stages[0]).toBe('masks: next');
  });

  test('`run` stopped in training: interrupted in that stage, the stage row says stopped', async () => {
    const dir = await runFolder('stopped', {
      markers: ['masks'],
      record: {
        command: 'run',
        config,
        seed: 1,
        versions,
        backend: wasmBackend,
        stages: [{ stage: 'masks', status: 'ran' }],
        outcome: { status: 'interrupted', stage: 'train-pconv' },
      },
    });
    const { run, row, stages } = await show(dir);
    expect(run).toMatchObject({ status: 'interrupted', state: 'interrupted in train-pconv', activeStage: 'train-pconv' });
    expect(row).toMatchObject({ description: 'interrupted in train-pconv \u00b7 1/5 stages', icon: 'debug-pause' });
    expect(stages).toEqual(['masks: done', 'train-pconv: stopped', 'train-conv: to do', 'eval: to do', 'report: to do']);
  });

  test('a live lock: running, whatever run.json says of the command before; its stage from the command it names', async () => {
    const lock = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command: 'train' };
    const dir = await runFolder('live', {
      markers: ['masks', 'train-pconv'],
      record: { command: 'masks', config, seed: 1, versions, backend: null, stages: stagesOf(['masks']), outcome: { status: 'finished' } },
      lock,
    });
    const { run, row, stages } = await show(dir);
    expect(run).toMatchObject({ status: 'running', state: 'running train', activeStage: 'train-conv', lock: { pid: process.pid, alive: true } });
    expect(run.detail).toBe(`pconv-bench train, pid ${process.pid} on ${hostname()} since ${lock.startedAt}`);
    expect(row).toMatchObject({ description: 'running train \u00b7 2/5 stages', icon: 'sync~spin' });
    // Our own process: its live step instead of the count.
    expect(runRow(run, 'train-conv-phase1: 4/20 steps').description).toBe('running train \u00b7 train-conv-phase1: 4/20 steps');
    expect(stages).toEqual(['masks: done', 'train-pconv: done', 'train-conv: running', 'eval: to do', 'report: to do']);
    expect(isResumable(run)).toBe(false);
    // The same lock, its process gone: interrupted in that stage.
    const dead = await readRun(dir, 'r', { isAlive: () => false });
    expect(dead).toMatchObject({ status: 'interrupted', state: 'interrupted in train-conv', activeStage: 'train-conv' });
    // `run` is every stage: it is in the first without a marker.
    await writeFile(runLayout(dir).lock, JSON.stringify({ ...lock, command: 'run' }));
    expect(runRow(await readRun(dir, 'r')).description).toBe('running \u00b7 2/5 stages');
  });
});
