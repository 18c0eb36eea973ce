import { cp, mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, test } from 'vitest';
import type { PconvEvent } from '../../../src/protocol/events.js';
import { checkpointChoices } from '../../src/host/checkpoint-choices.js';
import { type CliOutcome, startCli } from '../../src/host/cli-process.js';
import { headlineText, RUN_STAGES, type RunOutcome, readRun, resumeArgs, runOutcomeOf, scanRuns } from '../../src/host/runs-model.js';
import { runContext, runDetailRows, runRow } from '../../src/host/runs-view-model.js';
import { assertCliBuilt, realCli, repoRoot, useTempDirs } from './helpers/real-cli.js';

const tempDir = useTempDirs();
const config = join(repoRoot, 'configs', 'smoke.yaml');
let reports: string;
let finished: string;

/** The real CLI on configs/smoke.yaml into `dir`; `onEvent` may stop it. */
function runSmoke(dir: string, onEvent?: (event: PconvEvent, child: ReturnType<typeof startCli>) => void): Promise<CliOutcome> {
  const child: ReturnType<typeof startCli> = startCli({
    cliPath: realCli,
    args: ['run', config, '--run', dir, '--backend', 'wasm'],
    cwd: repoRoot,
    onEvent: (event) => onEvent?.(event, child),
  });
  return child.done;
}

const outcomeOf = (dir: string, o: CliOutcome): Record<string, RunOutcome> => ({ [dir]: runOutcomeOf(o) });

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
    expect(run.detail).toBe('stopped at train-pconv; a checkpoint was saved');
    expect(run.stages.filter((s) => s.done).map((s) => s.stage)).toEqual(['masks']);
    const pconv = run.training.find((t) => t.kind === 'pconv');
    expect(pconv?.totalSteps).toBe(30);
    expect(pconv?.step).toBeLessThan(30);
    expect(runRow(run)).toMatchObject({ description: 'interrupted \u00b7 1/5 stages, next train-pconv', icon: 'debug-pause' });
    expect(runDetailRows(run)[1]).toMatchObject({ label: 'train-pconv', description: `next, step ${pconv?.step}/30` });
    expect(runContext(run)).toBe('run resumable');
    expect(resumeArgs(run)).toEqual(['run', config, '--run', dir]);
    // A later `run` rewrites config.resolved.yaml when it starts: the old outcome no longer counts
    // (the extension-host test resumes this way for real).
    const later = new Date(Date.now() + 5_000);
    await utimes(join(dir, 'config.resolved.yaml'), later, later);
    expect(await readRun(dir, 'stopped', { outcomes: { [dir]: { exitCode: 2, at: Date.now(), message: 'old failure' } } })).toMatchObject({
      status: 'interrupted',
      detail: '1 of 5 stages done',
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
    expect(seen).toMatchObject({ status: 'running', lock: { pid, host: hostname(), alive: true } });
    expect(seen?.detail).toMatch(new RegExp(`^pid ${pid} on `));
    // Killed while nobody watched (a terminal, a closed editor): only the stale lock tells.
    const after = await readRun(dir, 'killed');
    expect(after).toMatchObject({ status: 'interrupted', lock: { pid, alive: false }, nextStage: 'train-pconv' });
    expect(after.detail).toBe(`its process (pid ${pid}) ended without finishing: killed, or the machine restarted`);
    // Killed under the extension's eyes without a stop request (the OOM killer, say): a failure.
    const seenDying = await readRun(dir, 'killed', { outcomes: outcomeOf(dir, outcome) });
    expect(seenDying).toMatchObject({ status: 'failed', detail: 'pconv-bench was killed by SIGKILL before finishing its event stream' });
  });

  test('a run whose report could not be written failed, with the CLI message', async () => {
    const dir = join(await tempDir(), 'failed');
    await cp(finished, dir, { recursive: true });
    await rm(join(dir, 'index.html'));
    await rm(join(dir, 'stages', 'report.json'));
    const results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'));
    await rm(join(dir, results.samples[0].input));
    const outcome = await startCli({ cliPath: realCli, args: ['run', config, '--run', dir, '--only', 'report'], cwd: repoRoot }).done;
    expect(outcome.exitCode).toBe(1);
    const run = await readRun(dir, 'failed', { outcomes: outcomeOf(dir, outcome) });
    expect(run).toMatchObject({ status: 'failed', nextStage: 'report', hasReport: false, hasResults: true });
    expect(run.detail).toMatch(/^failed: sample image .* is missing$/);
    // Without the recorded outcome the files alone say only that it is unfinished.
    expect(await readRun(dir, 'failed')).toMatchObject({ status: 'interrupted', detail: '4 of 5 stages done' });
  });

  test('an unreadable results.json is a problem of the run, not an exception', async () => {
    const dir = join(await tempDir(), 'damaged');
    await cp(finished, dir, { recursive: true });
    await writeFile(join(dir, 'results.json'), '{"format":"pconv-bench/results@1"}');
    const run = await readRun(dir, 'damaged');
    expect(run.headline).toEqual([]);
    expect(run.status).toBe('interrupted');
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
    expect(runs.map((r) => `${r.label}:${r.status}`)).toEqual(['smoke:finished', 'variants/copy-a:finished', 'variants/copy-b:interrupted']);
    expect(await scanRuns(join(reports, 'missing'))).toEqual([]);
  });
});
