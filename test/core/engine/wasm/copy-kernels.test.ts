import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../../src/core/engine/backend.js';
import { Rng } from '../../../../src/core/rng.js';

/** Runs `op` on the cpu backend and on wasm (with our Slice, SplitV, Concat, Tile, DepthToSpace) and returns both results. */
async function onBoth(op: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: unknown[]; wasm: unknown[] }> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const out = tf.tidy(op);
    const list = Array.isArray(out) ? out : [out];
    const result = list.map((t) => ({ shape: t.shape, dtype: t.dtype, values: [...t.dataSync()] }));
    tf.dispose(list);
    return result;
  };
  return { cpu: await run('cpu'), wasm: await run('wasm') };
}

function tensor(shape: number[], seed: number, dtype: 'float32' | 'int32' | 'bool' = 'float32'): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'float32')
    return tf.tensor(
      Float32Array.from({ length: n }, () => rng.uniform(-1, 1)),
      shape,
    );
  if (dtype === 'int32')
    return tf.tensor(
      Int32Array.from({ length: n }, () => rng.int(-100, 100)),
      shape,
      'int32',
    );
  return tf.tensor(
    Uint8Array.from({ length: n }, () => rng.int(0, 1)),
    shape,
    'bool',
  );
}

/** Random slices of tensors of rank 1 to 5: begin/size per axis, some axes taken whole (contiguous runs). */
const sliceCases = Array.from({ length: 40 }, (_, i) => {
  const rng = new Rng(2000 + i);
  const rank = 1 + (i % 5);
  const shape = Array.from({ length: rank }, () => rng.int(1, 7));
  const begin = shape.map((d) => (rng.next() < 0.4 ? 0 : rng.int(0, d - 1)));
  const size = shape.map((d, axis) => (rng.next() < 0.3 ? -1 : rng.int(0, d - (begin[axis] as number))));
  const dtype = (['float32', 'float32', 'int32', 'bool'] as const)[i % 4];
  return { name: `#${i} ${dtype} [${shape}] begin [${begin}] size [${size}]`, shape, begin, size, dtype };
});

