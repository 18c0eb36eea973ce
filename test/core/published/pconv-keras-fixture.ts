import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The reduced PConv-Keras UNet's files (test/fixtures/pconv-keras), made with numpy by the fixture's script. */
export const PCONV_KERAS_FIXTURES = join(import.meta.dirname, '../../fixtures/pconv-keras');

/** The image and validity mask that expected-output.f32 answers: structured pixels, three holes. */
export function fixtureInputs(size: number): { images: Float32Array; valid: Float32Array } {
  const images = new Float32Array(size * size * 3);
  const valid = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const hole = (y >= 20 && y < 44 && x >= 10 && x < 30) || (y < 6 && x >= 50) || Math.abs(x - y - 8) <= 1;
      valid[y * size + x] = hole ? 0 : 1;
      for (let c = 0; c < 3; c++) {
        // Holes hold garbage: the model's own input rule must mask them (the seed whitens them).
        images[(y * size + x) * 3 + c] = hole ? 7 : 0.5 + 0.4 * Math.sin(0.3 * x + 0.2 * y + 1.1 * c);
      }
    }
  }
  return { images, valid };
}

/** The numpy reference output for fixtureInputs through pconv_keras_small.h5. */
export async function fixtureOutput(): Promise<Float32Array> {
  return new Float32Array((await readFile(join(PCONV_KERAS_FIXTURES, 'expected-output.f32'))).buffer.slice(0));
}
