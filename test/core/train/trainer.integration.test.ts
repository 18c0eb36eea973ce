import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../../src/core/config/parse-config.js';
import type { ExperimentConfig } from '../../../src/core/config/schema.js';
import { concatFloat32 } from '../../../src/core/data/concat-float32.js';
import { CENTRE_CROP, loadImageCrop } from '../../../src/core/data/load-image.js';
import { type BackendInfo, setupBackend } from '../../../src/core/engine/backend.js';
import { InterruptedError } from '../../../src/core/errors.js';
import { createPredictor } from '../../../src/core/infer/predictor.js';
import { writeMaskSet } from '../../../src/core/masks/write-mask-set.js';
import { loadVgg16Weights } from '../../../src/core/model/load-vgg16-weights.js';
import { vgg16FeatureExtractor } from '../../../src/core/model/vgg16-features.js';
import { deriveSeed } from '../../../src/core/rng.js';
import { loadCheckpoint } from '../../../src/core/train/checkpoint.js';
import { loadTrainedNetwork } from '../../../src/core/train/trained-network.js';
import { checkpointDir, type TrainOptions, trainingLogPath, trainModel } from '../../../src/core/train/trainer.js';
import { trainingMaskSampler } from '../../../src/core/train/training-masks.js';
import { scorePair } from '../../../src/eval/pair-scoring.js';
import type { CoreEvent } from '../../../src/protocol/events.js';
import { parseTrainLog } from '../../../src/protocol/training-log.js';
import { fakeVgg16, writeKerasH5 } from '../../helpers/fake-vgg16.js';
import { repoRoot } from '../../helpers/run-cli.js';
import { useTempDirs } from '../../helpers/temp-dir.js';
import { trainOptions } from '../../helpers/train-options.js';

const tempDir = useTempDirs();
let backend: BackendInfo;

function tinyConfig(extra = ''): ExperimentConfig {
  const text = `name: tiny
seed: 3
data: { root: ${resolve(repoRoot, 'data/photos')}, imageSize: 16, testFraction: 0.2, validationFraction: 0.1 }
masks: { bins: [[0.05, 0.3], [0.3, 0.5]], border: { margin: 1 } }
model: { levels: 2, baseChannels: 4, maxChannels: 8 }
loss: { perceptual: 0, style: 0 }
train:
  batchSize: 2
  phase1: { learningRate: 0.002, steps: 6, freezeEncoderBatchNorm: false }
  phase2: { learningRate: 0.001, steps: 4, freezeEncoderBatchNorm: true${extra} }
  checkpointEvery: 3
  validateEvery: 5
`;
  return parseConfig(text, 'tiny.yaml', repoRoot);
}

const options = (config: ExperimentConfig, runDir: string, extra: Partial<TrainOptions> = {}) => trainOptions(config, backend, runDir, extra);

async function trainLines(runDir: string, kind: 'pconv' | 'conv' = 'pconv') {
  return (await readFile(trainingLogPath(runDir, kind), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; step: number; total: number });
}

beforeAll(async () => {
  backend = await setupBackend('wasm');
});

