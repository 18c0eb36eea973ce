import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { maxRelativeDifference } from '../../../../src/bench/max-relative-difference.js';
import { setupBackend } from '../../../../src/core/engine/backend.js';
import { startKernelProfile } from '../../../../src/core/engine/kernel-profiler.js';
import { batchMatMulAsPlainProducts, wasmBatchMatMul } from '../../../../src/core/engine/wasm/batch-matmul.js';
import { gramMatrix } from '../../../../src/core/model/inpainting-loss.js';
import { Rng } from '../../../../src/core/rng.js';

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

// [batch shape of a, of b, m, k, n]: equal batches, one side a single matrix, rank 2 to 4; batch
// ranks that differ (the output's batch shape is their broadcast: [] and [1] give [1], [1, 1]
// and [3] give [1, 3]); an inner size of 0 (the products are 0).
const shapes: [number[], number[], number, number, number][] = [
  [[4], [4], 17, 33, 9],
  [[2, 3], [2, 3], 5, 8, 7],
  [[1], [5], 6, 4, 3],
  [[3], [], 7, 5, 11],
  [[], [], 13, 21, 6],
  [[4], [4], 64, 256, 64],
  [[], [1], 5, 6, 7],
  [[1], [], 7, 6, 5],
  [[1, 1], [3], 4, 5, 6],
  [[3], [1, 1], 6, 5, 4],
  [[2, 3], [1], 3, 4, 5],
  [[2], [2], 3, 0, 4],
  [[], [], 3, 0, 4],
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
  test('the wasm BatchMatMul kernel is ours', () => {
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc).toBe(wasmBatchMatMul);
  });

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

  test.each(
    [
      { aShape: [0, 3, 4], bShape: [4, 5] },
      { aShape: [0, 3, 4], bShape: [0, 4, 5] },
      { aShape: [4, 3], bShape: [0, 1, 3, 5] },
      { aShape: [2, 0, 3, 4], bShape: [1, 4, 5] },
      { aShape: [2, 0, 4], bShape: [2, 4, 5] },
    ].map((c) => ({ ...c, name: `a [${c.aShape}] x b [${c.bShape}]` })),
  )('$name has no elements: an empty tensor of the shape the cpu backend gives', async ({ aShape, bShape }) => {
    const { cpu, wasm } = await onBoth(() => tf.matMul(tensor(aShape, 1), tensor(bShape, 2)));
    expect(wasm[0]?.shape).toEqual(cpu[0]?.shape);
    expect(tf.util.sizeFromShape(wasm[0]?.shape as number[])).toBe(0);
    // Not compared with cpu's values: tfjs-backend-cpu 4.22 returns m x n NaN for an empty batch.
    expect(wasm[0]?.values.length).toBe(0);
  });

  test("batch shapes that broadcast otherwise ([2, 1] against [2]) are left to tfjs' own kernel, as on cpu", async () => {
    const aShape = [2, 1, 3, 4];
    const bShape = [2, 4, 5];
    const { cpu, wasm } = await onBoth(() => tf.matMul(tensor(aShape, 3), tensor(bShape, 4)));
    expect(wasm[0]?.shape).toEqual(cpu[0]?.shape);
    // tfjs 4.22 computes max(countA, countB) = 2 products here, not the shape's 4: whatever its
    // kernels give, ours gives the same.
    expect(wasm[0]?.shape).toEqual([2, 2, 3, 5]);
    expect(maxRelativeDifference(wasm[0]?.values as Float32Array, cpu[0]?.values as Float32Array)).toBeLessThan(1e-5);
    // One call and no plain products of ours: the original kernel ran it.
    const [a, b] = [tensor(aShape, 3), tensor(bShape, 4)];
    const profiler = startKernelProfile('wasm');
    tf.dispose(tf.matMul(a, b));
    const rows = profiler.stop().byShape.filter((r) => r.key.startsWith('BatchMatMul'));
    expect(new Map(rows.map((r) => [r.key, r.calls]))).toEqual(new Map([['BatchMatMul 2x1x3x4 2x4x5', 1]]));
    expect(() => batchMatMulAsPlainProducts(a, b, false, false)).toThrow(/batch shapes are equal or one of them a single matrix/);
    // Inner sizes that differ are refused as tfjs refuses them, an inner size of 0 included.
    const [empty, wide, other] = [tensor([2, 3, 0], 5), tensor([2, 3, 4], 6), tensor([2, 4, 5], 7)];
    expect(() => tf.matMul(empty, other)).toThrow(/inner shapes \(0\) and \(4\)/);
    expect(() => tf.matMul(wide, other, true, false)).toThrow(/inner shapes \(3\) and \(4\)/);
    tf.dispose([empty, wide, other]);
    tf.dispose([a, b]);
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

  test('one tensor as the right operand under two shapes (reshapes share its data): both products right', async () => {
    // tfjs-backend-wasm 4.22 alone returns garbage for the second product (its operator cache is
    // keyed by the data id only); ours copies the operand the second time.
    const run = () => {
      const t = tf.tensor1d(Array.from({ length: 24 }, (_, i) => i + 1));
      const first = tf.matMul(tf.ones([2, 6]), tf.reshape(t, [6, 4]));
      const second = tf.matMul(tf.ones([2, 4]), tf.reshape(t, [4, 6]));
      const again = tf.matMul(tf.ones([1, 6]), tf.reshape(t, [6, 4]));
      return [first, second, again];
    };
    const { cpu, wasm } = await onBoth(run);
    for (let i = 0; i < 3; i++) expect([...(wasm[i]?.values ?? [])]).toEqual([...(cpu[i]?.values ?? [])]);
    expect([...(wasm[1]?.values ?? [])]).toEqual([40, 44, 48, 52, 56, 60, 40, 44, 48, 52, 56, 60]);
  });
});
