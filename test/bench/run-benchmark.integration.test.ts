import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { benchConfig } from '../../src/bench/bench-config.js';
import { benchFeatures } from '../../src/bench/bench-features.js';
import { randomVgg16Weights } from '../../src/bench/random-vgg16-weights.js';
import { runBenchmark } from '../../src/bench/run-benchmark.js';
import { syntheticBatch } from '../../src/bench/synthetic-batch.js';
import { type BackendInfo, setupBackend } from '../../src/core/engine/backend.js';
import { buildNetwork } from '../../src/core/model/network.js';
import { VGG16_LAYERS } from '../../src/core/model/vgg16-features.js';
import { BenchResultSchema } from '../../src/protocol/bench.js';

let backend: BackendInfo;
beforeAll(async () => {
  backend = await setupBackend('wasm');
});

const tiny = { size: 16, batch: 2, levels: 2, baseChannels: 4, maxChannels: 8, head: 'none' as const, seed: 1 };

describe('runBenchmark', () => {
  test.each(['l1', 'full'] as const)('times train steps and inference of the real UNet, loss %s, and leaks nothing', async (loss) => {
    const config = benchConfig({ ...tiny, loss });
    const before = tf.memory().numTensors;
    const features = await benchFeatures(config, 1);
    expect(features.description === null).toBe(loss === 'l1');
    const events: string[] = [];
    const result = BenchResultSchema.parse(
      await runBenchmark({
        config,
        backend,
        warmup: 1,
        repeats: 3,
        features: features.extractor,
        vgg: features.description,
        onEvent: (e) => events.push(e.type === 'progress' ? `${e.stage} ${e.done}/${e.total}` : e.type),
      }),
    );
    features.extractor?.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(events).toContain('bench-train 4/4');
    expect(events).toContain('bench-inference 4/4');
    const net = buildNetwork(config, 'pconv');
    expect(result.parameters.total).toBe(net.countParameters());
    net.dispose();
    expect(result.parameters.trainable).toBeLessThan(result.parameters.total);
    expect(result.settings).toMatchObject({ size: 16, batch: 2, loss, levels: 2, warmup: 1, repeats: 3 });
    for (const timing of [result.train.msPerStep, result.inference.msPerBatch]) {
      expect(timing.samples).toHaveLength(3);
      expect(timing.median).toBeGreaterThanOrEqual(timing.min);
      expect(timing.median).toBeLessThanOrEqual(timing.max);
    }
    expect(result.train.imagesPerSecond).toBeCloseTo(2 * result.train.stepsPerSecond, 6);
    expect(Number.isFinite(result.train.lastLoss)).toBe(true);
    expect(result.memory.tensorsLeakedPerStep).toBe(0);
    expect(result.memory.peakRssBytes).toBeGreaterThan(0);
    expect(result.backend.name).toBe('wasm');
  });

  test('refuses zero repeats', async () => {
    await expect(runBenchmark({ config: benchConfig({ ...tiny, loss: 'l1' }), backend, warmup: 0, repeats: 0, vgg: null })).rejects.toThrow(RangeError);
  });
});

describe('bench inputs', () => {
  test('the synthetic batch is seeded, in [0, 1], with holes and valid pixels in every image', () => {
    const a = syntheticBatch(16, 3, 9);
    expect(syntheticBatch(16, 3, 9)).toEqual(a);
    expect(syntheticBatch(16, 3, 10).images).not.toEqual(a.images);
    expect(a.images.every((v) => v >= 0 && v < 1)).toBe(true);
    for (let b = 0; b < 3; b++) {
      const mask = a.masks.subarray(b * 256, (b + 1) * 256);
      expect(mask.includes(0) && mask.includes(1)).toBe(true);
    }
  });

  test('random VGG16 weights have the real shapes and are seeded', () => {
    const weights = randomVgg16Weights(4);
    for (const [name, cin, cout] of VGG16_LAYERS) {
      expect(weights.get(name)?.kernel).toHaveLength(9 * cin * cout);
      expect(weights.get(name)?.bias).toHaveLength(cout);
    }
    expect(randomVgg16Weights(4).get('block1_conv1')?.kernel).toEqual(weights.get('block1_conv1')?.kernel);
  });
});
