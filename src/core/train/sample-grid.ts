import sharp from 'sharp';
import { writeFileAtomic } from '../io/atomic.js';

/**
 * A PNG for a person to look at during training: one row per sample, columns masked input
 * (holes white), raw output, composite and ground truth, with a 2 px gap. Returns the PNG as
 * written and its size, which TensorBoard's image summary takes.
 */
export async function writeSampleGrid(
  path: string,
  images: Float32Array,
  masks: Float32Array,
  outputs: Float32Array,
  count: number,
  size: number,
): Promise<{ png: Buffer; width: number; height: number }> {
  const gap = 2;
  const columns = 4;
  const width = columns * size + (columns - 1) * gap;
  const height = count * size + (count - 1) * gap;
  const pixels = Buffer.alloc(width * height * 3, 255);
  const put = (row: number, column: number, value: (p: number, c: number) => number) => {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const p = row * size * size + y * size + x;
        const at = ((row * (size + gap) + y) * width + column * (size + gap) + x) * 3;
        for (let c = 0; c < 3; c++) pixels[at + c] = Math.round(Math.min(1, Math.max(0, value(p, c))) * 255);
      }
    }
  };
  for (let row = 0; row < count; row++) {
    const known = (p: number) => (masks[p] as number) > 0.5;
    put(row, 0, (p, c) => (known(p) ? (images[p * 3 + c] as number) : 1));
    put(row, 1, (p, c) => outputs[p * 3 + c] as number);
    put(row, 2, (p, c) => (known(p) ? (images[p * 3 + c] as number) : (outputs[p * 3 + c] as number)));
    put(row, 3, (p, c) => images[p * 3 + c] as number);
  }
  const png = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  await writeFileAtomic(path, png);
  return { png, width, height };
}
