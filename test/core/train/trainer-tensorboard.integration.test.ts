import { cpSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../../src/core/config/load-config.js';
import type { ExperimentConfig } from '../../../src/core/config/schema.js';
import { type BackendInfo, setupBackend } from '../../../src/core/engine/backend.js';
import { InterruptedError } from '../../../src/core/errors.js';
import { checkpointDir, type TrainOptions, trainingLogPath, trainModel } from '../../../src/core/train/trainer.js';
import { runLayout } from '../../../src/protocol/run-layout.js';
import { LossValuesSchema, parseTrainLog, type TrainLogLine } from '../../../src/protocol/training-log.js';
import { repoRoot } from '../../helpers/run-cli.js';
import { useTempDirs } from '../../helpers/temp-dir.js';
import { type DecodedImage, eventFilesIn, readEventFile, type ScalarPoint, scalarsAsTensorBoardShows } from '../../helpers/tfevents-reader.js';
import { trainOptions } from '../../helpers/train-options.js';
import { userErrorOf } from '../../helpers/user-error.js';

// TensorBoard event files of `train` on configs/smoke.yaml (32 px, 20 + 10 steps, validation every
// 10), read back with the test-side reader and held against the training log.

const tempDir = useTempDirs();
let backend: BackendInfo;
let smoke: ExperimentConfig;

beforeAll(async () => {
  backend = await setupBackend('wasm');
  smoke = (await loadConfig(join(repoRoot, 'configs/smoke.yaml'))).config;
});

const options = (runDir: string, extra: Partial<TrainOptions> = {}) => trainOptions(smoke, backend, runDir, extra);

async function logLines(runDir: string, kind: 'pconv' | 'conv'): Promise<TrainLogLine[]> {
  const { lines, skipped } = parseTrainLog(await readFile(trainingLogPath(runDir, kind), 'utf8'));
  expect(skipped).toBe(0);
  return lines;
}

const LOSS_TERMS = Object.keys(LossValuesSchema.shape) as (keyof typeof LossValuesSchema.shape)[];

/** The points TensorBoard should show for each logged scalar: the log's values rounded to float32, as simple_value stores them. */
function expectedScalars(lines: TrainLogLine[]): Map<string, ScalarPoint[]> {
  const expected = new Map<string, ScalarPoint[]>();
  const add = (tag: string, step: number, value: number | null | undefined) => {
    if (value === null || value === undefined) return;
    expected.set(tag, [...(expected.get(tag) ?? []), { step, value: Math.fround(value) }]);
  };
  for (const line of lines) {
    if (line.type === 'train') {
      for (const term of LOSS_TERMS) add(`loss/${term}`, line.step, line[term]);
      add('train/learning_rate', line.step, line.learningRate);
      add('train/phase', line.step, line.phase);
    } else {
      for (const term of LOSS_TERMS) add(`validation/loss/${term}`, line.step, line[term]);
      add('validation/psnr', line.step, line.quality?.psnr);
      add('validation/ssim', line.step, line.quality?.ssim);
      add('validation/l1Hole', line.step, line.quality?.l1Hole);
    }
  }
  return expected;
}

/** The validation images of every file of a folder, by step (a later file's image of a step replaces an earlier one's). */
async function imagesByStep(dir: string): Promise<Map<number, DecodedImage>> {
  const images = new Map<number, DecodedImage>();
  for (const file of await eventFilesIn(dir)) {
    for (const event of (await readEventFile(file)).events) {
      for (const value of event.summary ?? []) {
        if (value.image) {
          expect(value.tag).toBe('validation/samples');
          images.set(event.step, value.image);
        }
      }
    }
  }
  return images;
}

describe('train writes TensorBoard event files', () => {
  test('pconv, killed past its last checkpoint and resumed: two files, each opened by file_version and a SessionLog START, that read as TensorBoard reads them equal the training log', async () => {
    const runDir = await tempDir();
    const latest = checkpointDir(runDir, 'pconv', 'latest');
    const aside = join(runDir, 'checkpoint-of-step-10');
    const controller = new AbortController();
    const first = trainModel(
      await options(runDir, {
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type !== 'progress' || !event.stage.endsWith('phase1')) return;
          // Keep the checkpoint of step 10 (checkpointEvery), then stop at 14: put back, it leaves
          // steps 11..14 logged past the checkpoint, as a kill -9 at step 14 would.
          if (event.done === 11) cpSync(latest, aside, { recursive: true });
          if (event.done === 14) controller.abort();
        },
      }),
    );
    await expect(first).rejects.toBeInstanceOf(InterruptedError);
    await rm(latest, { recursive: true });
    await rename(aside, latest);
    const resumed = await trainModel(await options(runDir, { resume: true }));
    expect(resumed.step).toBe(30);

    const dir = runLayout(runDir).tensorboard('pconv');
    expect(dir).toBe(join(runDir, 'tensorboard', 'pconv'));
    const files = await eventFilesIn(dir);
    expect(files).toHaveLength(2);
    const [before, after] = await Promise.all(files.map(readEventFile));
    for (const [file, firstStep] of [
      [before, 1],
      [after, 11],
    ] as const) {
      expect(file?.tornBytes).toBe(0);
      expect(file?.events[0]).toMatchObject({ step: 0, fileVersion: 'brain.Event:2' });
      expect(file?.events[1]).toMatchObject({ step: firstStep, sessionLogStatus: 1 });
      expect(file?.events.slice(2).every((e) => e.summary !== undefined)).toBe(true);
    }
    // The first file holds the orphaned steps 11..14; the second's START at 11 keeps step 10's points.
    const stepsOf = (file: typeof before) => [...new Set(file?.events.slice(2).map((e) => e.step))];
    expect(stepsOf(before)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(stepsOf(after)).toEqual(Array.from({ length: 20 }, (_, i) => i + 11));

    const lines = await logLines(runDir, 'pconv');
    expect(lines.filter((l) => l.type === 'train').map((l) => l.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(lines.filter((l) => l.type === 'validation').map((l) => l.step)).toEqual([10, 20, 30]);
    const shown = await scalarsAsTensorBoardShows(dir);
    const stepSeconds = shown.get('train/step_seconds');
    shown.delete('train/step_seconds');
    expect(shown).toEqual(expectedScalars(lines));
    expect(stepSeconds?.map((p) => p.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(stepSeconds?.every((p) => p.value > 0 && p.value < 60)).toBe(true);

    // Each validation's grid: the PNG under samples/, byte for byte, with its size in Summary.Image.
    const images = await imagesByStep(dir);
    expect([...images.keys()]).toEqual([10, 20, 30]);
    for (const line of lines.filter((l) => l.type === 'validation')) {
      const image = images.get(line.step) as DecodedImage;
      expect(Buffer.from(image.encoded)).toEqual(await readFile(join(runDir, line.samples)));
      const decoded = await sharp(image.encoded).metadata();
      expect([decoded.format, decoded.width, decoded.height, decoded.channels]).toEqual(['png', image.width, image.height, 3]);
      expect(image.colorspace).toBe(3);
    }
  });

  test('the baseline writes into tensorboard/conv, and --restart starts its event files over with the log', async () => {
    const runDir = await tempDir();
    await trainModel(await options(runDir, { kind: 'conv', phases: [1] }));
    await trainModel(await options(runDir, { kind: 'conv', phases: [1], restart: true }));
    const dir = runLayout(runDir).tensorboard('conv');
    expect(await eventFilesIn(dir)).toHaveLength(1);
    expect(await eventFilesIn(join(runDir, 'tensorboard'))).toEqual([]);
    const shown = await scalarsAsTensorBoardShows(dir);
    shown.delete('train/step_seconds');
    expect(shown).toEqual(expectedScalars(await logLines(runDir, 'conv')));
    expect(shown.get('loss/total')).toHaveLength(20);
    expect(shown.get('train/phase')?.every((p) => p.value === 1)).toBe(true);
  });

  test('a tensorboard folder that cannot be written stops training before its first step, naming the path', async () => {
    const runDir = await tempDir();
    await writeFile(join(runDir, 'tensorboard'), 'a file where the folder goes');
    const error = await userErrorOf(trainModel(await options(runDir)));
    expect(error.code).toBe('TENSORBOARD_WRITE_FAILED');
    expect(error.message).toContain(
      `cannot write TensorBoard events to ${join(runDir, 'tensorboard', 'pconv')}: a part of the path is a file, not a folder (ENOTDIR)`,
    );
    await expect(readFile(trainingLogPath(runDir, 'pconv'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