describe('copy kernels replaced on wasm', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  test.each(sliceCases.map((c) => [c.name, c] as const))('slice matches the cpu backend: %s', async (_name, c) => {
    const { cpu, wasm } = await onBoth(() => tf.slice(tensor(c.shape, 7, c.dtype), c.begin, c.size));
    expect(wasm).toEqual(cpu);
  });

  test.each([
    [[4, 6, 5, 9], [2, 3, 4], 3],
    [[4, 6, 5, 9], 3, 1],
    [[3, 8], [1, 5, 2], 1],
    [[10, 2, 3], [7, 3], 0],
    [[2, 3, 4, 5, 6], [4, 2], 4],
  ] as const)('split of %j into %j along axis %d matches the cpu backend', async (shape, sizes, axis) => {
    const { cpu, wasm } = await onBoth(() => tf.split(tensor([...shape], 11), sizes as number | number[], axis));
    expect(wasm).toEqual(cpu);
  });

  test.each([
    [
      [2, 5, 5, 1],
      [1, 1, 1, 64],
    ],
    [
      [1, 1, 1, 7],
      [2, 3, 4, 1],
    ],
    [
      [3, 4],
      [2, 3],
    ],
    [[5], [4]],
    [
      [2, 1, 3, 2],
      [2, 3, 1, 2],
    ],
    [
      [2, 3, 1, 2, 2],
      [1, 2, 3, 1, 2],
    ],
    [
      [1, 1, 1, 1],
      [4, 16, 16, 1],
    ],
    [[1], [9]],
    // The last axis not tiled: rows copied in one call, evenly spaced or one row repeated.
    [
      [2, 3, 4, 5],
      [2, 1, 1, 1],
    ],
    [
      [2, 3, 4, 5],
      [1, 2, 1, 1],
    ],
    [
      [4, 1, 6],
      [1, 5, 1],
    ],
    [
      [3, 2],
      [2, 1],
    ],
  ] as const)('tile of %j by %j matches the cpu backend (float32, int32, bool)', async (shape, reps) => {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const { cpu, wasm } = await onBoth(() => tf.tile(tensor([...shape], 13, dtype), [...reps]));
      expect(wasm).toEqual(cpu);
    }
  });

  test.each([
    [[2, 3, 4, 8], 2],
    [[1, 2, 2, 18], 3],
    [[3, 5, 1, 4], 2],
  ] as const)('depthToSpace of %j with block %d matches the cpu backend', async (shape, block) => {
    const { cpu, wasm } = await onBoth(() => tf.depthToSpace(tensor([...shape], 17) as tf.Tensor4D, block));
    expect(wasm).toEqual(cpu);
  });

  test.each([
    [
      [
        [2, 4, 4, 3],
        [2, 4, 4, 64],
      ],
      3,
    ],
    [
      [
        [2, 4, 4, 3],
        [2, 4, 4, 5],
        [2, 4, 4, 1],
      ],
      3,
    ],
    [
      [
        [2, 3, 5],
        [2, 1, 5],
        [2, 4, 5],
      ],
      1,
    ],
    [
      [
        [3, 2],
        [1, 2],
      ],
      0,
    ],
    [[[7], [0], [2]], 0],
    [
      [
        [2, 0, 3],
        [2, 2, 3],
      ],
      1,
    ],
    [[[5, 3]], 1],
  ] as const)('concat of %j along axis %d matches the cpu backend (float32, int32, bool)', async (shapes, axis) => {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const { cpu, wasm } = await onBoth(() =>
        tf.concat(
          shapes.map((shape, i) => tensor([...shape], 41 + i, dtype)),
          axis,
        ),
      );
      expect(wasm).toEqual(cpu);
    }
  });

  test('Concat of one input through the kernel itself (tf.concat answers that before) matches the cpu backend', async () => {
    const { cpu, wasm } = await onBoth(() => tf.engine().runKernel('Concat', [tensor([5, 3], 47)] as unknown as tf.NamedTensorMap, { axis: 1 }) as tf.Tensor);
    expect(wasm).toEqual(cpu);
  });

  test('a Slice of a scalar through the kernel itself (tf.slice refuses one) is that value', async () => {
    // The cpu backend returns no values here; a scalar has one.
    await tf.setBackend('wasm');
    const out = tf.tidy(() => (tf.engine().runKernel('Slice', { x: tf.scalar(2.5) }, { begin: [], size: [] }) as tf.Tensor).dataSync());
    expect([...out]).toEqual([2.5]);
  });

  test('Concat of mixed dtypes goes to tfjs` own kernel and matches the cpu backend', async () => {
    const { cpu, wasm } = await onBoth(
      () => tf.engine().runKernel('Concat', [tensor([2, 3], 53), tensor([2, 2], 59, 'int32')] as unknown as tf.NamedTensorMap, { axis: 1 }) as tf.Tensor,
    );
    expect(wasm).toEqual(cpu);
  });

  test('the gradient of concat (SplitV) matches the cpu backend', async () => {
    const { cpu, wasm } = await onBoth(() => {
      const [a, b] = [tensor([2, 4, 4, 3], 19), tensor([2, 4, 4, 5], 23)];
      const dy = tensor([2, 4, 4, 8], 29);
      return tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.concat([p, q], 3), dy)))([a, b]);
    });
    expect(wasm).toEqual(cpu);
  });

  test('a channel split of a UNet-like tensor (runs of 64 and 3 per row) matches the cpu backend', async () => {
    const { cpu, wasm } = await onBoth(() => tf.split(tensor([2, 16, 16, 67], 37), [64, 3], 3));
    expect(wasm).toEqual(cpu);
  });

  test('Identity shares its input: same values, and each tensor outlives the other', async () => {
    await tf.setBackend('wasm');
    const x = tensor([3, 4], 41);
    const want = [...x.dataSync()];
    const y = tf.engine().runKernel('Identity', { x }) as tf.Tensor;
    expect(y.dataId).toBe(x.dataId);
    const buffers = tf.memory().numDataBuffers;
    x.dispose();
    expect([...y.dataSync()]).toEqual(want);
    const z = tf.engine().runKernel('Identity', { x: y }) as tf.Tensor;
    y.dispose();
    expect([...z.dataSync()]).toEqual(want);
    expect(tf.memory().numDataBuffers).toBe(buffers);
    z.dispose();
    // The one shared buffer goes with the last tensor that held it.
    expect(tf.memory().numDataBuffers).toBe(buffers - 1);
  });

  test('leaves no tensors behind', async () => {
    await tf.setBackend('wasm');
    const x = tensor([2, 6, 6, 4], 31);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.slice(x, [0, 1, 1, 0], [2, 3, 3, 4]);
      tf.split(x, 2, 3);
      tf.tile(x, [1, 1, 1, 2]);
      tf.depthToSpace(x as tf.Tensor4D, 2);
    });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
