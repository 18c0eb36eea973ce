import { join } from 'node:path';
import { expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { loadPublishedModel } from '../../../src/core/published/formats.js';
import { fixtureInputs, fixtureOutput, PCONV_KERAS_FIXTURES } from './pconv-keras-fixture.js';

// The CLI's default backend with our kernels: the same known answer as on cpu (pconv-keras.test.ts).
await setupBackend('wasm');

test('the reduced PConv-Keras UNet gives the numpy reference output on wasm too', async () => {
  const size = 64;
  const { images, valid } = fixtureInputs(size);
  const model = await loadPublishedModel('pconv-keras-h5', join(PCONV_KERAS_FIXTURES, 'pconv_keras_small.h5'));
  try {
    const out = await model.predict(images, valid, 1, size);
    const reference = await fixtureOutput();
    let max = 0;
    for (let i = 0; i < out.length; i++) max = Math.max(max, Math.abs((out[i] as number) - (reference[i] as number)));
    expect(max).toBeLessThan(1e-4);
  } finally {
    model.dispose();
  }
});
