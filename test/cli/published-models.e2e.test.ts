import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { ResultsSchema } from '../../src/protocol/results.js';
import { cliEvent, repoRoot, runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

/** naoto0804's PConvUNet at 3 levels (sizes a multiple of 8), made by the pytorch-pconv loader's fixture script. */
const fixture = join(repoRoot, 'test/fixtures/pytorch-pconv/naoto-3level-2018.pth');

/** configs/smoke.yaml (32 px, a multiple of 8) with its photos and output inside `dir`. */
async function smokeIn(dir: string): Promise<void> {
  const text = (await readFile(join(repoRoot, 'configs/smoke.yaml'), 'utf8'))
    .replace(/root: .*/, `root: ${JSON.stringify(join(repoRoot, 'data/photos'))}`)
    .replace(/dir: \.\.\/reports/, 'dir: ./reports');
  await writeFile(join(dir, 'smoke.yaml'), text);
}

describe('published models from the command line (issue 18)', () => {
  test('eval --model naoto=pytorch-pconv:FILE gives the model its rows, kept for the same file; the report names the weights', async () => {
    const dir = await tempDir();
    await smokeIn(dir);
    expect((await runCli(['masks', 'smoke.yaml', '--out', 'run'], { cwd: dir })).code).toBe(0);
    // No training: a published model is enough to evaluate.
    const args = ['eval', 'smoke.yaml', '--run', 'run', '--model', `naoto=pytorch-pconv:${fixture}`, '--no-classical'];
    const first = await runCli(args, { cwd: dir });
    expect(first.stderr).not.toMatch(/^error/m);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^naoto +\(0\.01, 0\.1\] +no-border +4 /m);
    const results = ResultsSchema.parse(JSON.parse(await readFile(join(dir, 'run/results.json'), 'utf8')));
    expect(results.models).toEqual([
      {
        name: 'naoto',
        kind: 'published',
        checkpoint: 'naoto-3level-2018.pth',
        step: null,
        published: { format: 'pytorch-pconv', file: 'naoto-3level-2018.pth', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      },
    ]);
    expect(results.rows.filter((r) => r.model === 'naoto')).toHaveLength(3 * 2);
    expect(results.rows.every((r) => r.metrics.psnr.n === 4 && (r.metrics.psnr.mean ?? 0) > 5)).toBe(true);

    // The same command again is up to date; the report labels the row with where the weights came from.
    const again = await runCli(args, { cwd: dir });
    expect(again.code).toBe(0);
    expect(await readFile(join(dir, 'run/results.json'), 'utf8')).toBe(JSON.stringify(results, null, 1).concat('\n'));
    expect((await runCli(['report', 'run'], { cwd: dir })).code).toBe(0);
    const html = await readFile(join(dir, 'run/index.html'), 'utf8');
    expect(html).toContain('published weights: naoto-3level-2018.pth (pytorch-pconv, sha256');
  }, 120_000);

  test("eval --model with the seed's PConv-Keras .h5 layout and a naoto0804 .pth in one table, paired against each other's pairs", async () => {
    const dir = await tempDir();
    await smokeIn(dir);
    expect((await runCli(['masks', 'smoke.yaml', '--out', 'run'], { cwd: dir })).code).toBe(0);
    const keras = join(repoRoot, 'test/fixtures/pconv-keras/pconv_keras_small.h5');
    const scored = await runCli(
      ['eval', 'smoke.yaml', '--run', 'run', '--model', `seed=pconv-keras-h5:${keras}`, '--model', `naoto=pytorch-pconv:${fixture}`],
      { cwd: dir },
    );
    expect(scored.code, scored.stderr).toBe(0);
    const results = ResultsSchema.parse(JSON.parse(await readFile(join(dir, 'run/results.json'), 'utf8')));
    expect(results.models.map((m) => [m.name, m.kind, m.published?.format ?? null])).toEqual([
      ['seed', 'published', 'pconv-keras-h5'],
      ['naoto', 'published', 'pytorch-pconv'],
      ['Telea (OpenCV, radius 3)', 'classical', null],
    ]);
    for (const name of ['seed', 'naoto']) expect(results.rows.filter((r) => r.model === name && r.metrics.psnr.n === 4)).toHaveLength(3 * 2);
    // Without a PConv of the run, the published models are compared with each other and with Telea, pair by pair.
    const compared = [...new Set(results.paired.map((p) => `${p.model} - ${p.against}`))];
    expect(compared).toEqual(['seed - naoto', 'seed - Telea (OpenCV, radius 3)', 'naoto - Telea (OpenCV, radius 3)']);
    expect(results.paired.filter((p) => p.model === 'seed' && p.against === 'naoto' && p.difference.n === 4)).toHaveLength(3 * 2 * 4);
  }, 120_000);

  test('inpaint --weights FILE --format pytorch-pconv fills an image of any size, tiled', async () => {
    const dir = await tempDir();
    const photo = join(repoRoot, 'data/photos', (await readdir(join(repoRoot, 'data/photos'))).find((f) => f.endsWith('.png')) as string);
    const { width = 0, height = 0 } = await sharp(photo).metadata();
    const mask = Buffer.alloc(width * height, 255);
    for (let y = 10; y < 40; y++) for (let x = 10; x < 60; x++) mask[y * width + x] = 0;
    await sharp(mask, { raw: { width, height, channels: 1 } })
      .png()
      .toFile(join(dir, 'mask.png'));
    const run = await runCli(
      ['inpaint', '--weights', fixture, '--format', 'pytorch-pconv', '--tile', '64', '--image', photo, '--mask', 'mask.png', '--out', 'out.png', '--json'],
      { cwd: dir },
    );
    expect(run.code).toBe(0);
    expect(cliEvent(run.stdout, 'result')?.data).toMatchObject({ width, height, model: 'pytorch-pconv' });
    expect((await sharp(join(dir, 'out.png')).metadata()).width).toBe(width);
    // A tile the network cannot take is refused, naming the step.
    const bad = await runCli(
      ['inpaint', '--weights', fixture, '--format', 'pytorch-pconv', '--tile', '36', '--image', photo, '--mask', 'mask.png', '--out', 'o.png'],
      {
        cwd: dir,
      },
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/multiple of 8, not 36/);
  }, 120_000);
});
