import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../../src/core/engine/backend.js';
import { ADAM_UPDATE, adamScalars, adamUpdate, hasAdamUpdateKernel } from '../../../../src/core/engine/shared/adam-update.js';
import { wasmAdamUpdateUsesSimd } from '../../../../src/core/engine/wasm/adam-update.js';
import { adamSimdModuleBytes } from '../../../../src/core/engine/wasm/simd/adam-update.js';
import { wasmApi } from '../../../../src/core/engine/wasm/simd/assembler.js';
import { createThreadedWasmBackend } from '../../../../src/core/engine/wasm/threads.js';
import { Rng } from '../../../../src/core/rng.js';

const HYPER = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, learningRate: 2e-4 };

/**
 * The Adam step exactly as src/core/train/adam.ts wrote it before the fused kernel (13 tf ops, JS
 * numbers as scalars), copied here so that the reference does not move with the code under test.
 */
function referenceStep(w: tf.Tensor, grad: tf.Tensor, m0: tf.Tensor, v0: tf.Tensor, t: number, h: typeof HYPER): tf.Tensor[] {
  return tf.tidy(() => {
    const { beta1, beta2, epsilon, learningRate } = h;
    const correction1 = 1 - beta1 ** t;
    const correction2 = 1 - beta2 ** t;
    const m1 = tf.add(tf.mul(m0, beta1), tf.mul(grad, 1 - beta1));
    const v1 = tf.add(tf.mul(v0, beta2), tf.mul(tf.square(grad), 1 - beta2));
    const step = tf.div(tf.div(m1, correction1), tf.add(tf.sqrt(tf.div(v1, correction2)), epsilon));
    return [tf.sub(w, tf.mul(step, learningRate)), m1, v1];
  });
}

/** Gradients of mixed sign and scale (1e-9 .. 1e3), with exact zeros and negative zeros. */
function gradient(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => {
    const r = rng.next();
    if (r < 0.1) return 0;
    if (r < 0.15) return -0;
    return (rng.next() < 0.5 ? -1 : 1) * 10 ** rng.uniform(-9, 3);
  });
}

