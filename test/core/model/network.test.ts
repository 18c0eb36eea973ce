import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../../src/core/config/parse-config.js';
import { trainingSeed } from '../../../src/core/config/schema.js';
import { buildNetwork, weightMap } from '../../../src/core/model/network.js';

const yaml = (train: string) =>
  `name: t\nseed: 5\ndata:\n  root: photos\n  imageSize: 32\nmodel:\n  levels: 4\n  baseChannels: 4\n  maxChannels: 8\nloss:\n  perceptual: 0\n  style: 0\ntrain:\n  phase1: { learningRate: 1.0e-3, steps: 2, freezeEncoderBatchNorm: false }\n  phase2: { learningRate: 1.0e-4, steps: 1, freezeEncoderBatchNorm: true }\n${train}`;

/** Every initial weight of the config's PConv UNet, flattened in weightMap order. */
function initialWeights(train: string): Float32Array {
  const net = buildNetwork(parseConfig(yaml(train), 'exp.yaml', '/base'), 'pconv');
  const values = [...weightMap(net).values()].flatMap((w) => [...(w.read().dataSync() as Float32Array)]);
  net.dispose();
  return Float32Array.from(values);
}

describe('buildNetwork and train.seed', () => {
  test('train.seed defaults to the master seed', () => {
    const config = parseConfig(yaml(''), 'exp.yaml', '/base');
    expect(config.train?.seed).toBeUndefined();
    expect(trainingSeed(config)).toBe(5);
    expect(trainingSeed(parseConfig(yaml('  seed: 9\n'), 'exp.yaml', '/base'))).toBe(9);
  });

  test('initial weights follow train.seed: the same as the master seed when equal, others when not', async () => {
    await tf.setBackend('cpu');
    const byMaster = initialWeights('');
    expect(initialWeights('  seed: 5\n')).toEqual(byMaster);
    const other = initialWeights('  seed: 6\n');
    expect(other).toHaveLength(byMaster.length);
    expect(other).not.toEqual(byMaster);
  });

  test('train.seed must be a 32-bit unsigned integer', () => {
    for (const bad of ['-1', '1.5', '4294967296']) {
      expect(() => parseConfig(yaml(`  seed: ${bad}\n`), 'exp.yaml', '/base')).toThrow(
        expect.objectContaining({ details: [expect.stringMatching(/^exp\.yaml:16:9 train\.seed: /)] }),
      );
    }
  });
});
