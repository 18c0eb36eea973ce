import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../../src/core/config/parse-config.js';
import { type ExperimentConfig, ExperimentConfigSchema, lossWeightsOf } from '../../../src/core/config/schema.js';
import { listImages, splitImages } from '../../../src/core/data/image-list.js';
import { type BackendInfo, setupBackend } from '../../../src/core/engine/backend.js';
import { trainingLogPath, trainModel } from '../../../src/core/train/trainer.js';
import type { CoreEvent } from '../../../src/protocol/events.js';
import { repoRoot } from '../../helpers/run-cli.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();
let backend: BackendInfo;

beforeAll(async () => {
  backend = await setupBackend('wasm');
});

function tinyConfig(loss: string): ExperimentConfig {
  return parseConfig(
    `name: tiny
seed: 3
data: { root: ${resolve(repoRoot, 'data/photos')}, imageSize: 16, testFraction: 0.2, validationFraction: 0.1 }
masks: { bins: [[0.05, 0.3], [0.3, 0.5]], border: { margin: 1 } }
model: { levels: 2, baseChannels: 4, maxChannels: 8 }
loss: ${loss}
train:
  batchSize: 2
  phase1: { learningRate: 0.002, steps: 3, freezeEncoderBatchNorm: false }
  phase2: { learningRate: 0.001, steps: 1, freezeEncoderBatchNorm: true }
  validateEvery: 100
`,
    'tiny.yaml',
    repoRoot,
  );
}

describe('loss.baseline', () => {
  test("unset, the baseline trains with PConv's weights; each key set overrides that one weight for the baseline only", () => {
    const same = tinyConfig('{ perceptual: 0, style: 0 }');
    expect(same.loss.baseline).toBeUndefined();
    expect(lossWeightsOf('conv', same.loss)).toEqual(lossWeightsOf('pconv', same.loss));
    expect(lossWeightsOf('pconv', same.loss)).toEqual({ valid: 1, hole: 6, perceptual: 0, style: 0, tv: 0.1 });
    const own = tinyConfig('{ perceptual: 0, style: 0, baseline: { hole: 3, tv: 0 } }');
    expect(lossWeightsOf('pconv', own.loss)).toEqual({ valid: 1, hole: 6, perceptual: 0, style: 0, tv: 0.1 });
    expect(lossWeightsOf('conv', own.loss)).toEqual({ valid: 1, hole: 3, perceptual: 0, style: 0, tv: 0 });
  });

  test('a baseline weight on VGG16 features needs loss.vgg; an unknown or negative key is refused', () => {
    const base = { name: 'x', data: { root: 'd', imageSize: 16 }, masks: { border: { margin: 1 } }, model: { levels: 2 } };
    const problems = (loss: unknown) => {
      const parsed = ExperimentConfigSchema.safeParse({ ...base, loss });
      return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems({ perceptual: 0, style: 0 })).toEqual([]);
    expect(problems({ perceptual: 0, style: 0, baseline: { style: 120 } })).toEqual([
      expect.stringMatching(/^loss\.vgg: loss\.baseline\.perceptual and loss\.baseline\.style need VGG16 weights/),
    ]);
    expect(problems({ perceptual: 0, style: 0, baseline: { holes: 6 } })).toEqual([expect.stringMatching(/^loss\.baseline: Unrecognized key/)]);
    expect(problems({ perceptual: 0, style: 0, baseline: { hole: -1 } })).toEqual([expect.stringMatching(/^loss\.baseline\.hole: /)]);
  });

  test("the baseline's weights reach its training, and only its: the logged total is the baseline's weighted sum", async () => {
    // tv 0 for both, so the total is exactly valid and hole weighted (no VGG16 terms).
    const config = tinyConfig('{ perceptual: 0, style: 0, tv: 0, baseline: { valid: 2, hole: 0.5 } }');
    const splits = splitImages(await listImages(config.data), config.data, config.seed);
    const run = await tempDir();
    const events: CoreEvent[] = [];
    const results = [];
    for (const kind of ['pconv', 'conv'] as const) {
      results.push(
        await trainModel({
          config,
          configHash: 'h',
          kind,
          runDir: run,
          backend,
          trainFiles: splits.train,
          validationFiles: splits.validation,
          onEvent: (e) => events.push(e),
        }),
      );
    }
    expect(results.map((r) => r.lossWeights)).toEqual([
      { valid: 1, hole: 6, perceptual: 0, style: 0, tv: 0 },
      { valid: 2, hole: 0.5, perceptual: 0, style: 0, tv: 0 },
    ]);
    const lines = async (kind: 'pconv' | 'conv') =>
      (await readFile(trainingLogPath(run, kind), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; total: number; valid: number; hole: number })
        .filter((l) => l.type === 'train');
    for (const line of await lines('pconv')) expect(line.total).toBeCloseTo(line.valid + 6 * line.hole, 5);
    for (const line of await lines('conv')) expect(line.total).toBeCloseTo(2 * line.valid + 0.5 * line.hole, 5);
    const logs = events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
    expect(logs).toContain('conv: loss weights valid 2, hole 0.5, perceptual 0, style 0, tv 0 (loss.baseline over loss.*)');
    expect(logs.some((m) => m.startsWith('pconv: loss weights'))).toBe(false);
  });
});
