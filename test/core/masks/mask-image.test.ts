import { describe, expect, test } from 'vitest';
import { binarise, borderSubsetOf, countHoles, HOLE, hasHoleNearBorder, holeRatio, type MaskImage, VALID } from '../../../src/core/masks/mask-image.js';

function maskWithHoles(width: number, height: number, holes: readonly [number, number][]): MaskImage {
  const data = new Uint8Array(width * height).fill(VALID);
  for (const [x, y] of holes) data[y * width + x] = HOLE;
  return { width, height, data };
}

describe('hole ratio', () => {
  test('counts hole pixels over all pixels', () => {
    const mask = maskWithHoles(4, 4, [
      [0, 0],
      [1, 2],
      [3, 3],
    ]);
    expect(countHoles(mask)).toBe(3);
    expect(holeRatio(mask)).toBe(3 / 16);
  });

  test('an all-valid mask has ratio 0 and an all-hole mask ratio 1', () => {
    expect(holeRatio({ width: 3, height: 2, data: new Uint8Array(6).fill(VALID) })).toBe(0);
    expect(holeRatio({ width: 3, height: 2, data: new Uint8Array(6).fill(HOLE) })).toBe(1);
  });
});

describe('border subset', () => {
  // 10x10 image, margin 2: the frame is rows/columns 0-1 and 8-9.
  test.each([
    [[1, 5], true],
    [[8, 5], true],
    [[5, 0], true],
    [[5, 9], true],
    [[2, 2], false],
    [[7, 7], false],
    [[5, 5], false],
  ] as const)('a single hole at %j touches the 2px frame: %s', (hole, expected) => {
    const mask = maskWithHoles(10, 10, [hole as unknown as [number, number]]);
    expect(hasHoleNearBorder(mask, 2)).toBe(expected);
    expect(borderSubsetOf(mask, 2)).toBe(expected ? 'border' : 'no-border');
  });

  test('margin 0 has no frame', () => {
    expect(hasHoleNearBorder(maskWithHoles(4, 4, [[0, 0]]), 0)).toBe(false);
  });
});

describe('binarise and polarity', () => {
  const grey = new Uint8Array([0, 100, 127, 128, 200, 255]);

  test('hole-white: bright pixels become holes (0), dark ones valid (255)', () => {
    expect([...binarise(grey, 6, 1, 0.5, true).data]).toEqual([255, 255, 255, 0, 0, 0]);
  });

  test('hole-black: dark pixels become holes', () => {
    expect([...binarise(grey, 6, 1, 0.5, false).data]).toEqual([0, 0, 0, 255, 255, 255]);
  });

  test('the threshold is a grey level in [0, 1]', () => {
    expect([...binarise(grey, 6, 1, 0.6, true).data]).toEqual([255, 255, 255, 255, 0, 0]);
  });
});
