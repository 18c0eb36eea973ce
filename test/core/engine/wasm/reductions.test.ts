import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../../src/core/engine/backend.js';
import { reductionBlock, sumBlock } from '../../../../src/core/engine/wasm/reductions.js';
import { Rng } from '../../../../src/core/rng.js';

/** Values with a wide range of magnitudes, so that summation order and precision show. */
function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1) * 10 ** rng.int(-3, 4));
}

/** Runs `op` on cpu and on wasm (our Sum and Mean) and returns each side's shape, dtype and values. */
async function onBoth(op: () => tf.Tensor) {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const out = tf.tidy(op);
    const result = { shape: out.shape, dtype: out.dtype, values: Array.from(out.dataSync()) };
    out.dispose();
    return result;
  };
  return { cpu: await run('cpu'), wasm: await run('wasm') };
}

describe('reductionBlock', () => {
  test('merges a contiguous block of axes into [outer, reduce, inner]', () => {
    expect(reductionBlock([4, 8, 8, 64], [0, 1, 2])).toEqual([1, 256, 64]);
    expect(reductionBlock([4, 8, 8, 64], [3])).toEqual([256, 64, 1]);
    expect(reductionBlock([4, 8, 8, 64], [1, 2])).toEqual([4, 64, 64]);
    expect(reductionBlock([4, 8, 8, 64], [0, 1, 2, 3])).toEqual([1, 16384, 1]);
  });
  test('refuses axes that are not one block, and no axes', () => {
    expect(reductionBlock([4, 8, 8, 64], [0, 2])).toBeNull();
    expect(reductionBlock([4, 8, 8, 64], [])).toBeNull();
  });
});

describe('sumBlock (known answers)', () => {
  test('sums over the middle index, per outer and inner index', () => {
    // x[o, r, i] = 100 o + 10 r + i, outer 2, reduce 3, inner 2.
    const x = [0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121];
    const out = new Float32Array(4);
    sumBlock(x, out, [2, 3, 2]);
    expect([...out]).toEqual([30, 33, 330, 333]);
  });
  test('accumulates in double: 2^24 + 1 + 1 is not lost to float32 rounding', () => {
    const out = new Float32Array(1);
    sumBlock([2 ** 24, 1, 1], out, [1, 3, 1]);
    expect(out[0]).toBe(2 ** 24 + 2);
  });
  test('a divisor divides each element first (the mean)', () => {
    const out = new Float32Array(2);
    sumBlock([1, 2, 3, 4, 5, 6], out, [1, 3, 2], 3);
    expect([...out]).toEqual([Math.fround(Math.fround(1 / 3) + Math.fround(3 / 3) + Math.fround(5 / 3)), 4]);
  });
});

const cases: [string, number[], number | number[], boolean][] = [
  ['batch-norm statistics [B, H, W, C] -> [C]', [4, 9, 7, 33], [0, 1, 2], false],
  ['the same with keepDims', [4, 9, 7, 33], [0, 1, 2], true],
  ['negative axes', [4, 9, 7, 33], [-4, -3, -2], false],
  ['the last axis', [3, 5, 6, 17], 3, false],
  ['a middle block', [3, 5, 6, 17], [1, 2], true],
  ['everything (a loss)', [2, 16, 16, 3], [0, 1, 2, 3], false],
  ['axis null means all', [5, 7], null as unknown as number, false],
  // Whole vectors of 4 channels go through the SIMD loop (wasm/simd/sum-rows.ts), the rest through JS.
  ['4 channels, all SIMD', [2, 5, 5, 4], [0, 1, 2], false],
  ['6 channels, a tail of 2', [3, 4, 6], [0, 1], false],
  ['64 channels over 4x32x32', [4, 32, 32, 64], [0, 1, 2], false],
  ['a middle block with 8 inner channels', [3, 7, 5, 8], [1, 2], false],
];

