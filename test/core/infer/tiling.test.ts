import { describe, expect, test } from 'vitest';
import { inpaintTiled, type TileRequest, tileStarts, tileWeight } from '../../../src/core/infer/tiling.js';

describe('tiling', () => {
  test('tiles overlap by half and the last one ends at the edge', () => {
    expect(tileStarts(64, 64)).toEqual([0]);
    expect(tileStarts(40, 64)).toEqual([0]);
    expect(tileStarts(100, 64)).toEqual([0, 32, 36]);
    expect(tileStarts(160, 64)).toEqual([0, 32, 64, 96]);
  });

  test('weights are positive everywhere and largest in the middle', () => {
    expect(tileWeight(0, 64)).toBeGreaterThan(0);
    expect(tileWeight(32, 64)).toBeGreaterThan(tileWeight(5, 64));
  });

  test.each([
    [100, 70],
    [64, 64],
    [30, 20],
    [129, 257],
  ])('tiles that all predict the same constant give that constant everywhere (%ix%i): no seams', async (width, height) => {
    const image = new Float32Array(width * height * 3).fill(0.3);
    const mask = new Float32Array(width * height).fill(1);
    let calls = 0;
    const constant = async (tiles: TileRequest[]) => {
      calls += tiles.length;
      return tiles.map(() => new Float32Array(64 * 64 * 3).fill(0.42));
    };
    const out = await inpaintTiled(image, mask, width, height, 64, constant);
    expect(calls).toBe(tileStarts(width, 64).length * tileStarts(height, 64).length);
    for (const v of out) expect(v).toBeCloseTo(0.42, 6);
  });

  test('each tile gets its own crop of the image and mask, zero past the edge', async () => {
    const width = 5;
    const height = 3;
    const image = Float32Array.from({ length: width * height * 3 }, (_, i) => i);
    const mask = new Float32Array(width * height).fill(1);
    const seen: TileRequest[] = [];
    const echo = async (tiles: TileRequest[]) => {
      seen.push(...tiles);
      return tiles.map((t) => t.image);
    };
    const out = await inpaintTiled(image, mask, width, height, 4, echo);
    // Tiles at x = 0, 1 (the last aligned to the edge) and y = 0; padding row 3 is hole.
    expect(seen.map((t) => [t.x, t.y])).toEqual([
      [0, 0],
      [1, 0],
    ]);
    expect(seen[0]?.mask.subarray(12, 16)).toEqual(new Float32Array(4));
    // Echoing tiles reproduces the image exactly.
    for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(image[i] as number, 4);
  });
});
