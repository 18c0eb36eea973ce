import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/core/config/parse-config.js';
import type { ExperimentConfig } from '../../src/core/config/schema.js';
import { listImages, splitImages } from '../../src/core/data/image-list.js';
import { type BackendInfo, setupBackend } from '../../src/core/engine/backend.js';
import { maskSetSpecOf } from '../../src/core/masks/mask-plan.js';
import { writeMaskSet } from '../../src/core/masks/write-mask-set.js';
import { trainModel } from '../../src/core/train/trainer.js';
import { evaluateRun } from '../../src/eval/evaluate.js';
import { exportPairs } from '../../src/eval/export-pairs.js';
import { ResultsSchema } from '../../src/protocol/results.js';
import { repoRoot } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();
let backend: BackendInfo;

const config: ExperimentConfig = parseConfig(
  `name: e\nseed: 5\ndata: { root: ${resolve(repoRoot, 'data/photos')}, imageSize: 16, testFraction: 0.2 }\nmasks: { bins: [[0.05, 0.25], [0.25, 0.5]], border: { margin: 1 }, perBin: 3 }\nmodel: { levels: 2, baseChannels: 4, maxChannels: 8 }\nloss: { perceptual: 0, style: 0 }\ntrain: { batchSize: 2, phase1: { learningRate: 0.002, steps: 3, freezeEncoderBatchNorm: false }, phase2: { learningRate: 0.001, steps: 1, freezeEncoderBatchNorm: true } }\n`,
  'e.yaml',
  repoRoot,
);

async function splits() {
  return splitImages(await listImages(config.data), config.data, config.seed);
}

beforeAll(async () => {
  backend = await setupBackend('wasm');
});

async function trainedRun(kinds: ('pconv' | 'conv')[]): Promise<string> {
  const run = await tempDir();
  const s = await splits();
  await writeMaskSet(maskSetSpecOf(config.masks, 16, config.seed), { outDir: run, workers: 0 });
  for (const kind of kinds) await trainModel({ config, configHash: 'h', kind, runDir: run, backend, trainFiles: s.train, validationFiles: s.validation });
  return run;
}

