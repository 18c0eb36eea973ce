import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { parseModelOption } from '../../src/cli/model-option.js';
import { parseConfig } from '../../src/core/config/parse-config.js';
import type { ExperimentConfig } from '../../src/core/config/schema.js';
import { listImages, splitImages } from '../../src/core/data/image-list.js';
import { type BackendInfo, setupBackend } from '../../src/core/engine/backend.js';
import { UserError } from '../../src/core/errors.js';
import { maskSetSpecOf } from '../../src/core/masks/mask-plan.js';
import { writeMaskSet } from '../../src/core/masks/write-mask-set.js';
import type { PublishedModel } from '../../src/core/published/published-model.js';
import { trainModel } from '../../src/core/train/trainer.js';
import { evaluateRun } from '../../src/eval/evaluate.js';
import { findScorers } from '../../src/eval/scorers.js';
import type { CoreEvent } from '../../src/protocol/events.js';
import { ResultsSchema } from '../../src/protocol/results.js';
import { repoRoot } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

/** A stub published model: constant grey output; counts its loads and the images it filled. */
const stub = vi.hoisted(() => ({ loads: [] as string[], predicted: 0, sizeMultiple: 4 }));

vi.mock('../../src/core/published/formats.js', () => ({
  loadPublishedModel: async (format: string, file: string): Promise<PublishedModel> => {
    stub.loads.push(file);
    return {
      format: format as PublishedModel['format'],
      description: `grey stub from ${file}`,
      sizeMultiple: stub.sizeMultiple,
      async predict(images, _valid, count, size) {
        expect(images.length).toBe(count * size * size * 3);
        stub.predicted += count;
        return new Float32Array(count * size * size * 3).fill(0.5);
      },
      dispose() {},
    };
  },
}));

const tempDir = useTempDirs();
let backend: BackendInfo;

function configWith(models: string, size = 16): ExperimentConfig {
  return parseConfig(
    `name: e\nseed: 5\ndata: { root: ${resolve(repoRoot, 'data/photos')}, imageSize: ${size}, testFraction: 0.2 }\nmasks: { bins: [[0.05, 0.25], [0.25, 0.5]], border: { margin: 1 }, perBin: 2 }\nmodel: { levels: 2, baseChannels: 4, maxChannels: 8 }\nloss: { perceptual: 0, style: 0 }\ntrain: { batchSize: 2, phase1: { learningRate: 0.002, steps: 2, freezeEncoderBatchNorm: false }, phase2: { learningRate: 0.001, steps: 0, freezeEncoderBatchNorm: true } }\n${models}`,
    'e.yaml',
    repoRoot,
  );
}

beforeAll(async () => {
  backend = await setupBackend('wasm');
});

beforeEach(() => {
  stub.loads.length = 0;
  stub.predicted = 0;
  stub.sizeMultiple = 4;
});

async function trainedRun(config: ExperimentConfig) {
  const run = await tempDir();
  const s = splitImages(await listImages(config.data), config.data, config.seed);
  await writeMaskSet(maskSetSpecOf(config.masks, config.data.imageSize, config.seed), { outDir: run, workers: 0 });
  await trainModel({ config, configHash: 'h', kind: 'pconv', runDir: run, backend, trainFiles: s.train, validationFiles: s.validation });
  return { run, test: s.test };
}

