import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/core/config/parse-config.js';
import type { ExperimentConfig } from '../../src/core/config/schema.js';
import { listImages, splitImages } from '../../src/core/data/image-list.js';
import { type BackendInfo, setupBackend } from '../../src/core/engine/backend.js';
import { inpaintImage } from '../../src/core/infer/inpaint-image.js';
import { maskSetSpecOf } from '../../src/core/masks/mask-plan.js';
import { writeMaskSet } from '../../src/core/masks/write-mask-set.js';
import { loadCheckpoint } from '../../src/core/train/checkpoint.js';
import { checkpointDir, trainModel } from '../../src/core/train/trainer.js';
import { evaluateRun } from '../../src/eval/evaluate.js';
import { type Results, ResultsSchema } from '../../src/protocol/results.js';
import { CHECKPOINT_FILES } from '../../src/protocol/run-layout.js';
import { repoRoot } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

/**
 * A baseline trained in the older form (the mask as a fourth input channel: configs/smoke.yaml
 * with model.baselineMaskChannel on, and again as a checkpoint from before that key existed) still
 * evaluates and inpaints under a config whose default is the paper's 3-channel form: the
 * checkpoint's recorded config decides how it is fed.
 */
const tempDir = useTempDirs();
let backend: BackendInfo;

beforeAll(async () => {
  backend = await setupBackend('wasm');
});

async function smokeConfig(maskChannel: boolean | undefined): Promise<ExperimentConfig> {
  const text = await readFile(join(repoRoot, 'configs/smoke.yaml'), 'utf8');
  const model = maskChannel === undefined ? '' : `  baselineMaskChannel: ${maskChannel}\n`;
  const withKey = text.replace('  maxChannels: 32\n', `  maxChannels: 32\n${model}`);
  expect(withKey.includes('baselineMaskChannel') || maskChannel === undefined).toBe(true);
  return parseConfig(withKey, 'smoke.yaml', resolve(repoRoot, 'configs'));
}

const psnrs = (results: Results) => results.rows.map((r) => r.metrics.psnr.mean);

describe("an older baseline's checkpoint (mask as a fourth channel)", () => {
  test('trained on configs/smoke.yaml with the option on, it evaluates and inpaints under the 3-channel default, before and after the key existed', async () => {
    const trainedWith = await smokeConfig(true);
    const today = await smokeConfig(undefined);
    expect(today.model.baselineMaskChannel).toBe(false);
    const run = await tempDir();
    const splits = splitImages(await listImages(trainedWith.data), trainedWith.data, trainedWith.seed);
    await writeMaskSet(maskSetSpecOf(trainedWith.masks, trainedWith.data.imageSize, trainedWith.seed), { outDir: run, workers: 0 });
    await trainModel({
      config: trainedWith,
      configHash: 'h',
      kind: 'conv',
      runDir: run,
      backend,
      trainFiles: splits.train,
      validationFiles: splits.validation,
    });
    const dir = checkpointDir(run, 'conv', 'latest');
    const checkpoint = await loadCheckpoint(dir);
    expect(checkpoint.tensors.get('e1#0')?.shape).toEqual([7, 7, 4, 8]);

    const evaluate = async (config: ExperimentConfig, engine: 'tfjs' | 'onnx') =>
      ResultsSchema.parse(
        await evaluateRun({ config, configHash: 'h', runDir: run, backend, testFiles: splits.test, versions: {}, classical: false, engine, restart: true }),
      );
    const reference = await evaluate(trainedWith, 'tfjs');
    expect(reference.models).toEqual([
      {
        name: 'Conv (baseline)',
        kind: 'conv',
        checkpoint: expect.any(String),
        step: 30,
        input: { holes: 'mean-pixel', mask: 'channel' },
        lossWeights: { valid: 1, hole: 6, perceptual: 0, style: 0, tv: 0.1 },
      },
    ]);
    expect(psnrs(reference).every((v) => v !== null && Number.isFinite(v))).toBe(true);
    // Under today's default (no mask channel) the checkpoint is still fed as it was trained, on both engines.
    for (const engine of ['tfjs', 'onnx'] as const) {
      const results = await evaluate(today, engine);
      expect(results.models[0]?.input).toEqual({ holes: 'mean-pixel', mask: 'channel' });
      for (const [i, value] of psnrs(results).entries()) expect(value).toBeCloseTo(psnrs(reference)[i] as number, 3);
    }

    // As an older build wrote it: a recorded config without model.baselineMaskChannel.
    const metaPath = join(dir, CHECKPOINT_FILES.meta);
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as { config: { model: Record<string, unknown> } };
    delete meta.config.model.baselineMaskChannel;
    await writeFile(metaPath, JSON.stringify(meta));
    const older = await evaluate(today, 'onnx');
    expect(older.models[0]?.input).toEqual({ holes: 'mean-pixel', mask: 'channel' });
    for (const [i, value] of psnrs(older).entries()) expect(value).toBeCloseTo(psnrs(reference)[i] as number, 3);

    const out = await tempDir();
    const mask = Buffer.alloc(48 * 40, 255);
    for (let y = 8; y < 20; y++) for (let x = 4; x < 24; x++) mask[y * 48 + x] = 0;
    await sharp(mask, { raw: { width: 48, height: 40, channels: 1 } })
      .png()
      .toFile(join(out, 'mask.png'));
    await sharp(splits.test[0] as string)
      .resize(48, 40)
      .png()
      .toFile(join(out, 'image.png'));
    const inpainted = await inpaintImage({
      checkpoint: dir,
      image: join(out, 'image.png'),
      mask: join(out, 'mask.png'),
      out: join(out, 'out.png'),
      polarity: 'hole-black',
    });
    expect(inpainted).toMatchObject({ model: 'conv', width: 48, height: 40 });
  });
});
