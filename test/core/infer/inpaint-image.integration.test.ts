import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../../src/core/config/parse-config.js';
import { listImages, splitImages } from '../../../src/core/data/image-list.js';
import { type BackendInfo, setupBackend } from '../../../src/core/engine/backend.js';
import { inpaintImage } from '../../../src/core/infer/inpaint-image.js';
import { checkpointDir, trainModel } from '../../../src/core/train/trainer.js';
import { repoRoot } from '../../helpers/run-cli.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();
let backend: BackendInfo;

beforeAll(async () => {
  backend = await setupBackend('wasm');
});

async function trainedCheckpoint(kind: 'pconv' | 'conv'): Promise<string> {
  const config = parseConfig(
    `name: t\nseed: 2\ndata: { root: ${resolve(repoRoot, 'data/photos')}, imageSize: 16 }\nmasks: { border: { margin: 1 } }\nmodel: { levels: 2, baseChannels: 4, maxChannels: 8 }\nloss: { perceptual: 0, style: 0 }\ntrain: { batchSize: 2, phase1: { learningRate: 0.001, steps: 2, freezeEncoderBatchNorm: false }, phase2: { learningRate: 0.0005, steps: 1, freezeEncoderBatchNorm: true } }\n`,
    't.yaml',
    repoRoot,
  );
  const splits = splitImages(await listImages(config.data), config.data, config.seed);
  const run = await tempDir();
  await trainModel({ config, configHash: 'x', kind, runDir: run, backend, trainFiles: splits.train, validationFiles: splits.validation });
  return checkpointDir(run, kind, 'latest');
}

describe('inpaintImage', () => {
  test.each(['pconv', 'conv'] as const)('%s: an image of another size and aspect keeps every known pixel exactly and fills the holes', async (kind) => {
    const checkpoint = await trainedCheckpoint(kind);
    const dir = await tempDir();
    const [width, height] = [45, 23];
    const raw = Buffer.alloc(width * height * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 37) % 251;
    await sharp(raw, { raw: { width, height, channels: 3 } })
      .png()
      .toFile(join(dir, 'image.png'));
    const mask = Buffer.alloc(width * height, 255);
    for (let y = 5; y < 15; y++) for (let x = 10; x < 30; x++) mask[y * width + x] = 0;
    await sharp(mask, { raw: { width, height, channels: 1 } })
      .png()
      .toFile(join(dir, 'mask.png'));
    const result = await inpaintImage({
      checkpoint,
      image: join(dir, 'image.png'),
      mask: join(dir, 'mask.png'),
      out: join(dir, 'out.png'),
      polarity: 'hole-black',
    });
    expect(result).toMatchObject({ width, height, model: kind, holeRatio: 200 / (width * height) });
    // 45 px wide: tiles at x = 0, 8, 16, 24, 29; 23 px high: y = 0, 7.
    expect(result.tiles).toBe(5 * 2);
    const { data, info } = await sharp(join(dir, 'out.png')).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([width, height, 3]);
    let changedInHoles = 0;
    for (let p = 0; p < width * height; p++) {
      for (let c = 0; c < 3; c++) {
        if (mask[p] === 255) expect(data[p * 3 + c]).toBe(raw[p * 3 + c]);
        else if (data[p * 3 + c] !== raw[p * 3 + c]) changedInHoles++;
      }
    }
    expect(changedInHoles).toBeGreaterThan(300);
  });

  test('a mask of another size, or with no hole under the given polarity, is a clear error', async () => {
    const checkpoint = await trainedCheckpoint('pconv');
    const dir = await tempDir();
    await sharp({ create: { width: 20, height: 20, channels: 3, background: '#336699' } })
      .png()
      .toFile(join(dir, 'image.png'));
    await sharp({ create: { width: 10, height: 20, channels: 3, background: '#000000' } })
      .png()
      .toFile(join(dir, 'small.png'));
    await sharp({ create: { width: 20, height: 20, channels: 3, background: '#ffffff' } })
      .png()
      .toFile(join(dir, 'white.png'));
    const base = { checkpoint, image: join(dir, 'image.png'), out: join(dir, 'out.png'), polarity: 'hole-black' as const };
    await expect(inpaintImage({ ...base, mask: join(dir, 'small.png') })).rejects.toThrow(/is 10x20 but image .* is 20x20/);
    await expect(inpaintImage({ ...base, mask: join(dir, 'white.png') })).rejects.toThrow(/has no hole with --polarity hole-black/);
    await expect(inpaintImage({ ...base, checkpoint: join(dir, 'nothing'), mask: join(dir, 'white.png') })).rejects.toThrow(/no checkpoint at/);
  });
});
