import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { startKernelProfile } from '../../../src/core/engine/kernel-profiler.js';

describe('startKernelProfile', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  test('counts calls per kernel and per shape, and splits a kernel built from kernels into self and nested time', () => {
    const x = tf.ones([2, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.ones([3, 3, 3, 4]) as tf.Tensor4D;
    const profiler = startKernelProfile('wasm');
    tf.tidy(() => {
      tf.conv2d(x, w, 1, 'same');
      tf.conv2d(x, w, 1, 'same');
      // Our Conv2DBackpropInput runs a Conv2D (of dy with the flipped filter) inside itself.
      tf.grad((input: tf.Tensor) => tf.sum(tf.conv2d(input as tf.Tensor4D, w, 1, 'same')))(x);
    });
    const profile = profiler.stop();
    const byName = new Map(profile.byName.map((row) => [row.key, row]));
    expect(byName.get('Conv2D')?.calls).toBe(4);
    // Three with these input shapes (the grad's forward is one), one inside the input gradient.
    expect(profile.byShape.find((row) => row.key === 'Conv2D 2x8x8x3 3x3x3x4')?.calls).toBe(3);
    const input = byName.get('Conv2DBackpropInput');
    expect(input?.calls).toBe(1);
    expect(input?.bytesOut).toBe(2 * 8 * 8 * 3 * 4);
    expect(input?.totalMs).toBeGreaterThan(input?.selfMs ?? Number.POSITIVE_INFINITY);
    expect(profile.kernelMs).toBeCloseTo(
      profile.byName.reduce((sum, row) => sum + row.selfMs, 0),
      9,
    );
    // stop() puts the original kernels back: nothing is counted afterwards.
    tf.tidy(() => tf.conv2d(x, w, 1, 'same'));
    expect(profiler.stop().byName.find((row) => row.key === 'Conv2D')?.calls).toBe(4);
    tf.dispose([x, w]);
  });
});
