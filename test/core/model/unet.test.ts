import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { InpaintingUNet } from '../../../src/core/model/unet.js';
import { Rng } from '../../../src/core/rng.js';

beforeAll(async () => {
  await setupBackend('cpu');
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

/** The baseline's two forms: the paper's (3 channels, holes filled) and with the mask as a fourth channel. */
const FORMS = [
  { kind: 'pconv', maskChannel: false, inC: 3 },
  { kind: 'conv', maskChannel: false, inC: 3 },
  { kind: 'conv', maskChannel: true, inC: 4 },
] as const;

function inputs(kind: 'pconv' | 'conv', size: number, batch = 2, maskChannel = false): { input: tf.Tensor4D; mask: tf.Tensor4D } {
  const rng = new Rng(size);
  const image = tf.tensor4d(
    Float32Array.from({ length: batch * size * size * 3 }, () => rng.next()),
    [batch, size, size, 3],
  );
  const mask1 = tf.tensor4d(
    Float32Array.from({ length: batch * size * size }, () => (rng.next() < 0.7 ? 1 : 0)),
    [batch, size, size, 1],
  );
  if (kind === 'pconv') return { input: tf.mul(image, mask1) as tf.Tensor4D, mask: tf.tile(mask1, [1, 1, 1, 3]) as tf.Tensor4D };
  const filled = tf.add(tf.mul(image, mask1), tf.mul(tf.sub(1, mask1), 0.45)) as tf.Tensor4D;
  if (!maskChannel) return { input: filled, mask: tf.tile(mask1, [1, 1, 1, 3]) as tf.Tensor4D };
  const input = tf.concat([filled, mask1], 3) as tf.Tensor4D;
  return { input, mask: tf.tile(mask1, [1, 1, 1, 4]) as tf.Tensor4D };
}

describe('InpaintingUNet', () => {
  test.each(FORMS)(
    '$kind (mask channel $maskChannel): a 3-level net maps [B, 32, 32, $inC] to [B, 32, 32, 3] with the paper wiring',
    ({ kind, maskChannel, inC }) => {
      const net = new InpaintingUNet({ kind, levels: 3, baseChannels: 8, maxChannels: 16, head: 'none', seed: 1, maskChannel });
      expect(net.inputChannels).toBe(inC);
      const { input, mask } = inputs(kind, 32, 2, maskChannel);
      const y = net.predict(input, mask, true);
      expect(y.shape).toEqual([2, 32, 32, 3]);
      expect(net.layers().map((l) => l.name)).toEqual(['e1', 'e2', 'e2_bn', 'e3', 'e3_bn', 'd4', 'd4_bn', 'd5', 'd5_bn', 'd6']);
      const kernels = net
        .layers()
        .filter((l) => !l.name.endsWith('_bn'))
        .map((l) => (l.getWeights()[0] as tf.Tensor).shape);
      expect(kernels).toEqual([
        [7, 7, inC, 8],
        [5, 5, 8, 16],
        [5, 5, 16, 16],
        [3, 3, 16 + 16, 16],
        [3, 3, 8 + 16, 8],
        [3, 3, inC + 8, 3],
      ]);
      expect(net.encoderBatchNorms().map((l) => l.name)).toEqual(['e2_bn', 'e3_bn']);
    },
  );

  test('the paper network at 8 levels has about 32.9 M parameters with the sigmoid head', async () => {
    await setupBackend('wasm');
    const net = new InpaintingUNet({ kind: 'pconv', levels: 8, baseChannels: 64, maxChannels: 512, head: 'sigmoid', seed: 1 });
    tf.tidy(() => {
      const { input, mask } = inputs('pconv', 256, 1);
      net.predict(input, mask, false);
    });
    // Convolutions 32,854,368 + batch norm (gamma, beta, moving mean and variance) 21,760.
    expect(net.countParameters()).toBe(32_876_128);
    await tf.setBackend('cpu');
  });

  test('in inference the output does not depend on the batch; in training batch norm uses batch statistics', () => {
    const net = new InpaintingUNet({ kind: 'pconv', levels: 3, baseChannels: 4, maxChannels: 8, head: 'none', seed: 1 });
    const { input, mask } = inputs('pconv', 16, 2);
    const first = (t: tf.Tensor) => tf.slice(t, [0, 0, 0, 0], [1, 16, 16, 3]);
    const inferBoth = first(net.predict(input, mask, false));
    const inferOne = net.predict(first(input) as tf.Tensor4D, first(mask) as tf.Tensor4D, false);
    expect(tf.max(tf.abs(tf.sub(inferBoth, inferOne))).dataSync()[0]).toBeLessThan(1e-5);
    const trainBoth = first(net.predict(input, mask, true));
    const trainOne = net.predict(first(input) as tf.Tensor4D, first(mask) as tf.Tensor4D, true);
    expect(tf.max(tf.abs(tf.sub(trainBoth, trainOne))).dataSync()[0]).toBeGreaterThan(1e-4);
  });

  test('a frozen encoder batch norm keeps its moving statistics; the decoder one updates', () => {
    const net = new InpaintingUNet({ kind: 'pconv', levels: 3, baseChannels: 4, maxChannels: 8, head: 'none', seed: 1 });
    const { input, mask } = inputs('pconv', 16, 2);
    net.predict(input, mask, false);
    for (const bn of net.encoderBatchNorms()) bn.frozen = true;
    const snapshot = (name: string) => {
      const layer = net.layers().find((l) => l.name === name);
      if (!layer) throw new Error(`no layer ${name}`);
      return (layer.getWeights()[2] as tf.Tensor).arraySync();
    };
    const [encBefore, decBefore] = [snapshot('e2_bn'), snapshot('d4_bn')];
    net.predict(input, mask, true);
    expect(snapshot('e2_bn')).toEqual(encBefore);
    expect(snapshot('d4_bn')).not.toEqual(decBefore);
  });

  test.each(FORMS)(
    '$kind (mask channel $maskChannel): a [B, H, W, 1] mask and the same mask on every input channel give the same bits; other masks are errors',
    ({ kind, maskChannel }) => {
      const net = new InpaintingUNet({ kind, levels: 3, baseChannels: 4, maxChannels: 8, head: 'none', seed: 2, maskChannel });
      const { input, mask } = inputs(kind, 16, 2, maskChannel);
      const one = tf.slice(mask, [0, 0, 0, 0], [2, 16, 16, 1]) as tf.Tensor4D;
      const bits = (t: tf.Tensor) => {
        // A view of the float32 values' own bytes: dataSync() may be a view into a larger buffer.
        const values = t.dataSync() as Float32Array;
        return [...new Uint32Array(values.buffer, values.byteOffset, values.length)];
      };
      for (const training of [false, true]) expect(bits(net.predict(input, one, training))).toEqual(bits(net.predict(input, mask, training)));
      expect(() => net.predict(input, tf.ones([2, 16, 16, 2]) as tf.Tensor4D, false)).toThrow(
        /the mask has 2 channels; give 1 \(modelInputs does\) or the input's [34]/,
      );
      expect(() => net.predict(input, tf.ones([2, 8, 16, 1]) as tf.Tensor4D, false)).toThrow(
        /the mask \[2,8,16,1\] must be \[B, H, W, 1\] for the input \[2,16,16,[34]\]/,
      );
    },
  );

  test('a network refuses an input of the other form (a 4-channel input to the 3-channel baseline, and back)', () => {
    const paper = new InpaintingUNet({ kind: 'conv', levels: 2, baseChannels: 4, maxChannels: 8, head: 'none', seed: 3 });
    const withMask = new InpaintingUNet({ kind: 'conv', levels: 2, baseChannels: 4, maxChannels: 8, head: 'none', seed: 3, maskChannel: true });
    const four = inputs('conv', 8, 1, true);
    const three = inputs('conv', 8, 1, false);
    expect(() => paper.predict(four.input, four.mask, false)).toThrow(/the input has 4 channels; this conv network takes 3/);
    expect(() => withMask.predict(three.input, three.mask, false)).toThrow(/the input has 3 channels; this conv network takes 4/);
    // pconv ignores maskChannel: the mask reaches it through its partial convolutions.
    expect(new InpaintingUNet({ kind: 'pconv', levels: 2, baseChannels: 4, maxChannels: 8, head: 'none', seed: 3, maskChannel: true }).inputChannels).toBe(3);
  });

  test('no tensor leaks per forward pass', () => {
    const net = new InpaintingUNet({ kind: 'conv', levels: 3, baseChannels: 4, maxChannels: 8, head: 'sigmoid', seed: 1 });
    const { input, mask } = inputs('conv', 16, 1, false);
    tf.dispose(net.predict(input, mask, true));
    const before = tf.memory().numTensors;
    tf.dispose(net.predict(input, mask, true));
    tf.dispose(net.predict(input, mask, false));
    expect(tf.memory().numTensors).toBe(before);
  });
});