function bytesOf(t: tf.Tensor): Uint8Array {
  const values = t.dataSync() as Float32Array;
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Steps t = 1..steps of the reference and of the fused kernel from the same start; every state compared bitwise. */
function compareSteps(shape: number[], steps: number, seed: number, h = HYPER): void {
  const n = tf.util.sizeFromShape(shape);
  const rng = new Rng(seed);
  const w0 = tf.tensor(
    Float32Array.from({ length: n }, () => rng.uniform(-2, 2)),
    shape,
  );
  let ref = [w0.clone(), tf.zeros(shape), tf.zeros(shape)];
  let fused = [w0, tf.zeros(shape), tf.zeros(shape)];
  for (let t = 1; t <= steps; t++) {
    const g = tf.tensor(gradient(n, seed * 100 + t), shape);
    const nextRef = referenceStep(ref[0] as tf.Tensor, g, ref[1] as tf.Tensor, ref[2] as tf.Tensor, t, h);
    const nextFused = adamUpdate(fused[0] as tf.Tensor, g, fused[1] as tf.Tensor, fused[2] as tf.Tensor, adamScalars(t, h));
    tf.dispose([...ref, ...fused, g]);
    [ref, fused] = [nextRef, nextFused];
    for (const [i, label] of ['w', 'm', 'v'].entries()) {
      const [a, b] = [ref[i] as tf.Tensor, fused[i] as tf.Tensor];
      expect(b.shape, `${label} shape at t=${t}`).toEqual(a.shape);
      // Byte equality: the same floats, signs of zero included.
      expect(Buffer.from(bytesOf(b)).equals(Buffer.from(bytesOf(a))), `${label} differs at t=${t}, shape [${shape}]`).toBe(true);
    }
  }
  tf.dispose([...ref, ...fused]);
}

// Odd sizes leave 1..3 elements after the SIMD loop's vectors of 4; 0 has no elements at all.
const SHAPES: number[][] = [[1], [3], [4], [5, 7], [0, 3], [3, 3, 17, 9], [1027], [2, 4, 4, 64], [64, 67]];

const THREADED = 'wasm-adam-threads-test';

describe('fused Adam update kernel', () => {
  let threaded: tf.KernelBackend | undefined;

  beforeAll(async () => {
    await setupBackend('wasm');
    // The threaded build keeps tensors in a SHARED memory, which the SIMD module must import as such.
    threaded = await createThreadedWasmBackend(2);
    for (const kernel of tf.getKernelsForBackend('wasm')) tf.registerKernel({ ...kernel, backendName: THREADED });
    tf.registerBackend(THREADED, () => threaded as tf.KernelBackend, 0);
  });

  afterAll(async () => {
    await tf.setBackend('wasm');
    tf.removeBackend(THREADED);
    for (const kernel of tf.getKernelsForBackend(THREADED)) tf.unregisterKernel(kernel.kernelName, THREADED);
  });

  test('the SIMD module is valid wasm, for an ordinary and for a shared memory', () => {
    expect(wasmApi.validate(adamSimdModuleBytes(false))).toBe(true);
    expect(wasmApi.validate(adamSimdModuleBytes(true))).toBe(true);
  });

  test('the module bytes are those it had before the assembler moved to wasm/simd/assembler.ts (same code, byte for byte)', () => {
    const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
    expect(sha256(adamSimdModuleBytes(false))).toBe('8c4c7bf45a27fd163313d0c20f88cb8c87b3d63839a2b6e8bee55839888959bd');
    expect(sha256(adamSimdModuleBytes(true))).toBe('40b7ccfdccd2e221a6ce874465e1ff6a8ec42810919952a3c001cb6711b8238b');
  });

  test('both wasm builds run it as SIMD on their own heap (the JS loop is only the fallback)', () => {
    expect(wasmAdamUpdateUsesSimd(tf.findBackend('wasm') as tf.KernelBackend)).toBe(true);
    expect(wasmAdamUpdateUsesSimd(threaded as tf.KernelBackend)).toBe(true);
  });

  test('registered for cpu and wasm only', () => {
    expect(hasAdamUpdateKernel('cpu')).toBe(true);
    expect(hasAdamUpdateKernel('wasm')).toBe(true);
    expect(hasAdamUpdateKernel('webgl')).toBe(false);
    expect(hasAdamUpdateKernel('tensorflow')).toBe(false);
  });

  describe.each(['cpu', 'wasm', THREADED])('on %s', (backend) => {
    beforeAll(async () => {
      await tf.setBackend(backend);
    });

    test.each(SHAPES.map((shape, i) => [shape, i] as const))('bitwise equal to the 13 tf ops over t = 1..5, shape %j', (shape, i) => {
      compareSteps(shape, 5, 11 + i);
    });

    test('bitwise equal with other hyperparameters, late steps included', () => {
      compareSteps([2, 517], 12, 7, { beta1: 0.5, beta2: 0.99, epsilon: 1e-6, learningRate: 0.0137 });
    });

    test('outputs are new tensors: the inputs keep their values; nothing leaks', () => {
      const [w, g, m, v] = [3, 5, 7, 9].map((seed) => tf.tensor(gradient(9, seed)));
      const before = [w, g, m, v].map((t) => Buffer.from(bytesOf(t as tf.Tensor)));
      const count = tf.memory().numTensors;
      const out = adamUpdate(w as tf.Tensor, g as tf.Tensor, m as tf.Tensor, v as tf.Tensor, adamScalars(1, HYPER));
      expect(tf.memory().numTensors).toBe(count + 3);
      for (const t of out) expect([w, g, m, v].some((input) => (input as tf.Tensor).dataId === t.dataId)).toBe(false);
      expect([w, g, m, v].map((t) => Buffer.from(bytesOf(t as tf.Tensor)))).toEqual(before);
      tf.dispose([...out, w, g, m, v] as tf.Tensor[]);
      expect(tf.memory().numTensors).toBe(count - 4);
    });

    test('a wrong dtype or size is refused with the input named', () => {
      const w = tf.zeros([4]);
      const int = tf.zeros([4], 'int32');
      const short = tf.zeros([3]);
      const s = adamScalars(1, HYPER);
      expect(() => adamUpdate(w, int, w, w, s)).toThrow(`${ADAM_UPDATE}: g must be float32, not int32`);
      expect(() => adamUpdate(w, w, w, short, s)).toThrow(`${ADAM_UPDATE}: v has shape [3], w has [4]`);
      tf.dispose([w, int, short]);
    });
  });
});
