import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { benchConfig } from '../../../../src/bench/bench-config.js';
import { runBenchmark } from '../../../../src/bench/run-benchmark.js';
import { type BackendInfo, setupBackend } from '../../../../src/core/engine/backend.js';
import { checkWasmTrainingMemory, trainingPeakBytesLowerBound, WASM_HEAP_MAX_BYTES } from '../../../../src/core/engine/wasm/memory.js';
import { UserError } from '../../../../src/core/errors.js';

const KiB = 1024;
const paper = { kind: 'pconv' as const, baseChannels: 64 };
const paper512 = { ...paper, parameters: 32_865_236, imageSize: 512, batchSize: 6, vggFeatures: true };

describe('trainingPeakBytesLowerBound', () => {
  test('12 bytes per parameter; per pixel of each image 6 KiB (PConv) or 4 KiB (conv) at 64 base channels, 16 KiB more with VGG16 features', () => {
    const base = { parameters: 1000, imageSize: 2, batchSize: 3, vggFeatures: false };
    expect(trainingPeakBytesLowerBound({ ...paper, ...base })).toBe(12_000 + 3 * 4 * 6 * KiB);
    expect(trainingPeakBytesLowerBound({ ...base, kind: 'conv', baseChannels: 64 })).toBe(12_000 + 3 * 4 * 4 * KiB);
    expect(trainingPeakBytesLowerBound({ ...paper, parameters: 0, imageSize: 2, batchSize: 1, vggFeatures: true })).toBe(4 * 22 * KiB);
  });
  test("the network's activations scale with its width, VGG16's do not", () => {
    const narrow = { kind: 'pconv' as const, baseChannels: 16, parameters: 0, imageSize: 2, batchSize: 1 };
    expect(trainingPeakBytesLowerBound({ ...narrow, vggFeatures: false })).toBe(4 * 1.5 * KiB);
    expect(trainingPeakBytesLowerBound({ ...narrow, vggFeatures: true })).toBe(4 * 17.5 * KiB);
  });
  test('stays under what was measured on wasm with each buffer counted once (PConv, loss l1, 128 px: 8.1 KiB per pixel-image, 16 B per parameter)', () => {
    const measured = 18_700_000 * 16 + 4 * 128 * 128 * 8.1 * KiB;
    expect(trainingPeakBytesLowerBound({ ...paper, parameters: 18_700_000, imageSize: 128, batchSize: 4, vggFeatures: false })).toBeLessThan(measured);
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
    // 512 px with the VGG16 terms: one image alone (5.5 GiB by the bound) is over the heap.
    expect(error.hint).toMatch(/lower data\.imageSize/);
  });
  test('names the largest batch the bound lets through (512 px, L1 terms only: 2)', () => {
    expect(() => checkWasmTrainingMemory({ ...paper512, batchSize: 4, vggFeatures: false }, 'bench', { size: '--size', batch: '--batch' })).toThrow(
      expect.objectContaining({ code: 'WASM_MEMORY', hint: expect.stringMatching(/lower --batch to 2 or less/) }),
    );
    expect(() => checkWasmTrainingMemory({ ...paper512, batchSize: 2, vggFeatures: false })).not.toThrow();
  });
  test('lets through what ran here (paper UNet: 512 px batch 1 and 256 px batch 4, loss l1; 128 px batch 4, full loss) and narrow models', () => {
    expect(() => checkWasmTrainingMemory({ ...paper512, batchSize: 1, vggFeatures: false })).not.toThrow();
    expect(() => checkWasmTrainingMemory({ ...paper, parameters: 25_784_276, imageSize: 256, batchSize: 4, vggFeatures: false })).not.toThrow();
    expect(() => checkWasmTrainingMemory({ ...paper, parameters: 18_700_000, imageSize: 128, batchSize: 4, vggFeatures: true })).not.toThrow();
    expect(() =>
      checkWasmTrainingMemory({ kind: 'pconv', baseChannels: 16, parameters: 2_000_000, imageSize: 512, batchSize: 4, vggFeatures: false }),
    ).not.toThrow();
    expect(WASM_HEAP_MAX_BYTES).toBe(4 * 2 ** 30 - 2 ** 16);
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
    await expect(runBenchmark({ config, backend, warmup: 0, repeats: 1, vgg: null })).rejects.toThrow(
      expect.objectContaining({ code: 'WASM_MEMORY', hint: expect.stringMatching(/--batch/) }),
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
