import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { loadPublishedModel } from '../../../src/core/published/formats.js';

// The CLI's default backend with our kernels: the same known answer as on cpu (pconv-keras.test.ts).
await setupBackend('wasm');

const FIXTURES = join(import.meta.dirname, '../../fixtures/pconv-keras');

test('the reduced PConv-Keras UNet gives the numpy reference output on wasm too', async () => {
  const size = 64;
  const images = new Float32Array(size * size * 3);
  const valid = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const hole = (y >= 20 && y < 44 && x >= 10 && x < 30) || (y < 6 && x >= 50) || Math.abs(x - y - 8) <= 1;
      valid[y * size + x] = hole ? 0 : 1;
      for (let c = 0; c < 3; c++) images[(y * size + x) * 3 + c] = hole ? 1 : 0.5 + 0.4 * Math.sin(0.3 * x + 0.2 * y + 1.1 * c);
    }
  }
  const model = await loadPublishedModel('pconv-keras-h5', join(FIXTURES, 'pconv_keras_small.h5'));
  try {
    const out = await model.predict(images, valid, 1, size);
    const reference = new Float32Array((await readFile(join(FIXTURES, 'expected-output.f32'))).buffer.slice(0));
    let max = 0;
    for (let i = 0; i < out.length; i++) max = Math.max(max, Math.abs((out[i] as number) - (reference[i] as number)));
    expect(max).toBeLessThan(1e-4);
  } finally {
    model.dispose();
  }
});
