import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { maxRelativeDifference } from '../../../src/bench/max-relative-difference.js';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { startKernelProfile } from '../../../src/core/engine/kernel-profiler.js';
import { gramMatrix } from '../../../src/core/model/inpainting-loss.js';
import { Rng } from '../../../src/core/rng.js';

function tensor(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)),
    shape,
  );
}

/** The same computation on the cpu backend (the reference) and on wasm (our BatchMatMul). */
async function onBoth(
  op: () => tf.Tensor | tf.Tensor[],
): Promise<{ cpu: { shape: number[]; values: Float32Array }[]; wasm: { shape: number[]; values: Float32Array }[] }> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const out = tf.tidy(op);
    const list = Array.isArray(out) ? out : [out];
    const result = list.map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array }));
    tf.dispose(list);
    return result;
  };
  return { cpu: await run('cpu'), wasm: await run('wasm') };
}

beforeAll(async () => {
  await setupBackend('wasm');
});

// [batch shape of a, of b, m, k, n]: equal batches, one side a single matrix, rank 2 to 4.
const shapes: [number[], number[], number, number, number][] = [
  [[4], [4], 17, 33, 9],
  [[2, 3], [2, 3], 5, 8, 7],
  [[1], [5], 6, 4, 3],
  [[3], [], 7, 5, 11],
  [[], [], 13, 21, 6],
  [[4], [4], 64, 256, 64],
];
const cases = shapes.flatMap(([batchA, batchB, m, k, n], i) =>
  [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ].map(([ta, tb]) => ({
    name: `a [${batchA}] ${ta ? 'T ' : ''}x b [${batchB}]${tb ? ' T' : ''}, ${m}x${k}x${n}`,
    aShape: [...batchA, ...(ta ? [k, m] : [m, k])],
    bShape: [...batchB, ...(tb ? [n, k] : [k, n])],
    ta: ta as boolean,
    tb: tb as boolean,
    seed: 100 + i,
  })),
);

describe('wasm BatchMatMul as XNNPACK plain products', () => {
  test.each(cases)('$name agrees with the cpu backend', async ({ aShape, bShape, ta, tb, seed }) => {
    const { cpu, wasm } = await onBoth(() => tf.matMul(tensor(aShape, seed), tensor(bShape, seed + 50), ta, tb));
    expect(wasm[0]?.shape).toEqual(cpu[0]?.shape);
    expect(maxRelativeDifference(wasm[0]?.values as Float32Array, cpu[0]?.values as Float32Array)).toBeLessThan(1e-5);
  });

  test('Gram matrices of the full loss and their gradient agree with the cpu backend', async () => {
    const { cpu, wasm } = await onBoth(() => {
      const features = tensor([3, 16, 16, 32], 7) as tf.Tensor4D;
      const weights = tensor([3, 32, 32], 8);
      const [gram, grad] = [gramMatrix(features), tf.grad((f: tf.Tensor) => tf.sum(tf.mul(gramMatrix(f as tf.Tensor4D), weights)))(features)];
      return [gram, grad];
    });
    for (let i = 0; i < 2; i++) {
      expect(wasm[i]?.shape).toEqual(cpu[i]?.shape);
      expect(maxRelativeDifference(wasm[i]?.values as Float32Array, cpu[i]?.values as Float32Array)).toBeLessThan(1e-5);
    }
  });

  test('a batched, transposed product runs as plain products (no call reaches the slow loop)', async () => {
    await tf.setBackend('wasm');
    const a = tensor([4, 32, 16], 1);
    const b = tensor([4, 32, 8], 2);
    const profiler = startKernelProfile('wasm');
    tf.dispose(tf.matMul(a, b, true, false));
    const rows = profiler.stop().byShape.filter((r) => r.key.startsWith('BatchMatMul'));
    // The outer call, then four plain products [16, 32] x [32, 8].
    expect(new Map(rows.map((r) => [r.key, r.calls]))).toEqual(
      new Map([
        ['BatchMatMul 4x32x16 4x32x8', 1],
        ['BatchMatMul 16x32 32x8', 4],
      ]),
    );
    tf.dispose([a, b]);
  });
});
