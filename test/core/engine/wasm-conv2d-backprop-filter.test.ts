import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { Rng } from '../../../src/core/rng.js';

/** The filter gradient of sum(conv2d(x, w) * dy) computed on one backend. */
async function filterGradient(backend: string, c: Case): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(c.x, c.xShape);
    const w = tf.tensor4d(c.w, c.wShape);
    const y = tf.conv2d(x, w, c.stride, c.pad);
    const dy = tf.tensor(c.dySeed.slice(0, y.size), y.shape);
    const grad = tf.grad((filter: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, filter as tf.Tensor4D, c.stride, c.pad), dy)))(w);
    return grad.dataSync() as Float32Array;
  });
}

interface Case {
  name: string;
  xShape: [number, number, number, number];
  wShape: [number, number, number, number];
  stride: number;
  pad: 'same' | 'valid' | number;
  x: Float32Array;
  w: Float32Array;
  dySeed: Float32Array;
}

function makeCase(i: number, kernel: number, stride: number, pad: Case['pad']): Case {
  const rng = new Rng(500 + i);
  const batch = rng.int(1, 3);
  const height = rng.int(kernel, 17);
  const width = rng.int(kernel, 17);
  const cin = rng.int(1, 5);
  const cout = rng.int(1, 6);
  const values = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  return {
    name: `#${i} ${kernel}x${kernel}/s${stride} pad ${pad}, x ${batch}x${height}x${width}x${cin} -> ${cout}`,
    xShape: [batch, height, width, cin],
    wShape: [kernel, kernel, cin, cout],
    stride,
    pad,
    x: values(batch * height * width * cin),
    w: values(kernel * kernel * cin * cout),
    dySeed: values(batch * (height + 2) * (width + 2) * cout),
  };
}

const cases: Case[] = [];
let index = 0;
for (const kernel of [1, 3, 5, 7])
  for (const stride of [1, 2, 3]) for (const pad of ['same', 'valid', 1] as const) cases.push(makeCase(index++, kernel, stride, pad));

describe('Conv2DBackpropFilter registered for wasm', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  test.each(cases.map((c) => [c.name, c] as const))('matches the cpu backend: %s', async (_name, c) => {
    const expected = await filterGradient('cpu', c);
    const actual = await filterGradient('wasm', c);
    expect(actual.length).toBe(expected.length);
    let worst = 0;
    const scale = Math.max(1e-6, ...expected.map(Math.abs));
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)) / scale);
    expect(worst).toBeLessThan(1e-5);
  });

  test('leaks no tensors', async () => {
    await tf.setBackend('wasm');
    const c = cases[7] as Case;
    await filterGradient('wasm', c);
    const before = tf.memory().numTensors;
    await filterGradient('wasm', c);
    expect(tf.memory().numTensors).toBe(before);
  });
});