describe('trainModel', () => {
  test.each(['pconv', 'conv'] as const)('%s: an interrupted and resumed run has exactly the losses of an uninterrupted one', async (kind) => {
    const config = tinyConfig();
    const straight = await tempDir();
    await trainModel(await options(config, straight, { kind }));
    const interrupted = await tempDir();
    const controller = new AbortController();
    const first = trainModel(
      await options(config, interrupted, {
        kind,
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'progress' && event.stage.endsWith('phase1') && event.done === 4) controller.abort();
        },
      }),
    );
    await expect(first).rejects.toBeInstanceOf(InterruptedError);
    expect((await loadCheckpoint(checkpointDir(interrupted, kind, 'latest'))).meta.step).toBe(4);
    await expect(trainModel(await options(config, interrupted, { kind }))).rejects.toThrow(/already has a checkpoint at step 4/);
    const resumed = await trainModel(await options(config, interrupted, { kind, resume: true }));
    expect(resumed.step).toBe(10);
    expect(await trainLines(interrupted, kind)).toEqual(await trainLines(straight, kind));
  });

  test.each([
    ['pconv', 'same'],
    ['conv', 'symmetric'],
  ] as const)(
    '%s (padding %s): train.phase2.resetOptimizer starts phase 2 with a fresh Adam, and a run resumed in phase 2 equals an uninterrupted one',
    async (kind, padding) => {
      const withPadding = (config: ExperimentConfig): ExperimentConfig => ({ ...config, model: { ...config.model, padding } });
      const config = withPadding(tinyConfig(', resetOptimizer: true'));
      expect(config.train?.phase2.resetOptimizer).toBe(true);
      expect(tinyConfig().train?.phase2.resetOptimizer).toBe(false);
      const straight = await tempDir();
      await trainModel(await options(config, straight, { kind }));
      // The step count restarts: 6 updates in phase 1, then 4 counted from 0 (carried over: 10).
      expect((await loadCheckpoint(checkpointDir(straight, kind, 'phase1'))).meta.optimizer.t).toBe(6);
      expect((await loadCheckpoint(checkpointDir(straight, kind, 'phase2'))).meta.optimizer.t).toBe(4);
      const carried = await tempDir();
      await trainModel(await options(withPadding(tinyConfig()), carried, { kind }));
      expect((await loadCheckpoint(checkpointDir(carried, kind, 'phase2'))).meta.optimizer.t).toBe(10);
      const [resetLines, carriedLines] = [await trainLines(straight, kind), await trainLines(carried, kind)];
      const phase1 = (lines: typeof resetLines) => lines.filter((l) => l.step <= 6);
      expect(phase1(resetLines)).toEqual(phase1(carriedLines));
      expect(resetLines.filter((l) => l.type === 'train' && l.step === 10)).not.toEqual(carriedLines.filter((l) => l.type === 'train' && l.step === 10));

      // Interrupted as phase 2 starts: the checkpoint holds the fresh state (no moments, t = 0).
      const interrupted = await tempDir();
      const stopAt = (when: (event: Parameters<NonNullable<TrainOptions['onEvent']>>[0]) => boolean) => {
        const controller = new AbortController();
        return { signal: controller.signal, onEvent: (event: Parameters<NonNullable<TrainOptions['onEvent']>>[0]) => when(event) && controller.abort() };
      };
      const atPhase2 = stopAt((e) => e.type === 'stage' && e.stage === `train-${kind}-phase2` && e.status === 'started');
      await expect(trainModel(await options(config, interrupted, { kind, ...atPhase2 }))).rejects.toBeInstanceOf(InterruptedError);
      const start = await loadCheckpoint(checkpointDir(interrupted, kind, 'latest'));
      expect(start.meta).toMatchObject({ step: 6, phase: 2, phaseFinished: false, optimizer: { t: 0 } });
      expect([...start.tensors.keys()].filter((key) => key.startsWith('adam.'))).toEqual([]);
      // Resumed, and interrupted after phase 2's first update: Adam's first step from zero moments,
      // m = (1 - b1) g and v = (1 - b2) g^2, so m^2 / v = 0.01 / 0.001 = 10 wherever g is not 0.
      const afterOne = stopAt((e) => e.type === 'progress' && e.stage === `train-${kind}-phase2` && e.done === 1);
      await expect(trainModel(await options(config, interrupted, { kind, resume: true, ...afterOne }))).rejects.toBeInstanceOf(InterruptedError);
      const one = await loadCheckpoint(checkpointDir(interrupted, kind, 'latest'));
      expect(one.meta).toMatchObject({ step: 7, phase: 2, optimizer: { t: 1 } });
      const m = one.tensors.get('adam.m/d3#0')?.values as Float32Array;
      const v = one.tensors.get('adam.v/d3#0')?.values as Float32Array;
      expect(m.length).toBeGreaterThan(0);
      const ratios = [...m].map((mi, i) => (mi * mi) / (v[i] as number)).filter((r, i) => (v[i] as number) > 1e-20 && Number.isFinite(r));
      expect(ratios.length).toBeGreaterThan(m.length / 2);
      for (const r of ratios) expect(r).toBeCloseTo(10, 3);
      // Resumed to the end: the same losses and weights as the uninterrupted run.
      const resumed = await trainModel(await options(config, interrupted, { kind, resume: true }));
      expect(resumed.step).toBe(10);
      expect(await trainLines(interrupted, kind)).toEqual(resetLines);
      const [a, b] = [await loadCheckpoint(checkpointDir(interrupted, kind, 'phase2')), await loadCheckpoint(checkpointDir(straight, kind, 'phase2'))];
      expect(a.meta.optimizer.t).toBe(4);
      for (const [key, t] of b.tensors) expect([...(a.tensors.get(key)?.values ?? [])], key).toEqual([...t.values]);
    },
  );

  test('validation scores the composited predictions as evaluation does, on the same seeded pairs each time, and logs and emits the quality', async () => {
    const config = tinyConfig();
    const run = await tempDir();
    const events: CoreEvent[] = [];
    const opts = await options(config, run, { onEvent: (event) => events.push(event) });
    const result = await trainModel(opts);
    const log = parseTrainLog(await readFile(trainingLogPath(run, 'pconv'), 'utf8'));
    expect(log.skipped).toBe(0);
    const validations = log.lines.filter((line) => line.type === 'validation');
    // validateEvery 5 of 10 steps: one in each phase.
    expect(validations.map((line) => [line.step, line.phase, line.v])).toEqual([
      [5, 1, 1],
      [10, 2, 1],
    ]);
    const emitted = events.filter((event) => event.type === 'validation');
    expect(emitted).toEqual(
      validations.map(({ phase, step, samples, quality, total, valid, hole, perceptual, styleOut, styleComp, tv }) => ({
        type: 'validation',
        model: 'pconv',
        phase,
        step,
        loss: { total, valid, hole, perceptual, styleOut, styleComp, tv },
        quality,
        samples: resolve(run, samples),
      })),
    );
    expect(result.lastValidation).toEqual({ step: 10, phase: 2, loss: emitted[1]?.type === 'validation' && emitted[1].loss, quality: validations[1]?.quality });
    // The data loader's figures for training.json (both phases share one loader), and their log line.
    expect(result.dataLoader).toMatchObject({ batchSize: 2, batches: 10 });
    expect(result.dataLoader?.neededImagesPerSecond).toBeGreaterThan(0);
    expect(result.dataLoader?.deliveredImagesPerSecond).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'log' && e.message.startsWith('pconv: data loader: training needed '))).toHaveLength(1);
    // The training progress gives the global step beside the loss.
    expect(events.filter((e) => e.type === 'progress' && e.stage === 'train-pconv-phase2').map((e) => e.type === 'progress' && e.metrics?.step)).toEqual([
      7, 8, 9, 10,
    ]);

    // Step 10 is the end of phase 2: its checkpoint holds the weights that validated there. The same
    // pairs (the first validation images, centre-cropped, masks seeded by (seed, 'validation-mask', i))
    // through evaluation's predictor and scorePair give the logged quality.
    const size = config.data.imageSize;
    const files = opts.validationFiles.slice(0, 8);
    expect(files.length).toBeGreaterThan(0);
    const images = await Promise.all(files.map((file) => loadImageCrop(file, size, CENTRE_CROP)));
    const sampler = await trainingMaskSampler(config);
    const masks = await Promise.all(
      files.map(async (_, i) => Float32Array.from(await sampler(deriveSeed(config.seed, 'validation-mask', i)), (v) => (v === 0 ? 0 : 1))),
    );
    const { net } = await loadTrainedNetwork(checkpointDir(run, 'pconv', 'phase2'), { config, kind: 'pconv' });
    const predictor = await createPredictor(net, { kind: 'pconv', size, baselineFill: config.model.baselineFill, engine: 'tfjs' });
    const outputs = await predictor.predict(concatFloat32(images), concatFloat32(masks), files.length);
    await predictor.dispose();
    net.dispose();
    const scored = files.map((_, k) => {
      const data = outputs.slice(k * size * size * 3, (k + 1) * size * size * 3);
      const job = { k, size, image: images[k] as Float32Array, valid: masks[k] as Float32Array, outputs: [{ name: 'PConv', data }], keepComposites: [] };
      return scorePair(job, undefined).metrics[0]?.metrics as NonNullable<ReturnType<typeof scorePair>['metrics'][number]>['metrics'];
    });
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const holes = scored.flatMap((m) => (m.l1Hole === undefined ? [] : [m.l1Hole]));
    // The same network on the same inputs, the same arithmetic: the same values to the bit.
    expect(validations[1]?.quality).toEqual({
      pairs: files.length,
      psnr: mean(scored.map((m) => m.psnr)),
      ssim: mean(scored.map((m) => m.ssim)),
      l1Hole: mean(holes),
    });
  });

  test('phase 2 keeps the encoder batch-norm statistics and changes the decoder; gamma/beta follow the config', async () => {
    for (const affineFrozen of [false, true]) {
      const config = tinyConfig(affineFrozen ? ', freezeEncoderBatchNormAffine: true' : '');
      const run = await tempDir();
      await trainModel(await options(config, run));
      const p1 = await loadCheckpoint(checkpointDir(run, 'pconv', 'phase1'));
      const p2 = await loadCheckpoint(checkpointDir(run, 'pconv', 'phase2'));
      const same = (key: string) => [...(p1.tensors.get(key)?.values ?? [])].join() === [...(p2.tensors.get(key)?.values ?? [])].join();
      // #0 gamma, #1 beta, #2 moving mean, #3 moving variance.
      expect(same('e2_bn#2')).toBe(true);
      expect(same('e2_bn#3')).toBe(true);
      expect(same('d3_bn#2')).toBe(false);
      expect(same('e2_bn#0')).toBe(affineFrozen);
      expect(same('e1#0')).toBe(false);
      expect(p2.meta).toMatchObject({ phase: 2, step: 10, phaseFinished: true, optimizer: { learningRate: 0.001 } });
    }
  });

  test("on wasm the paper's 512 px batch 6 is refused before the first step, naming the keys, and leaves nothing", async () => {
    const text = `name: paper
seed: 3
data: { root: ${resolve(repoRoot, 'data/photos')}, imageSize: 512, testFraction: 0.2, validationFraction: 0.1 }
masks: { bins: [[0.05, 0.3]], border: { margin: 1 } }
model: { levels: 8, baseChannels: 64, maxChannels: 512 }
loss: { perceptual: 0, style: 0 }
train:
  batchSize: 6
  phase1: { learningRate: 0.0002, steps: 2, freezeEncoderBatchNorm: false }
  phase2: { learningRate: 0.00005, steps: 1, freezeEncoderBatchNorm: true }
`;
    const config = parseConfig(text, 'paper.yaml', repoRoot);
    const runDir = await tempDir();
    // What --restart would delete stays: the refusal comes first.
    await mkdir(join(runDir, 'checkpoints', 'pconv'), { recursive: true });
    await writeFile(join(runDir, 'checkpoints', 'pconv', 'keep.txt'), 'an earlier run');
    const before = tf.memory().numTensors;
    await expect(trainModel(await options(config, runDir, { restart: true }))).rejects.toThrow(
      /training pconv at data\.imageSize 512 with train\.batchSize 6 needs at least .* GiB of tensors, and the wasm backend's heap holds at most 4 GiB/,
    );
    expect(tf.memory().numTensors).toBe(before);
    await expect(readFile(trainingLogPath(runDir, 'pconv'), 'utf8')).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(runDir, 'checkpoints', 'pconv', 'keep.txt'), 'utf8')).toBe('an earlier run');
  });

  test('an exploding loss stops with a clear error and keeps the last good checkpoint', async () => {
    const config = tinyConfig();
    const train = config.train as NonNullable<ExperimentConfig['train']>;
    // Phase 1 trains normally; phase 2's learning rate blows the weights up.
    const broken = { ...config, train: { ...train, phase2: { ...train.phase2, learningRate: 1e30 } } };
    const run = await tempDir();
    await expect(trainModel(await options(broken, run))).rejects.toThrow(/pconv: the loss became (NaN|Infinity|-Infinity) at step \d+ \(phase 2\)/);
    const kept = await loadCheckpoint(checkpointDir(run, 'pconv', 'latest'));
    expect(kept.meta).toMatchObject({ step: 6, phase: 1, phaseFinished: true });
  });

  test('a damaged or foreign checkpoint is a clear error on resume', async () => {
    const config = tinyConfig();
    const run = await tempDir();
    await trainModel(await options(config, run));
    const latest = checkpointDir(run, 'pconv', 'latest');
    const other = { ...config, seed: 4 };
    await expect(trainModel(await options(other, run, { resume: true }))).rejects.toThrow(/made with another config/);
    const bin = join(latest, 'tensors.bin');
    const bytes = await readFile(bin);
    await writeFile(bin, bytes.subarray(0, bytes.length - 8));
    await expect(trainModel(await options(config, run, { resume: true }))).rejects.toThrow(/is damaged: tensors.bin does not match its recorded hash/);
    await rm(join(latest, 'checkpoint.json'));
    await expect(trainModel(await options(config, run, { resume: true }))).rejects.toThrow(/is damaged: checkpoint.json is missing/);
  });

  test('with VGG16 features the perceptual and style terms take part, from a Keras .h5 file', async () => {
    const dir = await tempDir();
    await writeKerasH5(join(dir, 'vgg16.h5'), fakeVgg16(5));
    const config = tinyConfig();
    const withVgg = {
      ...config,
      loss: { ...config.loss, perceptual: 0.05, style: 120, vgg: { weights: join(dir, 'vgg16.h5'), preprocessing: 'caffe' as const } },
    };
    const features = vgg16FeatureExtractor(await loadVgg16Weights(join(dir, 'vgg16.h5')), 'caffe');
    const run = await tempDir();
    const logs: { level: string; message: string }[] = [];
    await trainModel(await options(withVgg, run, { features, onEvent: (event) => event.type === 'log' && logs.push(event) }));
    features.dispose();
    // Random He-scaled weights fed caffe's 0..255 input: the style term dwarfs the rest, as Keras' weights would under eq. 7.
    const step0 = logs.filter((l) => l.message.startsWith('pconv step 0:'));
    expect(step0[0]).toMatchObject({
      level: 'info',
      message: expect.stringMatching(/^pconv step 0: weighted loss terms valid \S+, hole \S+, perceptual \S+, style \S+, tv \S+ \(total \S+\)$/),
    });
    expect(step0[1]).toMatchObject({
      level: 'warn',
      message: expect.stringMatching(/^pconv step 0: the weighted style term \(\S+\) is [\d,]+x the weighted L1 terms .*loss\.vgg\.preprocessing is caffe/),
    });
    expect(step0).toHaveLength(2);
    const lines = (await trainLines(run)) as unknown as { type: string; perceptual: number; styleOut: number; styleComp: number; total: number }[];
    const first = lines.find((l) => l.type === 'train');
    expect(first?.perceptual).toBeGreaterThan(0);
    expect(first?.styleOut).toBeGreaterThan(0);
    expect(first?.styleComp).toBeGreaterThan(0);
    expect(lines.every((l) => Number.isFinite(l.total))).toBe(true);

    // The same weights with torch preprocessing (normalised RGB): terms in proportion, no warning.
    const torchConfig = { ...withVgg, loss: { ...withVgg.loss, vgg: { weights: join(dir, 'vgg16.h5'), preprocessing: 'torch' as const } } };
    const torchFeatures = vgg16FeatureExtractor(await loadVgg16Weights(join(dir, 'vgg16.h5')), 'torch');
    const torchLogs: { level: string; message: string }[] = [];
    const torchRun = await tempDir();
    await trainModel(await options(torchConfig, torchRun, { features: torchFeatures, phases: [1], onEvent: (e) => e.type === 'log' && torchLogs.push(e) }));
    torchFeatures.dispose();
    expect(torchLogs.filter((l) => l.message.startsWith('pconv step 0:')).map((l) => l.level)).toEqual(['info']);
  });

  test('training masks can come from an imported set, augmented; every validation writes a sample grid', async () => {
    const masksDir = await tempDir();
    await writeMaskSet(
      {
        width: 48,
        height: 48,
        seed: 1,
        bins: [{ lo: 0.05, hi: 0.3 }],
        binRule: '(lo,hi]',
        margin: 2,
        subsets: ['border'],
        perBin: 5,
        generator: { kind: 'pconv-keras', sizeFactor: 0.03, minThickness: 3, lines: true, circles: true, ellipses: true },
        limits: { maxShapes: 5000, maxAttempts: 20 },
      },
      { outDir: masksDir, workers: 0 },
    );
    const config = tinyConfig();
    const train = config.train as NonNullable<ExperimentConfig['train']>;
    const imported = {
      ...config,
      train: {
        ...train,
        masks: { source: 'import' as const, dir: join(masksDir, 'masks'), dilation: [3, 5] as [number, number], maxRotation: 30, maxShift: 0.1, minCrop: 0.5 },
      },
    };
    const sampler = await trainingMaskSampler(imported);
    const a = await sampler(7);
    expect(a.length).toBe(16 * 16);
    expect(a.every((v) => v === 0 || v === 255)).toBe(true);
    expect(await sampler(7)).toEqual(a);
    const run = await tempDir();
    const result = await trainModel(await options(imported, run));
    expect(result.step).toBe(10);
    const grid = await sharp(join(run, 'samples', 'pconv-step-0000005.png')).metadata();
    // 4 columns of 16 px with 2 px gaps; one row per validation image, at most 4.
    expect(grid.width).toBe(4 * 16 + 3 * 2);
    expect([16, 34, 52, 70]).toContain(grid.height);
    const missing = { ...config, train: { ...train, masks: { ...imported.train.masks, dir: join(masksDir, 'nothing') } } };
    await expect(trainModel(await options(missing, await tempDir()))).rejects.toThrow(/holds no mask set/);
    // The run's own test mask folder is refused before anything is built, naming both folders.
    const own = { ...config, train: { ...train, masks: { ...imported.train.masks, dir: join(masksDir, 'masks') } } };
    await expect(trainModel(await options(own, masksDir))).rejects.toThrow(
      `train.masks.dir ${join(masksDir, 'masks')} is the run's test mask folder ${join(masksDir, 'masks')}`,
    );
  });

  test('training leaks no tensors', async () => {
    const config = tinyConfig();
    const before = tf.memory().numTensors;
    await trainModel(await options(config, await tempDir()));
    expect(tf.memory().numTensors).toBe(before);
  });
});
