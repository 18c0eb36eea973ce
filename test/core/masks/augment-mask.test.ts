import { describe, expect, test } from 'vitest';
import { AUTHORS_AUGMENTATION, augmentMask, dilateHoles } from '../../../src/core/masks/augment-mask.js';
import { countHoles, HOLE, type MaskImage, VALID } from '../../../src/core/masks/mask-image.js';
import { Rng } from '../../../src/core/rng.js';

function dotMask(size: number, x: number, y: number): MaskImage {
  const data = new Uint8Array(size * size).fill(VALID);
  data[y * size + x] = HOLE;
  return { width: size, height: size, data };
}

describe('dilateHoles', () => {
  test('a single hole grows into a k x k square around it', () => {
    const out = dilateHoles(dotMask(31, 15, 15), 9);
    expect(countHoles(out)).toBe(81);
    for (let y = 0; y < 31; y++) {
      for (let x = 0; x < 31; x++) expect(out.data[y * 31 + x]).toBe(Math.abs(x - 15) <= 4 && Math.abs(y - 15) <= 4 ? HOLE : VALID);
    }
  });

  test('k = 1 changes nothing and the image edge clips the square', () => {
    const dot = dotMask(10, 0, 0);
    expect(dilateHoles(dot, 1).data).toEqual(dot.data);
    expect(countHoles(dilateHoles(dot, 5))).toBe(9);
  });
});

describe('augmentMask', () => {
  const base: MaskImage = (() => {
    const data = new Uint8Array(64 * 64).fill(VALID);
    for (let y = 10; y < 30; y++) for (let x = 5; x < 50; x++) data[y * 64 + x] = HOLE;
    return { width: 64, height: 64, data };
  })();

  test('with every augmentation off it returns the mask unchanged', () => {
    const out = augmentMask(base, new Rng(1), { dilation: [0, 0], maxRotation: 0, maxShift: 0, minCrop: 1, outWidth: 64, outHeight: 64 });
    expect(out.data).toEqual(base.data);
  });

  test("the authors' augmentation gives a binary mask of the requested size, the same for the same seed", () => {
    const options = { ...AUTHORS_AUGMENTATION, outWidth: 32, outHeight: 32 };
    const a = augmentMask(base, new Rng(9), options);
    const b = augmentMask(base, new Rng(9), options);
    expect(a.width).toBe(32);
    expect(a.data.length).toBe(32 * 32);
    expect(a.data.every((v) => v === HOLE || v === VALID)).toBe(true);
    expect(b.data).toEqual(a.data);
    const c = augmentMask(base, new Rng(10), options);
    expect(c.data).not.toEqual(a.data);
  });

  test('dilation only ever adds holes', () => {
    const out = augmentMask(base, new Rng(2), { dilation: [9, 9], maxRotation: 0, maxShift: 0, minCrop: 1, outWidth: 64, outHeight: 64 });
    for (let i = 0; i < base.data.length; i++) if (base.data[i] === HOLE) expect(out.data[i]).toBe(HOLE);
    expect(countHoles(out)).toBe((20 + 8) * (45 + 8));
  });
});