describe('published models in evaluation', () => {
  test('a published model gets its rows and paired differences; its scores are kept only for the same weights file', async () => {
    const dir = await tempDir();
    const weights = join(dir, 'grey.pth');
    await writeFile(weights, 'weights one');
    const config = configWith(`models:\n  - { name: Grey, format: pytorch-pconv, file: ${weights} }\n`);
    const { run, test: testFiles } = await trainedRun(config);
    const events: CoreEvent[] = [];
    const evaluate = () =>
      evaluateRun({
        config,
        configHash: 'h',
        runDir: run,
        backend,
        testFiles,
        versions: { test: '1' },
        classical: false,
        workers: 0,
        onEvent: (e) => events.push(e),
      });

    const results = ResultsSchema.parse(await evaluate());
    expect(results.format).toBe('pconv-bench/results@4');
    expect(results.models.map((m) => [m.name, m.kind])).toEqual([
      ['PConv', 'pconv'],
      ['Grey', 'published'],
    ]);
    const grey = results.models[1];
    expect(grey?.checkpoint).toBe('grey.pth');
    expect(grey?.published).toEqual({ format: 'pytorch-pconv', file: 'grey.pth', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(stub.loads).toEqual([weights]);
    // 8 pairs scored, then the drill-down's pairs (all 8: two per bin and subset) once more, for their pictures.
    expect(stub.predicted).toBe(8 + 8);
    const rows = results.rows.filter((r) => r.model === 'Grey');
    expect(rows).toHaveLength(2 * 2);
    expect(rows.every((r) => r.metrics.psnr.n === 2 && r.metrics.psnr.mean !== null)).toBe(true);
    const paired = results.paired.filter((p) => p.against === 'Grey');
    expect(paired).toHaveLength(2 * 2 * 4);
    expect(paired.every((p) => p.model === 'PConv' && p.difference.n === 2)).toBe(true);
    expect(results.samples.every((s) => s.outputs.Grey !== undefined)).toBe(true);
    expect(results.backend.inference).toContain('pytorch-pconv weights');

    // Same file: every pair and every drill-down picture kept, the model not even loaded; the same bytes.
    const again = ResultsSchema.parse(await evaluate());
    expect(stub.loads).toHaveLength(1);
    expect(stub.predicted).toBe(16);
    expect(again).toEqual(results);

    // Another file under the same name and path: its kept scores no longer count.
    await writeFile(weights, 'weights two');
    const changed = ResultsSchema.parse(await evaluate());
    expect(stub.loads).toHaveLength(2);
    // Scored again, and the pictures made again: they were another model's.
    expect(stub.predicted).toBe(16 + 8 + 8);
    expect(changed.models[1]?.published?.sha256).not.toBe(grey?.published?.sha256);
    expect(events.some((e) => e.type === 'log' && /Grey: \d+ score files of another/.test(e.message))).toBe(true);
  });

  test('eval --model adds to the config, names must not clash, and the image size must suit the model', async () => {
    const dir = await tempDir();
    const weights = join(dir, 'm.h5');
    await writeFile(weights, 'w');
    const config = configWith('');
    const { run, test: testFiles } = await trainedRun(config);
    const options = { config, configHash: 'h', runDir: run, backend, testFiles, versions: {}, classical: false, workers: 0 };
    const scorers = await findScorers({ ...options, published: [{ name: 'Keras', format: 'pconv-keras-h5', file: weights }] });
    expect(scorers.map((s) => [s.name, s.kind])).toEqual([
      ['PConv', 'pconv'],
      ['Keras', 'published'],
    ]);
    await expect(findScorers({ ...options, published: [{ name: 'PConv', format: 'pconv-keras-h5', file: weights }] })).rejects.toMatchObject({
      code: 'MODEL_NAME_TAKEN',
    });
    await expect(findScorers({ ...options, published: [{ name: 'Gone', format: 'pconv-keras-h5', file: join(dir, 'gone.h5') }] })).rejects.toMatchObject({
      code: 'MODEL_FILE_MISSING',
    });
    stub.sizeMultiple = 32;
    const error = await evaluateRun({ ...options, published: [{ name: 'Keras', format: 'pconv-keras-h5', file: weights }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).code).toBe('MODEL_SIZE');
    expect((error as UserError).message).toMatch(/Keras .*multiple of 32.*data\.imageSize is 16/);
  });

  test('--model NAME=FORMAT:FILE is read, and a malformed one is a usage error', () => {
    expect(parseModelOption('naoto=pytorch-pconv:w/p.pth', '/here')).toEqual({ name: 'naoto', format: 'pytorch-pconv', file: '/here/w/p.pth' });
    expect(parseModelOption('k=pconv-keras-h5:C:/w.h5', '/here').file).toContain('C:');
    for (const bad of ['naoto', 'naoto=pytorch-pconv', '=pytorch-pconv:f', 'naoto=:f', 'naoto=caffe:f', 'naoto=pytorch-pconv:'])
      expect(() => parseModelOption(bad, '/here')).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});
