import { describe, expect, test } from 'vitest';
import { type FilterGradientJob, filterGradientCalls, type TileCallSink, validRange } from '../../../../src/core/engine/wasm/conv2d-backprop-filter-blocks.js';
import { MAX_OUTPUT_VECTORS_PER_TILE, TILE_NAMES } from '../../../../src/core/engine/wasm/simd/conv2d-backprop-filter.js';

describe('validRange', () => {
  test('the output positions whose input index lies inside', () => {
    // 3 taps, pad 1, stride 1, 5 pixels: tap 0 reads i - 1 (from i = 1), tap 2 reads i + 1 (up to i = 3).
    expect(validRange(5, 5, 1, 0, 1)).toEqual([1, 5]);
    expect(validRange(5, 5, 1, 1, 1)).toEqual([0, 5]);
    expect(validRange(5, 5, 1, 2, 1)).toEqual([0, 4]);
    // Stride 2, 7 pixels, 4 outputs, pad 1: tap 0 reads 2i - 1 (i >= 1); tap 2 reads 2i + 1 (i <= 2).
    expect(validRange(4, 7, 2, 0, 1)).toEqual([1, 4]);
    expect(validRange(4, 7, 2, 2, 1)).toEqual([0, 3]);
    // A tap that reads nothing gives an empty range, not a negative one.
    expect(validRange(2, 1, 1, 3, 0)).toEqual([0, 0]);
  });
});

/** A tile function in JS, in double precision, on a Float32Array standing for the heap (byte addresses / 4). */
function emulatedSink(heap: Float32Array, seen: Set<string>): TileCallSink {
  return (tile, x, dy, out, rows, cols, xColStep, xRowStep, dyRowStep, outRow, cBegin, cEnd, oBegin, oEnd) => {
    const cb = Math.floor(tile / MAX_OUTPUT_VECTORS_PER_TILE) + 1;
    const ov = (tile % MAX_OUTPUT_VECTORS_PER_TILE) + 1;
    expect(TILE_NAMES[tile]).toBe(`fg${cb}x${ov}`);
    expect(rows).toBeGreaterThan(0);
    expect(cols).toBeGreaterThan(0);
    expect((cEnd - cBegin) % (4 * cb)).toBe(0);
    expect((oEnd - oBegin) % (16 * ov)).toBe(0);
    expect(cEnd).toBeGreaterThan(cBegin);
    expect(oEnd).toBeGreaterThan(oBegin);
    for (let c = cBegin; c < cEnd; c += 4) {
      for (let o = oBegin; o < oEnd; o += 4) {
        let sum = heap[(out + (c / 4) * outRow + o) / 4] as number;
        for (let r = 0; r < rows; r++) {
          for (let k = 0; k < cols; k++) {
            const xAt = x + r * xRowStep + k * xColStep + c;
            const dyAt = dy + r * dyRowStep + k * outRow + o;
            const key = `${out}/${c}/${o}/${xAt}/${dyAt}`;
            if (seen.has(key)) throw new Error(`a product twice: ${key}`);
            seen.add(key);
            sum += (heap[xAt / 4] as number) * (heap[dyAt / 4] as number);
          }
        }
        heap[(out + (c / 4) * outRow + o) / 4] = sum;
      }
    }
  };
}

/** The gradient by its definition, with the same layout. */
function reference(x: Float32Array, dy: Float32Array, job: Omit<FilterGradientJob, 'x' | 'dy' | 'out'>): Float64Array {
  const { batch: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: O } = job;
  const result = new Float64Array(job.filterHeight * job.filterWidth * C * O);
  for (let ky = 0; ky < job.filterHeight; ky++)
    for (let kx = 0; kx < job.filterWidth; kx++)
      for (let b = 0; b < B; b++)
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++) {
            const iy = oy * job.strideHeight + ky - job.padTop;
            const ix = ox * job.strideWidth + kx - job.padLeft;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            for (let c = 0; c < C; c++)
              for (let o = 0; o < O; o++)
                result[((ky * job.filterWidth + kx) * C + c) * O + o] =
                  (result[((ky * job.filterWidth + kx) * C + c) * O + o] as number) +
                  (x[((b * H + iy) * W + ix) * C + c] as number) * (dy[((b * OH + oy) * OW + ox) * O + o] as number);
          }
  return result;
}

