import { existsSync } from 'node:fs';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { MaskManifestSchema } from '../../src/protocol/mask-manifest.js';
import { ResultsSchema } from '../../src/protocol/results.js';
import { parseTrainLog } from '../../src/protocol/training-log.js';
import { cliEvents, repoRoot, runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

describe('pconv-bench CLI (end to end)', () => {
  test('--help lists the commands and exits 0', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('pconv-bench masks');
    expect(run.stdout).toContain('Exit codes: 0 ok, 1 user error, 2 internal error (a bug), 130 interrupted.');
  });

  test('masks <config> writes the binned set of configs/smoke.yaml, twice identical, the second time skipped', async () => {
    const out = await tempDir();
    const first = await runCli(['masks', 'configs/smoke.yaml', '--out', out]);
    expect(first.stderr).toContain('masks: finished');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/24 masks, 32x32, border margin 2px/);
    const manifest = MaskManifestSchema.parse(JSON.parse(await readFile(join(out, 'masks', 'manifest.json'), 'utf8')));
    expect(manifest.masks).toHaveLength(3 * 2 * 4);
    expect(manifest.counts.every((c) => c.count === 4)).toBe(true);
    const second = await runCli(['masks', 'configs/smoke.yaml', '--out', out]);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('masks: skipped');

    // Worker threads (the built CLI) and the in-process path give the same bytes.
    const inProcess = await tempDir();
    expect((await runCli(['masks', 'configs/smoke.yaml', '--out', inProcess, '--workers', '0'])).code).toBe(0);
    for (const entry of manifest.masks) {
      expect((await readFile(join(inProcess, 'masks', entry.file))).equals(await readFile(join(out, 'masks', entry.file)))).toBe(true);
    }
  });

  test('--json streams schema-valid events on stdout only, ending with the exit code', async () => {
    const out = await tempDir();
    const run = await runCli(['masks', 'configs/smoke.yaml', '--out', out, '--json']);
    expect(run.code).toBe(0);
    const stream = cliEvents(run.stdout);
    expect(stream[0]?.type).toBe('start');
    expect(stream.some((e) => e.type === 'progress')).toBe(true);
    expect(stream.find((e) => e.type === 'result')).toMatchObject({ command: 'masks', data: { upToDate: false } });
    expect(stream.at(-1)).toMatchObject({ type: 'end', exitCode: 0 });
  });

  test('a config error exits 1 with every problem as file:line:col path: message, and as a JSON error event', async () => {
    const dir = await tempDir();
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      'name: bad\ndata:\n  root: .\n  imageSize: 64\nmasks:\n  perBin: 0\n  colour: red\nloss: { perceptual: 0, style: 0 }\nmodel: { levels: 4 }\n',
    );
    const human = await runCli(['masks', file], { cwd: dir });
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('error: bad.yaml: 2 problems');
    expect(human.stderr).toContain('bad.yaml:6:11 masks.perBin: Too small: expected number to be >=1');
    expect(human.stderr).toContain('bad.yaml:7:3 masks.colour: unknown key');
    expect(human.stderr).toContain('hint: ');
    const json = await runCli(['masks', file, '--json'], { cwd: dir });
    expect(json.code).toBe(1);
    const error = cliEvents(json.stdout).find((e) => e.type === 'error');
    expect(error).toMatchObject({
      code: 'CONFIG_INVALID',
      problems: [
        { path: 'masks.perBin', line: 6, column: 11 },
        { path: 'masks.colour', line: 7, column: 3 },
      ],
    });
  });

  test('usage errors and missing files exit 1 with a hint', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Unknown argument: frobnicate/);
    const missing = await runCli(['masks', 'configs/nope.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read config configs/nope.yaml: no such file');
    const noPolarity = await runCli(['masks', 'import', 'somewhere']);
    expect(noPolarity.code).toBe(1);
    expect(noPolarity.stderr).toContain('Missing required argument: polarity');
  });

  test('an output folder that cannot be written is a user error (exit 1) naming the path, with nothing left behind', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a-file'), 'not a folder');
    for (const workers of ['0', '2']) {
      const run = await runCli(['masks', 'configs/smoke.yaml', '--out', join(dir, 'a-file', 'out'), '--workers', workers]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/cannot mkdir .*a-file.*a part of the path is a file, not a folder \(ENOTDIR\)/);
    }
    expect(await readdir(dir)).toEqual(['a-file']);
  });

  test('masks import reads an external set and reports what it skipped', async () => {
    const src = await tempDir();
    const out = await tempDir();
    // Our own masks, white = valid, are a ready external set for --polarity hole-black.
    expect((await runCli(['masks', 'configs/smoke.yaml', '--out', src])).code).toBe(0);
    await writeFile(join(src, 'masks', 'notes.png'), 'not an image');
    const run = await runCli(['masks', 'import', join(src, 'masks'), '--polarity', 'hole-black', '--config', 'configs/smoke.yaml', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('skipped 1 of 25 files');
    const manifest = MaskManifestSchema.parse(JSON.parse(await readFile(join(out, 'masks', 'manifest.json'), 'utf8')));
    expect(manifest.masks).toHaveLength(24);
    const wrong = await runCli(['masks', 'import', join(src, 'masks'), '--polarity', 'hole-white', '--config', 'configs/smoke.yaml', '--out', await tempDir()]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('the polarity looks inverted');
    expect(wrong.stderr).toContain('hint: Try --polarity hole-black');
  });

  test('Ctrl-C (SIGINT) stops with exit code 130 and leaves no partial mask set', async () => {
    const dir = await tempDir();
    await cp(join(repoRoot, 'configs/smoke.yaml'), join(dir, 'big.yaml'));
    const text = (await readFile(join(dir, 'big.yaml'), 'utf8'))
      .replace('imageSize: 32', 'imageSize: 256')
      .replace('perBin: 4', 'perBin: 5000')
      .replace('../data/photos', '.');
    await writeFile(join(dir, 'big.yaml'), text);
    let sent = false;
    let seen = '';
    // Two worker threads whatever the machine: Ctrl-C must stop busy workers, not only idle ones.
    const run = await runCli(['masks', 'big.yaml', '--out', 'out', '--workers', '2'], {
      cwd: dir,
      onStderr: (chunk, child) => {
        // The first progress line, which may arrive split over chunks: workers are drawing by then.
        seen += chunk;
        if (!sent && seen.includes('masks [')) {
          sent = true;
          child.kill('SIGINT');
          // One that never ends shows up as SIGKILL with its stderr, not as this test's timeout.
          setTimeout(() => child.kill('SIGKILL'), 120_000).unref();
        }
      },
    });
    expect(sent).toBe(true);
    // Workers used to be terminated mid-mask; one ended inside zlib's set-up aborted the process
    // (node_zlib.cc "close before init": a signal, or exit 2) now and then under load.
    expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 130, signal: null });
    expect(run.stderr).not.toMatch(/Assertion|FATAL ERROR|internal error/);
    expect(run.stderr).toContain('error: interrupted');
    expect(existsSync(join(dir, 'out', 'masks'))).toBe(false);
    // No staging folder either: only the folder's own records, saying it was interrupted in the masks stage.
    expect((await readdir(join(dir, 'out'))).sort()).toEqual(['config.resolved.yaml', 'run.json']);
    expect(JSON.parse(await readFile(join(dir, 'out', 'run.json'), 'utf8')).outcome).toEqual({ status: 'interrupted', stage: 'masks' });
  });

  test('train runs both phases of both models on wasm, records the backend, refuses to overwrite, and inpaint uses the result', async () => {
    const run = await tempDir();
    const trained = await runCli(['train', 'configs/smoke.yaml', '--run', run, '--backend', 'wasm', '--json']);
    expect(trained.code).toBe(0);
    const stream = cliEvents(trained.stdout);
    const stages = stream.filter((e) => e.type === 'stage' && e.status === 'finished').map((e) => (e as { stage: string }).stage);
    expect(stages).toEqual(['train-pconv-phase1', 'train-pconv-phase2', 'train-conv-phase1', 'train-conv-phase2']);
    expect(stream.find((e) => e.type === 'progress' && e.stage.startsWith('train-'))).toMatchObject({
      metrics: { loss: expect.any(Number), hole: expect.any(Number), step: expect.any(Number) },
    });
    // A validation event every validateEvery (10) steps, with the same records as the log's validation lines.
    const validations = stream.flatMap((e) => (e.type === 'validation' ? [e] : []));
    expect(validations.map((e) => [e.model, e.phase, e.step])).toEqual([
      ['pconv', 1, 10],
      ['pconv', 1, 20],
      ['pconv', 2, 30],
      ['conv', 1, 10],
      ['conv', 1, 20],
      ['conv', 2, 30],
    ]);
    const logged = parseTrainLog(await readFile(join(run, 'logs', 'train-pconv.jsonl'), 'utf8')).lines.flatMap((l) => (l.type === 'validation' ? [l] : []));
    expect(validations.filter((e) => e.model === 'pconv').map((e) => [e.step, e.quality, e.loss.total, e.samples])).toEqual(
      logged.map((l) => [l.step, l.quality, l.total, join(run, l.samples)]),
    );
    for (const { quality } of validations) {
      expect(quality.pairs).toBeGreaterThan(0);
      expect(quality.psnr).toBeGreaterThan(0);
      expect(quality.ssim).toBeGreaterThan(-1);
      expect(quality.l1Hole).toBeGreaterThan(0);
    }
    // Its human form, on stderr: the validation line.
    expect(trained.stderr).toMatch(
      /pconv step 30: validation loss [\d.]+ \(hole [\d.]+, valid [\d.]+\); PSNR [\d.]+ dB, SSIM -?[\d.]+, hole L1 [\d.]+ on \d+ pairs?; samples /,
    );
    const summary = JSON.parse(await readFile(join(run, 'training.json'), 'utf8'));
    expect(summary.loss).toEqual({ valid: 1, hole: 6, perceptual: 0, style: 0, tv: 0.1, vgg: null });
    expect(summary.backend).toMatchObject({ name: 'wasm', version: expect.stringContaining('4.22.0'), device: expect.stringContaining('WebAssembly') });
    expect(summary.models.map((m: { kind: string; step: number }) => [m.kind, m.step])).toEqual([
      ['pconv', 30],
      ['conv', 30],
    ]);
    expect(summary.models[1].lastValidation).toEqual({ step: 30, phase: 2, loss: validations[5]?.loss, quality: validations[5]?.quality });
    const log = (await readFile(join(run, 'logs', 'train-pconv.jsonl'), 'utf8')).trim().split('\n');
    expect(log.filter((line) => line.includes('"type":"train"'))).toHaveLength(30);

    // A finished training asked for again is up to date; asked to do work (--phase) it refuses to overwrite.
    const again = await runCli(['train', 'configs/smoke.yaml', '--run', run, '--backend', 'wasm', '--model', 'pconv']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('pconv: up to date');
    const phase = await runCli(['train', 'configs/smoke.yaml', '--run', run, '--backend', 'wasm', '--model', 'pconv', '--phase', '2']);
    expect(phase.code).toBe(1);
    expect(phase.stderr).toContain('pconv already has a checkpoint at step 30');
    expect(phase.stderr).toContain('hint: Pass --resume to continue it, or --restart to start over.');
    const resumed = await runCli(['train', 'configs/smoke.yaml', '--run', run, '--backend', 'wasm', '--model', 'pconv', '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('pconv: 30 steps');

    expect((await runCli(['masks', 'configs/smoke.yaml', '--out', run])).code).toBe(0);
    const evaluated = await runCli(['eval', 'configs/smoke.yaml', '--run', run, '--backend', 'wasm']);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/PConv +\(0\.01, 0\.1\] +no-border +4 /);
    expect(evaluated.stdout).toMatch(/Conv \(baseline\) +\(0\.3, 0\.6\] +border +4 /);
    const results = ResultsSchema.parse(JSON.parse(await readFile(join(run, 'results.json'), 'utf8')));
    expect(results.rows).toHaveLength(3 * 3 * 2);
    expect(results.models.map((m) => m.kind)).toEqual(['pconv', 'conv', 'classical']);
    expect(results.backend.name).toBe('wasm');

    const out = join(run, 'filled.png');
    const mask = join(run, 'mask.png');
    const sharp = (await import('sharp')).default;
    const hole = Buffer.alloc(80 * 60, 255);
    for (let y = 20; y < 40; y++) for (let x = 30; x < 50; x++) hole[y * 80 + x] = 0;
    await sharp(hole, { raw: { width: 80, height: 60, channels: 1 } })
      .png()
      .toFile(mask);
    const image = join(run, 'photo.png');
    await sharp(join(repoRoot, 'data/photos/000_astronaut.png')).resize(80, 60).png().toFile(image);
    const inpainted = await runCli([
      'inpaint',
      '--checkpoint',
      join(run, 'checkpoints/pconv/latest'),
      '--image',
      image,
      '--mask',
      mask,
      '--out',
      out,
      '--backend',
      'wasm',
    ]);
    expect(inpainted.code).toBe(0);
    expect(inpainted.stdout).toMatch(/80x60, 8\.3% hole, pconv model/);
    expect((await sharp(out).metadata()).width).toBe(80);
  });

  test('Ctrl-C during training saves a checkpoint and exits 130', async () => {
    const dir = await tempDir();
    const text = (await readFile(join(repoRoot, 'configs/smoke.yaml'), 'utf8'))
      .replace('steps: 20', 'steps: 5000')
      .replace('../data/photos', join(repoRoot, 'data/photos'));
    await writeFile(join(dir, 'long.yaml'), text);
    let sent = false;
    const run = await runCli(['train', 'long.yaml', '--run', 'run', '--backend', 'wasm', '--model', 'pconv'], {
      cwd: dir,
      onStderr: (chunk, child) => {
        if (!sent && chunk.includes('train-pconv-phase1 [')) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/interrupted at step \d+; checkpoint saved/);
    const meta = JSON.parse(await readFile(join(dir, 'run/checkpoints/pconv/latest/checkpoint.json'), 'utf8'));
    expect(meta.step).toBeGreaterThan(0);
    expect(meta.phaseFinished).toBe(false);
  });

  test('metrics scores any two images, with the mask hole ratio and bin; sizes must match', async () => {
    const f = (name: string) => join(repoRoot, 'test/fixtures/metrics', name);
    const run = await runCli(['metrics', f('a.png'), f('b.png'), '--mask', f('mask.png'), '--json']);
    expect(run.code).toBe(0);
    const result = cliEvents(run.stdout).find((e) => e.type === 'result') as { data: Record<string, unknown> };
    expect(result.data).toMatchObject({ holeRatio: 0.2, bin: '(0.1, 0.2]' });
    expect(result.data.ssim as number).toBeCloseTo(0.9126021895128545, 7);
    const dir = await tempDir();
    const sharp = (await import('sharp')).default;
    await sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } })
      .png()
      .toFile(join(dir, 'small.png'));
    const mismatch = await runCli(['metrics', f('a.png'), join(dir, 'small.png')]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/a\.png is 40x30 but .*small\.png is 10x10/);
  });
});
