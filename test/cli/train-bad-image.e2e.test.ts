import { cp, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { cliEvents, repoRoot, runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

/**
 * A folder with the bundled photos under photos/ and configs/smoke.yaml pointing at them (phase 1
 * lengthened to `steps`). With seed 1 and the smoke fractions, truncated.jpg, empty.png and
 * 000_astronaut.png fall in the training split (the split hashes names, so it is fixed).
 */
async function experiment(steps = 20): Promise<{ dir: string; photos: string }> {
  const dir = await tempDir();
  const photos = join(dir, 'photos');
  await cp(join(repoRoot, 'data/photos'), photos, { recursive: true });
  const text = (await readFile(join(repoRoot, 'configs/smoke.yaml'), 'utf8')).replace('steps: 20', `steps: ${steps}`).replace('../data/photos', photos);
  await writeFile(join(dir, 'smoke.yaml'), text);
  return { dir, photos };
}

/** A JPEG of a bundled photo cut after its first 3000 bytes: the header reads, the pixels do not. */
async function truncatedJpeg(path: string): Promise<void> {
  const jpeg = await sharp(join(repoRoot, 'data/photos/001_chelsea.png')).jpeg({ quality: 90 }).toBuffer();
  await writeFile(path, jpeg.subarray(0, 3000));
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('train with an unreadable image in the training data', () => {
  test('a truncated JPEG (its header is fine) stops train before the first step: exit 1, the file named, the way out hinted', async () => {
    const { dir, photos } = await experiment();
    await truncatedJpeg(join(photos, 'truncated.jpg'));
    const run = await runCli(['train', 'smoke.yaml', '--run', 'run', '--backend', 'wasm', '--model', 'pconv'], { cwd: dir });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`error: cannot read image ${join(photos, 'truncated.jpg')}: VipsJpeg: premature end of JPEG image`);
    expect(run.stderr).toContain('hint: Remove or replace the file, or leave it out with data.exclude');
    expect(run.stderr).toContain('exclude: ["truncated.jpg"]');
    // Stopped before training: no step, no stack trace.
    expect(run.stderr).not.toContain('train-pconv-phase1');
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(await exists(join(dir, 'run/checkpoints/pconv/latest'))).toBe(false);
  });

  test('a zero-byte PNG under --json: the stream ends with an error event naming it, then end with exit code 1', async () => {
    const { dir, photos } = await experiment();
    await writeFile(join(photos, 'empty.png'), '');
    const run = await runCli(['train', 'smoke.yaml', '--run', 'run', '--backend', 'wasm', '--model', 'pconv', '--json'], { cwd: dir });
    expect(run.code, run.stderr).toBe(1);
    const stream = cliEvents(run.stdout);
    const [error, end] = stream.slice(-2);
    expect(error).toMatchObject({ type: 'error', code: 'IMAGE_UNREADABLE' });
    expect(error?.type === 'error' && error.message).toContain(join(photos, 'empty.png'));
    expect(error?.type === 'error' && error.message).toContain('unsupported image format');
    expect(end).toMatchObject({ type: 'end', exitCode: 1 });
  });

  test('several bad files are reported together, each named', async () => {
    const { dir, photos } = await experiment();
    await truncatedJpeg(join(photos, 'truncated.jpg'));
    await writeFile(join(photos, 'empty.png'), '');
    const run = await runCli(['train', 'smoke.yaml', '--run', 'run', '--backend', 'wasm', '--model', 'pconv'], { cwd: dir });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`error: cannot read 2 of the 45 images under ${photos}: empty.png and 1 more`);
    expect(run.stderr).toContain('  empty.png: Input file contains unsupported image format');
    expect(run.stderr).toContain('  truncated.jpg: VipsJpeg: premature end of JPEG image');
    expect(run.stderr).toContain('exclude: ["empty.png", "truncated.jpg"]');
  });

  test('run stops the same way at its training stage, with error and end last under --json', async () => {
    const { dir, photos } = await experiment();
    await truncatedJpeg(join(photos, 'truncated.jpg'));
    const run = await runCli(['run', 'smoke.yaml', '--run', 'run', '--backend', 'wasm', '--json'], { cwd: dir });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`cannot read image ${join(photos, 'truncated.jpg')}`);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    const [error, end] = cliEvents(run.stdout).slice(-2);
    expect(error).toMatchObject({ type: 'error', code: 'IMAGE_UNREADABLE' });
    expect(end).toMatchObject({ type: 'end', exitCode: 1 });
  });

  test('a file spoilt after the check (mid-training) stops at the step that draws it: exit 1, the file named, a checkpoint of that step kept, and --resume continues from it', async () => {
    // Phase 1 long enough that the spoilt file is drawn again (every file once an epoch of ~19 steps).
    const { dir, photos } = await experiment(5000);
    const victim = join(photos, '000_astronaut.png');
    const original = await readFile(victim);
    let spoilt = false;
    const run = await runCli(['train', 'smoke.yaml', '--run', 'run', '--backend', 'wasm', '--model', 'pconv', '--json'], {
      cwd: dir,
      onStderr: (chunk) => {
        if (spoilt || !chunk.includes('train-pconv-phase1: started')) return;
        spoilt = true;
        // Atomically, so the loader sees the whole photo or the cut one, never a half-written file.
        void writeFile(`${victim}.tmp`, original.subarray(0, original.length >> 1)).then(() => rename(`${victim}.tmp`, victim));
      },
    });
    expect(spoilt).toBe(true);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    const [error, end] = cliEvents(run.stdout).slice(-2);
    expect(end).toMatchObject({ type: 'end', exitCode: 1 });
    expect(error).toMatchObject({ type: 'error', code: 'IMAGE_UNREADABLE' });
    const message = error?.type === 'error' ? error.message : '';
    expect(message).toContain(`pconv: cannot decode image ${victim}`);
    const step = Number(/checkpoint saved at step (\d+)/.exec(message)?.[1]);
    // Usually some steps in; 0 when the replacement beats the first batch's decode.
    expect(step).toBeGreaterThanOrEqual(0);
    expect(error?.type === 'error' && error.hint).toContain('train --resume');
    const meta = JSON.parse(await readFile(join(dir, 'run/checkpoints/pconv/latest/checkpoint.json'), 'utf8'));
    expect(meta).toMatchObject({ step, phase: 1, phaseFinished: false });

    // With the photo back, --resume continues from that step (stopped at once with Ctrl-C).
    await writeFile(victim, original);
    let sent = false;
    const resumed = await runCli(['train', 'smoke.yaml', '--run', 'run', '--backend', 'wasm', '--model', 'pconv', '--resume'], {
      cwd: dir,
      onStderr: (chunk, child) => {
        if (!sent && chunk.includes('resuming at step')) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(resumed.stderr).toContain(`pconv: resuming at step ${step} (phase 1)`);
    expect(resumed.code, resumed.stderr).toBe(130);
  });
});
