import { beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { createPredictor } from '../../../src/core/infer/predictor.js';
import type { InpaintingUNet } from '../../../src/core/model/unet.js';
import { maxAbsDifference, structuredInputs, trainedLookingUnet } from '../../helpers/trained-looking-unet.js';

// model.padding: symmetric in the ONNX export: ONNX Runtime's output equals TensorFlow.js' (cpu
// backend) on small UNets of both kinds, as test/core/infer/predictor.test.ts checks for 'same'.
// The same weights under 'same' give other outputs, so the agreement pins the Conv `pads`.

beforeAll(async () => {
  await setupBackend('cpu');
});

function network(kind: 'pconv' | 'conv', padding: 'same' | 'symmetric', size: number, levels: number, head: 'none' | 'sigmoid'): InpaintingUNet {
  return trainedLookingUnet(kind, size, `levels: ${levels}, baseChannels: 4, maxChannels: 16, head: ${head}, padding: ${padding}`);
}

async function predict(net: InpaintingUNet, kind: 'pconv' | 'conv', size: number, engine: 'tfjs' | 'onnx', count: number): Promise<Float32Array> {
  const { images, masks } = structuredInputs(count, size);
  const predictor = await createPredictor(net, { kind, size, baselineFill: 'mean-pixel', engine });
  try {
    if (engine === 'onnx') expect(predictor.engine).toMatch(/^onnxruntime-node \d/);
    return await predictor.predict(images, masks, count);
  } finally {
    await predictor.dispose();
  }
}

describe('unetToOnnx with model.padding: symmetric', () => {
  test.each([
    ['pconv', 32, 4, 'none'],
    ['pconv', 16, 3, 'sigmoid'],
    ['conv', 32, 4, 'none'],
    ['conv', 16, 2, 'sigmoid'],
  ] as const)('%s, %i px, %i levels, head %s: ONNX Runtime equals TensorFlow.js', async (kind, size, levels, head) => {
    const count = 5;
    const net = network(kind, 'symmetric', size, levels, head);
    const same = network(kind, 'same', size, levels, head);
    try {
      const expected = await predict(net, kind, size, 'tfjs', count);
      const got = await predict(net, kind, size, 'onnx', count);
      // Float32 sums in another order: ~1e-6; the 'same' pads of a stride-2 layer: ~1e-1.
      expect(maxAbsDifference(got, expected)).toBeLessThan(2e-5);
      expect(got.filter((v) => v > 0.01 && v < 0.99).length).toBeGreaterThan(got.length / 50);
      // The same weights padded 'same' compute something else, in TensorFlow.js and in the export.
      const other = await predict(same, kind, size, 'tfjs', count);
      expect(maxAbsDifference(other, expected)).toBeGreaterThan(1e-2);
      expect(maxAbsDifference(await predict(same, kind, size, 'onnx', count), other)).toBeLessThan(2e-5);
    } finally {
      net.dispose();
      same.dispose();
    }
  });
});