describe('Sum and Mean on wasm equal the cpu backend bit for bit', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });
  for (const [name, shape, axis, keepDims] of cases) {
    const x = () =>
      tf.tensor(
        values(
          shape.reduce((a, b) => a * b, 1),
          shape.length * 31 + (shape[0] as number),
        ),
        shape,
      );
    test(`sum: ${name}`, async () => {
      const { cpu, wasm } = await onBoth(() => tf.sum(x(), axis, keepDims));
      expect(wasm).toEqual(cpu);
    });
    test(`mean: ${name}`, async () => {
      const { cpu, wasm } = await onBoth(() => tf.mean(x(), axis, keepDims));
      expect(wasm).toEqual(cpu);
    });
  }
  test('axes that are not one block go to the original kernel (float32 sums: close, not bitwise)', async () => {
    const x = () => tf.tensor(values(3 * 5 * 6 * 7, 5), [3, 5, 6, 7]);
    for (const op of [tf.sum, tf.mean]) {
      const { cpu, wasm } = await onBoth(() => op(x(), [0, 2]));
      expect(wasm.shape).toEqual(cpu.shape);
      const scale = Math.max(...cpu.values.map(Math.abs));
      for (const [i, v] of wasm.values.entries()) expect(Math.abs(v - (cpu.values[i] as number))).toBeLessThan(1e-5 * scale);
    }
  });
  test('Mean divides by the count as a float32, as cpu does (2^24 + 1 elements: the count rounds to 2^24)', async () => {
    const { cpu, wasm } = await onBoth(() => tf.mean(tf.fill([2 ** 24 + 1], 3)));
    expect(wasm).toEqual(cpu);
  });
  test('NaN, infinities and -0 as the cpu backend gives them', async () => {
    const special = [Number.NaN, 1, -0, -0, Number.POSITIVE_INFINITY, 2, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, -0, 3, 5, 6];
    for (const op of [tf.sum, tf.mean]) {
      const { cpu, wasm } = await onBoth(() => op(tf.tensor(special, [2, 3, 2]), [1]));
      expect(wasm).toEqual(cpu);
    }
  });
  test('int32 and bool inputs keep the original kernels (and their dtypes)', async () => {
    const ints = await onBoth(() => tf.sum(tf.tensor([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), 0));
    expect(ints.wasm).toEqual(ints.cpu);
    expect(ints.wasm.dtype).toBe('int32');
    const bools = await onBoth(() => tf.sum(tf.tensor([1, 0, 1, 1], [2, 2], 'bool'), 1));
    expect(bools.wasm).toEqual(bools.cpu);
  });
  test('NaN, infinities and -0 through the SIMD loop (4 channels) as the cpu backend gives them', async () => {
    const special = [
      Number.NaN,
      1,
      -0,
      -0,
      Number.POSITIVE_INFINITY,
      2,
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      -0,
      3,
      5,
      6,
      -0,
      -0,
      7,
      1e38,
      -0,
      0,
      8,
      1e38,
    ];
    for (const op of [tf.sum, tf.mean]) {
      const { cpu, wasm } = await onBoth(() => op(tf.tensor(special, [5, 4]), [0]));
      expect(wasm).toEqual(cpu);
    }
  });
  test('an empty reduction over SIMD-wide channels gives zeros too', async () => {
    const { cpu, wasm } = await onBoth(() => tf.sum(tf.zeros([3, 0, 8]), 1));
    expect(wasm).toEqual(cpu);
  });
  test("an empty reduction gives zeros, as on cpu (tfjs-wasm 4.22's own left the output uninitialised)", async () => {
    const { cpu, wasm } = await onBoth(() => tf.sum(tf.zeros([3, 0, 2]), 1));
    expect(wasm).toEqual(cpu);
  });
  test('our kernels ran (not the original)', async () => {
    await tf.setBackend('wasm');
    const kernel = tf.getKernel('Sum', 'wasm');
    expect(kernel?.kernelFunc.toString()).toContain('reduceOnHeap');
  });
});