describe('evaluateRun', () => {
  test('scores both models on the same pairs, per bin and border subset, with paired differences', async () => {
    const run = await trainedRun(['pconv', 'conv']);
    const s = await splits();
    const results = ResultsSchema.parse(await evaluateRun({ config, configHash: 'h', runDir: run, backend, testFiles: s.test, versions: { test: '1' } }));
    expect(results.models.map((m) => [m.name, m.kind, m.step])).toEqual([
      ['PConv', 'pconv', 4],
      ['Conv (baseline)', 'conv', 4],
      ['Telea (OpenCV, radius 3)', 'classical', null],
    ]);
    expect(results.images).toEqual({ split: 'test', count: s.test.length, pairs: 2 * 2 * 3 });
    expect(results.rows).toHaveLength(3 * 2 * 2);
    expect(results.rows.every((r) => r.metrics.psnr.n === 3 && r.metrics.l1Hole.n === 3)).toBe(true);
    // PConv against the baseline and against Telea, for 2 bins x 2 subsets x 4 metrics.
    expect(results.paired).toHaveLength(2 * 2 * 2 * 4);
    // The paired difference is the difference of the two rows' means.
    const pc = results.rows.find((r) => r.model === 'PConv' && r.binIndex === 1 && r.border === 'border');
    const cv = results.rows.find((r) => r.model === 'Conv (baseline)' && r.binIndex === 1 && r.border === 'border');
    const d = results.paired.find((p) => p.against === 'Conv (baseline)' && p.binIndex === 1 && p.border === 'border' && p.metric === 'psnr');
    expect(d?.difference.mean).toBeCloseTo((pc?.metrics.psnr.mean ?? 0) - (cv?.metrics.psnr.mean ?? 0), 9);
    expect(results.conventions.ssim).toContain('gaussian_weights=True');
    expect(results.masks.count).toBe(12);
  });

  test("Telea fills a flat image's holes with nearly its colour, and known pixels stay exact", async () => {
    const { teleaInpainter } = await import('../../src/eval/telea.js');
    const telea = await teleaInpainter();
    const image = new Float32Array(32 * 32 * 3).fill(100 / 255);
    const valid = new Float32Array(32 * 32).fill(1);
    for (let y = 10; y < 20; y++) for (let x = 10; x < 20; x++) valid[y * 32 + x] = 0;
    const out = telea(image, valid, 32, 32);
    for (let p = 0; p < 32 * 32; p++) {
      for (let c = 0; c < 3; c++) {
        const v = out[p * 3 + c] as number;
        // OpenCV's Telea lands within two grey levels of a flat colour (measured: 99 to 102 for 100).
        if (valid[p] === 1) expect(v).toBe(Math.fround(100 / 255));
        else expect(Math.round(Math.abs(v * 255 - 100))).toBeLessThanOrEqual(2);
      }
    }
  });

  test('exported pairs (LaMa layout) scored back: a tool that returns the ground truth gets PSNR 100 and L1 0', async () => {
    const run = await trainedRun(['pconv']);
    const s = await splits();
    const out = join(await tempDir(), 'lama');
    const exported = await exportPairs({ config, runDir: run, testFiles: s.test, out, format: 'lama' });
    expect(exported.count).toBe(12);
    const files = (await readdir(out)).sort();
    expect(files).toContain('pair-00000.png');
    expect(files).toContain('pair-00000_mask000.png');
    expect(files).toContain('pairs.json');
    // LaMa's masks are white = hole: the hole ratio read back equals the manifest's.
    const listing = JSON.parse(await readFile(join(out, 'pairs.json'), 'utf8')) as { pairs: { id: string; holeRatio: number }[] };
    const { data } = await sharp(join(out, 'pair-00003_mask000.png')).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect(data.filter((v) => v === 255).length / data.length).toBe(listing.pairs[3]?.holeRatio);
    // A "perfect" tool: its outputs are the exported images themselves, named as LaMa names them.
    const perfect = join(await tempDir(), 'perfect');
    await mkdir(perfect);
    for (const pair of listing.pairs) await copyFile(join(out, `${pair.id}.png`), join(perfect, `${pair.id}_mask000.png`));
    const results = await evaluateRun({
      config,
      configHash: 'h',
      runDir: run,
      backend,
      testFiles: s.test,
      versions: {},
      classical: false,
      external: [{ name: 'oracle', dir: perfect }],
    });
    expect(results.models.map((m) => [m.name, m.kind])).toEqual([
      ['PConv', 'pconv'],
      ['oracle', 'external'],
    ]);
    const oracle = results.rows.filter((r) => r.model === 'oracle');
    expect(oracle.every((r) => r.metrics.psnr.mean === 100 && r.metrics.l1.mean === 0 && r.metrics.ssim.mean === 1)).toBe(true);
    const missing = join(await tempDir(), 'empty');
    await mkdir(missing);
    await expect(
      evaluateRun({ config, configHash: 'h', runDir: run, backend, testFiles: s.test, versions: {}, external: [{ name: 'x', dir: missing }] }),
    ).rejects.toThrow(/no output for pair-00000 in/);
  });

  test('a run without masks, without checkpoints, or with masks of another size is a clear error', async () => {
    const s = await splits();
    const base = { config, configHash: 'h', backend, testFiles: s.test, versions: {} };
    const empty = await tempDir();
    await expect(evaluateRun({ ...base, runDir: empty })).rejects.toThrow(/no test mask set in/);
    await writeMaskSet(maskSetSpecOf(config.masks, 16, 1), { outDir: empty, workers: 0 });
    await expect(evaluateRun({ ...base, runDir: empty })).rejects.toThrow(/no trained model in/);
    const other = await tempDir();
    await writeMaskSet(maskSetSpecOf(config.masks, 24, 1), { outDir: other, workers: 0 });
    await expect(evaluateRun({ ...base, runDir: other })).rejects.toThrow(/masks in .* are 24x24 but data.imageSize is 16/);
    expect((await readdir(empty)).sort()).toEqual(['masks']);
  });

  test('test images smaller than the model input are refused, listed', async () => {
    const run = await trainedRun(['pconv']);
    const dir = await tempDir();
    await mkdir(dir, { recursive: true });
    await sharp({ create: { width: 8, height: 40, channels: 3, background: '#808080' } })
      .png()
      .toFile(join(dir, 'thin.png'));
    const s = await splits();
    await expect(evaluateRun({ config, configHash: 'h', runDir: run, backend, testFiles: [...s.test, join(dir, 'thin.png')], versions: {} })).rejects.toThrow(
      /1 test images are smaller than data.imageSize 16/,
    );
  });
});
