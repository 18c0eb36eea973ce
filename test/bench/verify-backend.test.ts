import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { benchConfig, verifySize } from '../../src/bench/bench-config.js';
import { benchFeatures } from '../../src/bench/bench-features.js';
import { maxRelativeDifference } from '../../src/bench/max-relative-difference.js';
import { VERIFY_TOLERANCES, verifyAgainstCpu } from '../../src/bench/verify-backend.js';
import { setupBackend } from '../../src/core/engine/backend.js';
import { VerifyResultSchema } from '../../src/protocol/bench.js';

describe('maxRelativeDifference', () => {
  test.each([
    [[1, 2, 4], [1, 2, 4], 0, 0],
    [[1, 2, 4.4], [1, 2, 4], 0, 0.1],
    [[0, 0], [0, 0], 0, 0],
    [[1e-9, 0], [0, 0], 1e-3, 1e-6],
    [[1, 0], [0, 0], 0, Number.POSITIVE_INFINITY],
    [[Number.NaN, 1], [1, 1], 0, Number.POSITIVE_INFINITY],
    [[1, 2], [1, 2, 3], 0, Number.POSITIVE_INFINITY],
  ])('%o against %o (floor %f) is %f', (a, b, floor, expected) => {
    expect(maxRelativeDifference(Float32Array.from(a), Float32Array.from(b), floor)).toBeCloseTo(expected, 6);
  });
});

describe('verifyAgainstCpu', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  test.each(['l1', 'full'] as const)('wasm agrees with cpu on a tiny UNet, loss %s, and stays the active backend', async (loss) => {
    const args = { size: 8, batch: 1, loss, levels: 2, baseChannels: 4, maxChannels: 8, head: 'none' as const, seed: 5 };
    const config = benchConfig({ ...args, size: verifySize(2) });
    const before = tf.memory().numTensors;
    const result = VerifyResultSchema.parse(await verifyAgainstCpu({ config, backend: 'wasm', makeFeatures: () => benchFeatures(config, 5) }));
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.memory().numTensors).toBe(before);
    expect(result.checks.map((c) => c.name)).toEqual(['inference output', 'loss terms', 'gradients']);
    for (const c of result.checks) expect(c.maxRelativeDifference, c.name).toBeLessThan(c.tolerance);
    expect(result.checks[2]?.tolerance).toBe(VERIFY_TOLERANCES.gradients);
    expect(result.ok).toBe(true);
    // Every trainable weight's gradient was compared, not only some.
    expect(result.checks[2]?.worst).toMatch(/^(e|d)\d+(_bn)?#\d$/);
  });
});
