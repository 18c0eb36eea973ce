import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/core/config/load-config.js';
import { discoverImages, splitImages } from '../../src/core/data/image-list.js';
import { RunRecordSchema, runLayout } from '../../src/protocol/run-layout.js';
import { killWhen, repoRoot, runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();
const _bin = resolve(repoRoot, 'bin/pconv-bench.js');
/** A process id that no process has (Linux's pid_max is at most 2^22). */
const DEAD_PID = 2 ** 22 + 12345;
const wasm = ['--backend', 'wasm'];

const sha = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
const record = async (dir: string) => RunRecordSchema.parse(JSON.parse(await readFile(runLayout(dir).record, 'utf8')));

/** A finished run, made once with the single-stage commands; each test damages a copy of it. */
let reference: string;
async function copyOfReference(): Promise<string> {
  const dir = await tempDir();
  await cp(reference, dir, { recursive: true });
  return dir;
}

describe('one run contract for every command (end to end)', () => {
  beforeAll(async () => {
    reference = await mkdtemp(join(tmpdir(), 'pconv-bench-reference-'));
    for (const args of [
      ['masks', 'configs/smoke.yaml', '--out', reference],
      ['train', 'configs/smoke.yaml', '--run', reference, ...wasm],
      ['eval', 'configs/smoke.yaml', '--run', reference, ...wasm],
      ['report', reference],
    ]) {
      const done = await runCli(args);
      expect(done.code, `${args.join(' ')}: ${done.stderr}`).toBe(0);
    }
  }, 240_000);
  afterAll(() => rm(reference, { recursive: true, force: true }));

  test('masks, train, eval and report alone leave the markers and records of run, so run finds every stage up to date', async () => {
    const layout = runLayout(reference);
    for (const stage of ['masks', 'train-pconv', 'train-conv', 'eval', 'report'] as const) {
      const marker = JSON.parse(await readFile(layout.stageMarker(stage), 'utf8'));
      expect(marker).toMatchObject({ inputs: expect.any(String), outputs: expect.any(String), command: stage.startsWith('train') ? 'train' : stage });
    }
    expect(await record(reference)).toMatchObject({
      command: 'report',
      outcome: { status: 'finished' },
      stages: [{ stage: 'masks', status: 'not asked' }, expect.anything(), expect.anything(), expect.anything(), { stage: 'report', status: 'ran' }],
    });
    const run = await copyOfReference();
    const again = await runCli(['run', 'configs/smoke.yaml', '--run', run, ...wasm]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('stages: masks up to date, train-pconv up to date, train-conv up to date, eval up to date, report up to date');
    // A finished training asked for again is up to date, not an error, and nothing is rewritten.
    const before = await sha(join(run, 'checkpoints/pconv/latest/tensors.bin'));
    const trained = await runCli(['train', 'configs/smoke.yaml', '--run', run, ...wasm, '--model', 'pconv']);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toContain('pconv: up to date');
    expect(await sha(join(run, 'checkpoints/pconv/latest/tensors.bin'))).toBe(before);
  });

  test('a deleted mask PNG or a flipped byte in a checkpoint makes its stage out of date; a stage that needs a damaged mask set refuses, naming the file', async () => {
    const run = await copyOfReference();
    const manifest = JSON.parse(await readFile(join(run, 'masks/manifest.json'), 'utf8'));
    const victim = manifest.masks[3].file as string;
    await rm(join(run, 'masks', victim));
    const evaluated = await runCli(['eval', 'configs/smoke.yaml', '--run', run, ...wasm]);
    expect(evaluated.code, evaluated.stderr).toBe(1);
    expect(evaluated.stderr).toContain('the test mask set in');
    expect(evaluated.stderr).toContain(`${join(run, 'masks', victim)} is missing`);
    expect(await record(run)).toMatchObject({ command: 'eval', outcome: { status: 'failed', error: { code: 'MASKS_MISSING' } } });

    const tensors = join(run, 'checkpoints/pconv/phase2/tensors.bin');
    const bytes = await readFile(tensors);
    bytes[100] = (bytes[100] as number) ^ 0xff;
    await writeFile(tensors, bytes);
    const rerun = await runCli(['run', 'configs/smoke.yaml', '--run', run, ...wasm]);
    expect(rerun.code, rerun.stderr).toBe(0);
    // The masks are drawn again (the same bytes), the PConv's phase-2 checkpoint restored from its identical latest one.
    expect(rerun.stderr).toContain('stages: masks ran, train-pconv ran, train-conv up to date, eval up to date, report up to date');
    expect(rerun.stderr).toContain('restored it from');
    expect(await sha(join(run, 'masks', victim))).toBe(await sha(join(reference, 'masks', victim)));
    expect(await sha(tensors)).toBe(await sha(join(reference, 'checkpoints/pconv/phase2/tensors.bin')));
  });

  test('train --restart on a folder that another command holds is refused and changes nothing', async () => {
    const run = await copyOfReference();
    await writeFile(runLayout(run).lock, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: 'now', command: 'run' }));
    const before = await sha(join(run, 'checkpoints/pconv/phase2/tensors.bin'));
    const refused = await runCli(['train', 'configs/smoke.yaml', '--run', run, ...wasm, '--restart', '--model', 'pconv']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`is in use by another pconv-bench run (pid ${process.pid}`);
    expect(await sha(join(run, 'checkpoints/pconv/phase2/tensors.bin'))).toBe(before);
    for (const command of [
      ['masks', 'configs/smoke.yaml', '--out', run],
      ['eval', 'configs/smoke.yaml', '--run', run],
      ['report', run],
      ['merge', reference, '--out', run],
      ['masks', 'import', join(reference, 'masks'), '--polarity', 'hole-black', '--out', run, '--force'],
    ]) {
      const other = await runCli(command);
      expect(other.code, command.join(' ')).toBe(1);
      expect(other.stderr).toContain('is in use by another pconv-bench run');
    }
  });

  test('run on a folder whose checkpoints came from another config refuses, naming what changed; --from train-pconv replaces them', async () => {
    const run = await copyOfReference();
    const configDir = await tempDir();
    const edited = (await readFile(join(repoRoot, 'configs/smoke.yaml'), 'utf8'))
      .replace('learningRate: 2.0e-4', 'learningRate: 1.0e-4')
      .replace('../data/photos', join(repoRoot, 'data/photos'));
    await writeFile(join(configDir, 'edited.yaml'), edited);
    const before = await sha(join(run, 'checkpoints/pconv/latest/tensors.bin'));
    const refused = await runCli(['run', join(configDir, 'edited.yaml'), '--run', run, ...wasm]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('holds a pconv model trained with other settings (step 30)');
    expect(refused.stderr).toContain('train.phase1.learningRate: 0.0002 -> 0.0001');
    expect(refused.stderr).toContain('pass --from train-pconv');
    expect(await sha(join(run, 'checkpoints/pconv/latest/tensors.bin'))).toBe(before);
    // Refused before any stage: the masks stage of the edited config did not run either.
    expect(refused.stderr).not.toContain('masks ran');
    const replaced = await runCli(['run', join(configDir, 'edited.yaml'), '--run', run, ...wasm, '--from', 'train-pconv']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stderr).toContain('train-pconv ran, train-conv ran, eval ran, report ran');
    expect(await sha(join(run, 'checkpoints/pconv/latest/tensors.bin'))).not.toBe(before);
  }, 120_000);

  test("the baseline's own settings changed: only the baseline is refused, and --from train-conv retrains it alone", async () => {
    const run = await copyOfReference();
    const configDir = await tempDir();
    const edited = (await readFile(join(repoRoot, 'configs/smoke.yaml'), 'utf8'))
      .replace('  style: 0\n', '  style: 0\n  baseline: { hole: 5 }\n')
      .replace('../data/photos', join(repoRoot, 'data/photos'));
    await writeFile(join(configDir, 'baseline.yaml'), edited);
    const pconv = await sha(join(run, 'checkpoints/pconv/phase2/tensors.bin'));
    const refused = await runCli(['run', join(configDir, 'baseline.yaml'), '--run', run, ...wasm]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('holds a conv model trained with other settings');
    expect(refused.stderr).toContain('loss.baseline: unset -> {"hole":5}');
    const retrained = await runCli(['run', join(configDir, 'baseline.yaml'), '--run', run, ...wasm, '--from', 'train-conv']);
    expect(retrained.code, retrained.stderr).toBe(0);
    expect(retrained.stderr).toContain('stages: masks up to date, train-pconv up to date, train-conv ran, eval ran, report ran');
    expect(await sha(join(run, 'checkpoints/pconv/phase2/tensors.bin'))).toBe(pconv);
  });

  test('photos changed under a finished training: a test photo re-evaluates; a training photo stops run (the model never saw it) until --from says retrain', async () => {
    const dir = await tempDir();
    await cp(join(repoRoot, 'data/photos'), join(dir, 'photos'), { recursive: true });
    const text = (await readFile(join(repoRoot, 'configs/smoke.yaml'), 'utf8')).replace('../data/photos', 'photos');
    await writeFile(join(dir, 'smoke.yaml'), text);
    const { config } = await loadConfig(join(dir, 'smoke.yaml'));
    const splits = splitImages((await discoverImages(config.data)).files, config.data, config.seed);
    const run = join(dir, 'run');
    const args = ['run', join(dir, 'smoke.yaml'), '--run', run, ...wasm];
    expect((await runCli(args)).code).toBe(0);
    const later = new Date(Date.now() + 60_000);
    await utimes(splits.test[0] as string, later, later);
    const retested = await runCli(args);
    expect(retested.code, retested.stderr).toBe(0);
    expect(retested.stderr).toContain('stages: masks up to date, train-pconv up to date, train-conv up to date, eval ran');
    const before = await sha(join(run, 'checkpoints/pconv/phase2/tensors.bin'));
    await utimes(splits.train[0] as string, later, later);
    const refused = await runCli(args);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('the training or validation photos changed since the pconv model');
    expect(refused.stderr).toContain('pass --from train-pconv');
    expect(await sha(join(run, 'checkpoints/pconv/phase2/tensors.bin'))).toBe(before);
    const retrained = await runCli([...args, '--from', 'train-pconv']);
    expect(retrained.code, retrained.stderr).toBe(0);
    expect(retrained.stderr).toContain('train-pconv ran, train-conv ran');
  }, 120_000);

  test('a run folder that is missing (eval, report) or is a file is a user error, and nothing is made', async () => {
    const dir = await tempDir();
    const missing = join(dir, 'no-such-run');
    for (const args of [
      ['report', missing],
      ['eval', 'configs/smoke.yaml', '--run', missing],
    ]) {
      const refused = await runCli(args);
      expect(refused.code, args.join(' ')).toBe(1);
      expect(refused.stderr).toContain(`there is no run folder at ${missing}`);
    }
    expect(await readdir(dir)).toEqual([]);
    await writeFile(join(dir, 'a-file'), 'not a folder');
    const file = await runCli(['masks', 'configs/smoke.yaml', '--out', join(dir, 'a-file')]);
    expect(file.code, file.stderr).toBe(1);
    expect(file.stderr).toContain('is a file, not a run folder');
  });

  test('eval on a run without masks says so before checking a single test image', async () => {
    const run = await copyOfReference();
    await rm(join(run, 'masks'), { recursive: true });
    const refused = await runCli(['eval', 'configs/smoke.yaml', '--run', run, ...wasm]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`there is no test mask set in ${join(run, 'masks')}`);
    expect(refused.stderr).not.toContain('test images [');
  });

  /** The smoke config on a copy of the bundled photos, one test image of which `spoil` changes; then `run`. */
  async function runWithSpoiledTestImage(spoil: (file: string, imageSize: number) => Promise<void>) {
    const dir = await tempDir();
    await cp(join(repoRoot, 'data/photos'), join(dir, 'photos'), { recursive: true });
    const text = (await readFile(join(repoRoot, 'configs/smoke.yaml'), 'utf8')).replace('../data/photos', 'photos').replace('../reports', 'reports');
    await writeFile(join(dir, 'smoke.yaml'), text);
    const { config } = await loadConfig(join(dir, 'smoke.yaml'));
    const { test: testFiles } = splitImages((await discoverImages(config.data)).files, config.data, config.seed);
    const spoiled = testFiles[1] as string;
    await spoil(spoiled, config.data.imageSize);
    const run = join(dir, 'run');
    const stopped = await runCli(['run', join(dir, 'smoke.yaml'), '--run', run, ...wasm]);
    expect(stopped.code, stopped.stderr).toBe(1);
    expect(stopped.stderr).not.toContain('train-pconv-phase1');
    expect((await readdir(run)).filter((name) => name === 'checkpoints' || name === 'masks')).toEqual([]);
    return { stderr: stopped.stderr, spoiled, root: config.data.root ?? '', imageSize: config.data.imageSize, record: await record(run) };
  }

  test('an unreadable test image stops run before any training, naming the file', async () => {
    const stopped = await runWithSpoiledTestImage(async (file) => writeFile(file, (await readFile(file)).subarray(0, 400)));
    expect(stopped.stderr).toContain(relative(stopped.root, stopped.spoiled));
    expect(stopped.record).toMatchObject({ command: 'run', outcome: { status: 'failed', error: { code: 'IMAGE_UNREADABLE' } } });
  });

  test('a test image smaller than data.imageSize stops run before any training, naming it', async () => {
    const stopped = await runWithSpoiledTestImage(async (file, size) =>
      writeFile(
        file,
        await sharp(file)
          .resize(size - 1, size - 1)
          .toBuffer(),
      ),
    );
    expect(stopped.stderr).toContain(`1 test images are smaller than data.imageSize ${stopped.imageSize}`);
    expect(stopped.stderr).toContain(stopped.spoiled);
    expect(stopped.record).toMatchObject({ command: 'run', outcome: { status: 'failed', error: { code: 'EVAL_IMAGES_TOO_SMALL' } } });
  });

  test('staging folders, temporary files and a folder renamed aside by a killed process are cleared by the next command', async () => {
    const run = await copyOfReference();
    const staging = join(run, `.masks.staging-${DEAD_PID}-0a1b2c3d`);
    await mkdir(staging);
    await writeFile(join(staging, 'm-00001.png'), 'half a mask');
    const checkpointStaging = join(run, `checkpoints/pconv/.latest.staging-${DEAD_PID}-deadbeef`);
    await mkdir(checkpointStaging);
    const temporary = join(run, `.results.json.${DEAD_PID}.0badf00d.tmp`);
    await writeFile(temporary, '{"half":');
    // replaceDir killed between its two renames: the old folder aside, the new one never arrived.
    const aside = join(run, `checkpoints/conv/latest.old-${DEAD_PID}-12345678`);
    await rename(join(run, 'checkpoints/conv/latest'), aside);
    const cleaned = await runCli(['run', 'configs/smoke.yaml', '--run', run, ...wasm]);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(cleaned.stderr).toContain('stages: masks up to date, train-pconv up to date, train-conv up to date, eval up to date, report up to date');
    expect(cleaned.stderr).toContain(`restored ${join(run, 'checkpoints/conv/latest')}`);
    const names = [...(await readdir(run)), ...(await readdir(join(run, 'checkpoints/pconv'))), ...(await readdir(join(run, 'checkpoints/conv')))];
    expect(names.filter((n) => n.includes('staging') || n.endsWith('.tmp') || n.includes('.old-'))).toEqual([]);
    expect(await sha(join(run, 'checkpoints/conv/latest/tensors.bin'))).toBe(await sha(join(reference, 'checkpoints/conv/latest/tensors.bin')));
  });

  test('kill -9 during masks, train or eval run alone: the same command again ends with the bytes of an uninterrupted one', async () => {
    for (const [args, trigger, again, compared] of [
      [['masks', 'configs/smoke.yaml'], 'masks:', [], 'masks/manifest.json'],
      [['train', 'configs/smoke.yaml', ...wasm], 'train-conv-phase1 [', ['--resume'], 'checkpoints/conv/phase2/tensors.bin'],
      [['eval', 'configs/smoke.yaml', ...wasm], 'eval PConv', [], 'results.json'],
    ] as const) {
      const run = await copyOfReference();
      // Undo the stage being tested (and its marker), as if it had never run.
      if (args[0] === 'masks') await rm(join(run, 'masks'), { recursive: true });
      if (args[0] === 'train') await rm(join(run, 'checkpoints/conv'), { recursive: true });
      if (args[0] === 'eval') await rm(join(run, 'results.json'));
      const where = args[0] === 'masks' ? ['--out', run] : ['--run', run];
      expect(await killWhen([...args, ...where], trigger), `${args[0]} reached ${trigger}`).toBe(true);
      const resumed = await runCli([...args, ...where, ...again]);
      expect(resumed.code, `${args[0]}: ${resumed.stderr}`).toBe(0);
      expect(await sha(join(run, compared)), compared).toBe(await sha(join(reference, compared)));
      expect((await record(run)).outcome.status).toBe('finished');
    }
  }, 240_000);
});
