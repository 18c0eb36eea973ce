import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { repoRoot } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();
const run = promisify(execFile);
const script = join(repoRoot, 'bench/gpu/summarize-pipeline.mjs');

const t0 = Date.parse('2026-12-03T10:00:00.000Z');
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
const event = (seconds: number, body: Record<string, unknown>) => JSON.stringify({ v: 1, time: at(seconds), ...body });
const progress = (seconds: number, done: number) => event(seconds, { type: 'progress', stage: 'train-pconv-phase1', done, total: 4, unit: 'steps' });

/** What device-pipeline.sh leaves: the events of a short run, memory samples, training.json and results.json. */
async function workFolder(): Promise<string> {
  const dir = await tempDir();
  await mkdir(join(dir, 'run'));
  const events = [
    event(0, { type: 'start', command: 'run', argv: [], version: '0.1.0' }),
    event(1, { type: 'stage', stage: 'masks', status: 'started', message: '24 masks at 32x32' }),
    event(2, { type: 'stage', stage: 'masks', status: 'finished', message: '24 masks in run/masks' }),
    event(3, { type: 'stage', stage: 'train-pconv-phase1', status: 'started', message: 'steps 0..4' }),
    progress(3.5, 1),
    progress(4, 2),
    // A validation pass between steps 2 and 3: a long window the median leaves out.
    event(5.5, { type: 'validation', model: 'pconv', phase: 1, step: 2 }),
    progress(6, 3),
    progress(6.5, 4),
    event(7, { type: 'stage', stage: 'train-pconv-phase1', status: 'finished', message: 'loss 0.5 at step 4' }),
    event(8, { type: 'stage', stage: 'eval', status: 'started', message: '' }),
    event(10, { type: 'stage', stage: 'eval', status: 'finished', message: '24 pairs per model' }),
    event(12, { type: 'end', exitCode: 0, durationSeconds: 12 }),
  ];
  // A killed run can leave half a line: it is skipped.
  await writeFile(join(dir, 'events.jsonl'), `${events.join('\n')}\n{"v":1,"time":"2026-12-03T10:0`);
  const sample = (seconds: number, gpuMiB: number | '', rssKb: number | '') => `${(t0 / 1000 + seconds).toFixed(3)},${gpuMiB},50,${rssKb}`;
  await writeFile(
    join(dir, 'memory.csv'),
    [sample(0.5, 100, 102400), sample(1.5, 200, 204800), sample(4, 9000, 512000), sample(6, 9500, 614400), sample(9, 4000, 716800), sample(11, '', '')].join(
      '\n',
    ),
  );
  await writeFile(join(dir, 'machine.txt'), 'cores: 16\n');
  const loader = (waitSeconds: number) => ({
    batchSize: 4,
    batches: 600,
    imagesBuilt: 2408,
    busySeconds: 40,
    firstWaitSeconds: 0.5,
    waitSeconds,
    consumeSeconds: 120,
    neededImagesPerSecond: 20,
    deliveredImagesPerSecond: 60.2,
  });
  await writeFile(
    join(dir, 'run/training.json'),
    JSON.stringify({
      models: [
        { kind: 'pconv', dataLoader: loader(0.6) },
        { kind: 'conv', dataLoader: loader(12) },
        { kind: 'older', step: 10 },
      ],
    }),
  );
  await writeFile(
    join(dir, 'run/results.json'),
    JSON.stringify({ images: { pairs: 24 }, models: [{}, {}, {}], backend: { name: 'webgpu', version: 'x', device: 'H200', inference: 'tfjs' } }),
  );
  return dir;
}

describe('bench/gpu/summarize-pipeline.mjs', () => {
  test('stage times with the gaps between them, per-stage memory peaks and the data loader, as a table and as JSON', async () => {
    const dir = await workFolder();
    const out = join(dir, 'summary.json');
    const { stdout } = await run(process.execPath, [script, dir, '--json', out]);
    const summary = JSON.parse(await readFile(out, 'utf8'));
    expect(summary).toMatchObject({ exitCode: 0, runSeconds: 12, gpuMemoryBeforeMiB: 100, gpuPeakMiB: 9500, rssPeakMiB: 700 });
    const stages = summary.stages.map((s: { stage: string; seconds: number; startSeconds: number }) => [s.stage, s.startSeconds, s.seconds]);
    // The rows add up to the run: start-up, the masks, setting up training, training, eval, then the report.
    expect(stages).toEqual([
      ['(before masks)', 0, 1],
      ['masks', 1, 1],
      ['(before train-pconv-phase1)', 2, 1],
      ['train-pconv-phase1', 3, 4],
      ['(before eval)', 7, 1],
      ['eval', 8, 2],
      ['(report and exit)', 10, 2],
    ]);
    const train = summary.stages[3];
    // 4 steps in 4 s; between progress events 0.5 s a step except the window with the validation.
    expect(train.detail).toBe('4 steps, 1.000 s/step (median 0.500), 1 validations');
    expect(train.gpuPeakMiB).toBe(9500);
    expect(summary.stages[5]).toMatchObject({ detail: '24 pairs x 3 models, 12.0 pairs/s', gpuPeakMiB: 4000, rssPeakMiB: 700 });
    expect(summary.loader).toEqual([
      expect.objectContaining({ model: 'pconv', keptUp: true, neededImagesPerSecond: 20, deliveredImagesPerSecond: 60.2, waitShare: 0.005 }),
      expect.objectContaining({ model: 'conv', keptUp: false, waitShare: 0.1 }),
      { model: 'older', recorded: false },
    ]);
    expect(stdout).toContain('| train-pconv-phase1 | 3.0 | 4.0 | 4 steps, 1.000 s/step (median 0.500), 1 validations | 9500 | 600 |');
    expect(stdout).toContain('| pconv | 600 x 4 | 20.0 | 60.2 | 0.50 | 0.60 | yes |');
    expect(stdout).toContain('| conv | 600 x 4 | 20.0 | 60.2 | 0.50 | 12.00 | no (10.0% of its time waiting) |');
    expect(stdout).toContain('| whole run | 0.0 | 12.0 | exit 0 | 9500 | 700 |');
  });

  test('a run killed mid-stage: the open stage ends at the last event, marked unfinished; no end event, no exit code', async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, 'events.jsonl'),
      [
        event(0, { type: 'start', command: 'run', argv: [], version: '0.1.0' }),
        event(0, { type: 'stage', stage: 'eval', status: 'started' }),
        event(30, { type: 'log', level: 'info', message: 'x' }),
      ].join('\n'),
    );
    const { stdout } = await run(process.execPath, [script, dir]);
    expect(stdout).toContain('| eval (unfinished) | 0.0 | 30.0 |');
    expect(stdout).toContain('run: exit - (no end event: killed?) after 30.0 s');
    expect(stdout).toContain('no training.json');
  });
});
