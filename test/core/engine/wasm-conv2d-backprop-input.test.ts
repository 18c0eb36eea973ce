import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { conv2dBackpropInputByMatMul } from '../../../src/core/engine/conv2d-backprop-input-matmul.js';
import { conv2dBackpropInputByForwardConv } from '../../../src/core/engine/wasm-conv2d-backprop-input.js';
import { Rng } from '../../../src/core/rng.js';

interface Case {
  name: string;
  xShape: [number, number, number, number];
  wShape: [number, number, number, number];
  stride: number | [number, number];
  pad: 'same' | 'valid' | number;
  x: Float32Array;
  w: Float32Array;
  dySeed: Float32Array;
}

/** The input gradient of sum(conv2d(x, w) * dy) on one backend: the Conv2DBackpropInput kernel. */
async function inputGradient(backend: string, c: Case): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(c.x, c.xShape);
    const w = tf.tensor4d(c.w, c.wShape);
    const y = tf.conv2d(x, w, c.stride, c.pad);
    const dy = tf.tensor(c.dySeed.slice(0, y.size), y.shape);
    const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(input as tf.Tensor4D, w, c.stride, c.pad), dy)))(x);
    return grad.dataSync() as Float32Array;
  });
}

function makeCase(i: number, kernel: number, stride: Case['stride'], pad: Case['pad']): Case {
  const rng = new Rng(900 + i);
  const batch = rng.int(1, 3);
  const height = rng.int(kernel, 17);
  const width = rng.int(kernel, 17);
  const cin = rng.int(1, 6);
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
// Even kernels and stride 3 leave phases with fewer taps; [1, 2] takes the fallback to wasm's own kernel.
for (const kernel of [1, 2, 3, 4, 5, 7])
  for (const stride of [1, 2, 3, [1, 2]] as Case['stride'][])
    for (const pad of ['same', 'valid', 1] as const) cases.push(makeCase(index++, kernel, stride, pad));
// The UNet's own layer types at a realistic width: e2 (5x5/s2), e4 (3x3/s2) and a decoder 3x3/s1.
const unetCases: Case[] = [makeCase(100, 5, 2, 'same'), makeCase(101, 3, 2, 'same'), makeCase(102, 3, 1, 'same')].map((c, i) => {
  const rng = new Rng(1000 + i);
  const [kernel] = c.wShape;
  const [cin, cout] = [48, 40];
  const values = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  return {
    ...c,
    name: `UNet-like ${kernel}x${kernel}/s${c.stride} 2x16x16x${cin} -> ${cout}`,
    xShape: [2, 16, 16, cin],
    wShape: [kernel, kernel, cin, cout],
    x: values(2 * 16 * 16 * cin),
    w: values(kernel * kernel * cin * cout),
    dySeed: values(2 * 16 * 16 * cout),
  };
});

describe('Conv2DBackpropInput replaced on wasm (one forward convolution)', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  test.each([...cases, ...unetCases].map((c) => [c.name, c] as const))('matches the cpu backend: %s', async (_name, c) => {
    const expected = await inputGradient('cpu', c);
    const actual = await inputGradient('wasm', c);
    expect(actual.length).toBe(expected.length);
    let worst = 0;
    const scale = Math.max(1e-6, ...expected.map(Math.abs));
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)) / scale);
    expect(worst).toBeLessThan(1e-5);
  });

  // The kernel picks one of two forms by shape; each is checked here on every case, wasm vs cpu.
  test.each([...cases, ...unetCases].filter((c) => typeof c.stride === 'number').map((c) => [c.name, c] as const))(
    'both forms match the cpu backend: %s',
    async (_name, c) => {
      const expected = await inputGradient('cpu', c);
      await tf.setBackend('wasm');
      for (const form of [conv2dBackpropInputByForwardConv, conv2dBackpropInputByMatMul]) {
        const actual = tf.tidy(() => {
          const w = tf.tensor4d(c.w, c.wShape);
          const y = tf.conv2d(tf.tensor4d(c.x, c.xShape), w, c.stride, c.pad);
          const dy = tf.tensor4d(c.dySeed.slice(0, y.size), y.shape as [number, number, number, number]);
          return form(dy, w, c.xShape, c.stride, c.pad).dataSync() as Float32Array;
        });
        const scale = Math.max(1e-6, ...expected.map(Math.abs));
        let worst = 0;
        for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)) / scale);
        expect(actual.length, form.name).toBe(expected.length);
        expect(worst, form.name).toBeLessThan(1e-5);
      }
    },
  );

  test('leaks no tensors', async () => {
    await tf.setBackend('wasm');
    const c = cases[7] as Case;
    await inputGradient('wasm', c);
    const before = tf.memory().numTensors;
    await inputGradient('wasm', c);
    expect(tf.memory().numTensors).toBe(before);
  });
});