describe('filterGradientCalls', () => {
  const cases = [
    {
      name: '3x3/s1 pad 1, 2x6x5x7 -> 12',
      batch: 2,
      inHeight: 6,
      inWidth: 5,
      inChannels: 7,
      outHeight: 6,
      outWidth: 5,
      outChannels: 12,
      filterHeight: 3,
      filterWidth: 3,
      strideHeight: 1,
      strideWidth: 1,
      padTop: 1,
      padLeft: 1,
    },
    {
      name: '5x5/s2 pad 1/2, 1x9x11x6 -> 8',
      batch: 1,
      inHeight: 9,
      inWidth: 11,
      inChannels: 6,
      outHeight: 5,
      outWidth: 5,
      outChannels: 8,
      filterHeight: 5,
      filterWidth: 5,
      strideHeight: 2,
      strideWidth: 2,
      padTop: 1,
      padLeft: 2,
    },
    // Rows in blocks of 25 (1024 positions of 4 outputs), and 3 chunks of channels at 512 outputs (64 per chunk).
    {
      name: '3x3/s1, 1x40x40x2 -> 4 (several blocks)',
      batch: 1,
      inHeight: 40,
      inWidth: 40,
      inChannels: 2,
      outHeight: 40,
      outWidth: 40,
      outChannels: 4,
      filterHeight: 3,
      filterWidth: 3,
      strideHeight: 1,
      strideWidth: 1,
      padTop: 1,
      padLeft: 1,
    },
    {
      name: '1x1, 1x2x2x150 -> 512 (several chunks)',
      batch: 1,
      inHeight: 2,
      inWidth: 2,
      inChannels: 150,
      outHeight: 2,
      outWidth: 2,
      outChannels: 512,
      filterHeight: 1,
      filterWidth: 1,
      strideHeight: 1,
      strideWidth: 1,
      padTop: 0,
      padLeft: 0,
    },
  ];

  test.each(cases)('every product once, in the right place, for any split of the channels: $name', ({ name: _, ...shape }) => {
    const xSize = shape.batch * shape.inHeight * shape.inWidth * shape.inChannels;
    const dySize = shape.batch * shape.outHeight * shape.outWidth * shape.outChannels;
    const outSize = shape.filterHeight * shape.filterWidth * shape.inChannels * shape.outChannels;
    const heap = new Float32Array(xSize + dySize + outSize);
    for (let i = 0; i < xSize + dySize; i++) heap[i] = Math.sin(i * 1.7) * 2;
    const job: FilterGradientJob = { ...shape, x: 0, dy: xSize * 4, out: (xSize + dySize) * 4 };
    const expected = reference(heap.slice(0, xSize), heap.slice(xSize, xSize + dySize), shape);
    // All channels at once, then split in three uneven parts (as threads take them).
    for (const bounds of [
      [0, shape.inChannels],
      [0, 1, Math.ceil(shape.inChannels / 2), shape.inChannels],
    ]) {
      heap.fill(0, xSize + dySize);
      const seen = new Set<string>();
      for (let i = 0; i + 1 < bounds.length; i++) filterGradientCalls(job, bounds[i] as number, bounds[i + 1] as number, emulatedSink(heap, seen));
      expect(seen.size).toBeGreaterThan(0);
      const actual = heap.subarray(xSize + dySize);
      let worst = 0;
      for (let i = 0; i < outSize; i++)
        worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)) / (1 + Math.abs(expected[i] as number)));
      expect(worst).toBeLessThan(1e-5);
    }
  });
});
