import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/core/config/parse-config.js';
import { listImages, splitImages } from '../../src/core/data/image-list.js';
import { setupBackend } from '../../src/core/engine/backend.js';
import { UserError } from '../../src/core/errors.js';
import { inpaintImage } from '../../src/core/infer/inpaint-image.js';
import { checkpointDir, trainModel } from '../../src/core/train/trainer.js';
import { cliEvents, repoRoot, runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();
let checkpoint: string;
let checkpointRun: string;

// A tiny trained checkpoint (16 px, 2 levels), made once for the file.
beforeAll(async () => {
  const backend = await setupBackend('wasm');
  const config = parseConfig(
    `name: t\nseed: 2\ndata: { root: ${resolve(repoRoot, 'data/photos')}, imageSize: 16 }\nmasks: { border: { margin: 1 } }\nmodel: { levels: 2, baseChannels: 4, maxChannels: 8 }\nloss: { perceptual: 0, style: 0 }\ntrain: { batchSize: 2, phase1: { learningRate: 0.001, steps: 1, freezeEncoderBatchNorm: false }, phase2: { learningRate: 0.0005, steps: 1, freezeEncoderBatchNorm: true } }\n`,
    't.yaml',
    repoRoot,
  );
  const splits = splitImages(await listImages(config.data), config.data, config.seed);
  checkpointRun = await mkdtemp(join(tmpdir(), 'pconv-bench-test-'));
  await trainModel({ config, configHash: 'x', kind: 'pconv', runDir: checkpointRun, backend, trainFiles: splits.train, validationFiles: splits.validation });
  checkpoint = checkpointDir(checkpointRun, 'pconv', 'latest');
}, 120_000);

afterAll(async () => {
  if (checkpointRun) await rm(checkpointRun, { recursive: true, force: true });
});

/** A 20x20 image and a mask whose first `holes` pixels (row by row) are black = hole. */
async function pair(holes: number): Promise<{ dir: string; image: string; mask: string; out: string }> {
  const dir = await tempDir();
  const image = join(dir, 'image.png');
  const mask = join(dir, 'mask.png');
  await sharp({ create: { width: 20, height: 20, channels: 3, background: '#336699' } })
    .png()
    .toFile(image);
  const raw = Buffer.alloc(400, 255);
  raw.fill(0, 0, holes);
  await sharp(raw, { raw: { width: 20, height: 20, channels: 1 } })
    .png()
    .toFile(mask);
  return { dir, image, mask, out: join(dir, 'out.png') };
}

describe('inpaint with a mask that is all or nearly all hole (issue 16, fault 7)', () => {
  test('inpaintImage refuses a mask without a valid pixel, and warns above 90% hole', async () => {
    const all = await pair(400);
    const error = await inpaintImage({ checkpoint, image: all.image, mask: all.mask, out: all.out, polarity: 'hole-black' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ code: 'MASK_ALL_HOLE' });
    expect((error as UserError).message).toBe(
      `mask ${all.mask} has no valid pixel with --polarity hole-black: it is 100% hole, so there is nothing to inpaint from`,
    );
    expect(existsSync(all.out)).toBe(false);

    const most = await pair(380);
    const result = await inpaintImage({ checkpoint, image: most.image, mask: most.mask, out: most.out, polarity: 'hole-black' });
    expect(result.holeRatio).toBe(0.95);
    expect(result.warnings).toEqual([
      `mask ${most.mask} is 95.0% hole with --polarity hole-black: with so little of the image known the fill is mostly a guess (if the hole is the other colour, use --polarity hole-white)`,
    ]);
    const ninety = await pair(360);
    expect((await inpaintImage({ checkpoint, image: ninety.image, mask: ninety.mask, out: ninety.out, polarity: 'hole-black' })).warnings).toEqual([]);
  });

  test('the CLI exits 1 naming the mask and writes nothing; with hole-white an all-white mask is all hole too', async () => {
    const all = await pair(400);
    const run = await runCli(['inpaint', '--checkpoint', checkpoint, '--image', all.image, '--mask', all.mask, '--out', all.out, '--backend', 'wasm']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: mask ${all.mask} has no valid pixel with --polarity hole-black: it is 100% hole, so there is nothing to inpaint from`);
    expect(run.stderr).toContain('hint: Leave part of the image known; if the hole is the other colour, use --polarity hole-white.');
    expect(existsSync(all.out)).toBe(false);
    const white = await pair(0);
    const inverted = await runCli([
      'inpaint',
      '--checkpoint',
      checkpoint,
      '--image',
      white.image,
      '--mask',
      white.mask,
      '--out',
      white.out,
      '--polarity',
      'hole-white',
    ]);
    expect(inverted.code).toBe(1);
    expect(inverted.stderr).toContain('has no valid pixel with --polarity hole-white');
    expect(existsSync(white.out)).toBe(false);
  });

  test('the CLI warns (and still writes) above 90% hole', async () => {
    const most = await pair(390);
    const run = await runCli([
      'inpaint',
      '--checkpoint',
      checkpoint,
      '--image',
      most.image,
      '--mask',
      most.mask,
      '--out',
      most.out,
      '--backend',
      'wasm',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(most.out)).toBe(true);
    expect(cliEvents(run.stdout)).toContainEqual(
      expect.objectContaining({ type: 'log', level: 'warn', message: expect.stringMatching(/is 97\.5% hole with --polarity hole-black/) }),
    );
  });
});
