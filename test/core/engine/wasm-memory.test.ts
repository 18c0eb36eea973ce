import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { benchConfig } from '../../../src/bench/bench-config.js';
import { runBenchmark } from '../../../src/bench/run-benchmark.js';
import { type BackendInfo, setupBackend } from '../../../src/core/engine/backend.js';
import { checkWasmTrainingMemory, trainingPeakBytesLowerBound, WASM_HEAP_MAX_BYTES } from '../../../src/core/engine/wasm-memory.js';
import { UserError } from '../../../src/core/errors.js';

const KiB = 1024;
const paper512 = { parameters: 32_865_236, imageSize: 512, batchSize: 6, vggFeatures: true };

describe('trainingPeakBytesLowerBound', () => {
  test('16 bytes per parameter, 8 KiB per pixel of each image, 24 KiB more with VGG16 features', () => {
    expect(trainingPeakBytesLowerBound({ parameters: 1000, imageSize: 2, batchSize: 3, vggFeatures: false })).toBe(16_000 + 3 * 4 * 8 * KiB);
    expect(trainingPeakBytesLowerBound({ parameters: 0, imageSize: 2, batchSize: 1, vggFeatures: true })).toBe(4 * 32 * KiB);
  });
  test('stays under what was measured on wasm (tf.memory peak, paper UNet, loss l1): 128 px batch 4 held 982 MiB', () => {
    expect(trainingPeakBytesLowerBound({ parameters: 18_700_000, imageSize: 128, batchSize: 4, vggFeatures: false })).toBeLessThan(982 * 2 ** 20);
  });
});

describe('checkWasmTrainingMemory', () => {
  test("refuses the paper's 512 px batch 6 with the keys to change and a GPU backend", () => {
    const error = (() => {
      try {
        checkWasmTrainingMemory(paper512, 'training pconv');
      } catch (e) {
        return e;
      }
    })() as UserError;
    expect(error).toBeInstanceOf(UserError);
    expect(error.code).toBe('WASM_MEMORY');
    expect(error.message).toMatch(/^training pconv at data\.imageSize 512 with train\.batchSize 6 needs at least \d+\.\d GiB/);
    expect(error.hint).toMatch(/--backend webgpu/);
    // 512 px with the VGG16 terms: one image alone is over the heap, so the size must go down.
    expect(error.hint).toMatch(/lower data\.imageSize/);
  });
  test('names the batch that fits where one does (512 px, L1 terms only: 1)', () => {
    expect(() => checkWasmTrainingMemory({ ...paper512, batchSize: 4, vggFeatures: false }, 'bench', { size: '--size', batch: '--batch' })).toThrow(
      expect.objectContaining({ code: 'WASM_MEMORY', hint: expect.stringMatching(/lower --batch to 1 or less/) }),
    );
    expect(() => checkWasmTrainingMemory({ ...paper512, batchSize: 1, vggFeatures: false })).not.toThrow();
  });
  test('lets through what ran here (256 px batch 4, loss l1; 128 px batch 4, full loss)', () => {
    expect(() => checkWasmTrainingMemory({ parameters: 25_784_276, imageSize: 256, batchSize: 4, vggFeatures: false })).not.toThrow();
    expect(() => checkWasmTrainingMemory({ parameters: 18_700_000, imageSize: 128, batchSize: 4, vggFeatures: true })).not.toThrow();
    expect(trainingPeakBytesLowerBound({ parameters: 25_784_276, imageSize: 256, batchSize: 4, vggFeatures: false })).toBeLessThan(WASM_HEAP_MAX_BYTES);
  });
});

describe('bench refuses before the first step on wasm', () => {
  let backend: BackendInfo;
  beforeAll(async () => {
    backend = await setupBackend('wasm');
  });
  test('512 px batch 4 (the paper UNet): a WASM_MEMORY error naming --batch, and no tensors left', async () => {
    const config = benchConfig({ size: 512, batch: 4, loss: 'l1', baseChannels: 64, maxChannels: 512, head: 'none', seed: 1 });
    const before = tf.memory().numTensors;
    await expect(runBenchmark({ config, backend, threads: 1, warmup: 0, repeats: 1, vgg: null })).rejects.toThrow(
      expect.objectContaining({ code: 'WASM_MEMORY', hint: expect.stringMatching(/--batch/) }),
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
