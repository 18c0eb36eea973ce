import { describe, expect, test } from 'vitest';
import { holeL1, imageMetrics, meanAbsoluteError, psnr } from '../../../src/core/metrics/image-metrics.js';
import { ssimSeparable, ssimSeparableJs } from '../../../src/core/metrics/ssim-separable.js';
import { Rng } from '../../../src/core/rng.js';

function randomPair(width: number, height: number, channels: number, seed: number) {
  const rng = new Rng(seed);
  const a = Float32Array.from({ length: width * height * channels }, () => rng.next());
  // b correlated with a, as an inpainting output is with its ground truth.
  const b = Float32Array.from(a, (v) => Math.min(1, Math.max(0, v + rng.uniform(-0.2, 0.2))));
  return { a, b };
}

/**
 * SSIM straight from its definition: for each output pixel and channel, weighted means over the
 * full 11x11 Gaussian window, no separation, no reordering; slow, so small images only.
 */
function ssimByDefinition(a: Float32Array, b: Float32Array, width: number, height: number, channels: number): number {
  const g = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 ** 2)));
  const norm = g.reduce((x, y) => x + y, 0);
  const w = g.map((v) => v / norm);
  let total = 0;
  let count = 0;
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y + 11 <= height; y++) {
      for (let x = 0; x + 11 <= width; x++) {
        let mx = 0;
        let my = 0;
        let mxx = 0;
        let myy = 0;
        let mxy = 0;
        for (let j = 0; j < 11; j++) {
          for (let i = 0; i < 11; i++) {
            const weight = (w[j] as number) * (w[i] as number);
            const p = ((y + j) * width + x + i) * channels + c;
            const u = a[p] as number;
            const v = b[p] as number;
            mx += weight * u;
            my += weight * v;
            mxx += weight * u * u;
            myy += weight * v * v;
            mxy += weight * u * v;
          }
        }
        const vx = mxx - mx * mx;
        const vy = myy - my * my;
        const cxy = mxy - mx * my;
        total += ((2 * mx * my + 1e-4) * (2 * cxy + 9e-4)) / ((mx * mx + my * my + 1e-4) * (vx + vy + 9e-4));
        count++;
      }
    }
  }
  return total / count;
}

const SHAPES: [number, number, number][] = [
  [11, 11, 3],
  [16, 16, 1],
  [37, 23, 3], // odd width: an odd number of values per row
  [40, 30, 2],
  [64, 12, 4],
];

describe('ssimSeparable', () => {
  test.each(SHAPES)('agrees with the 2-D definition to 1e-12 at %ix%ix%i', (width, height, channels) => {
    const { a, b } = randomPair(width, height, channels, width * height);
    expect(Math.abs(ssimSeparable(a, b, width, height, channels) - ssimByDefinition(a, b, width, height, channels))).toBeLessThan(1e-12);
  });

  test.each([...SHAPES, [256, 256, 3] as [number, number, number]])(
    'the WebAssembly and the JavaScript steps give the same bits at %ix%ix%i',
    (width, height, channels) => {
      const { a, b } = randomPair(width, height, channels, 7);
      expect(Object.is(ssimSeparable(a, b, width, height, channels), ssimSeparableJs(a, b, width, height, channels))).toBe(true);
    },
  );

  test('is deterministic across calls and image sizes (buffers are reused and grown)', () => {
    const small = randomPair(40, 30, 3, 1);
    const large = randomPair(200, 90, 3, 2);
    const first = ssimSeparable(small.a, small.b, 40, 30);
    const big = ssimSeparable(large.a, large.b, 200, 90);
    expect(ssimSeparable(small.a, small.b, 40, 30)).toBe(first);
    expect(ssimSeparable(large.a, large.b, 200, 90)).toBe(big);
  });

  test('identical images give 1; wrong sizes are refused', () => {
    const { a } = randomPair(30, 20, 3, 3);
    expect(ssimSeparable(a, a, 30, 20)).toBeCloseTo(1, 12);
    expect(() => ssimSeparable(a, a, 10, 60)).toThrow(/at least 11x11/);
    expect(() => ssimSeparable(a, a, 5, 120)).toThrow(/at least 11x11/);
    expect(() => ssimSeparable(a, a, 20, 20)).toThrow(/values for 20x20x3/);
  });
});

describe('imageMetrics', () => {
  test('its one-pass L1, hole L1 and PSNR equal the separate functions exactly', () => {
    const { a, b } = randomPair(48, 40, 3, 11);
    const rng = new Rng(5);
    const mask = Float32Array.from({ length: 48 * 40 }, () => (rng.next() < 0.3 ? 0 : 1));
    const m = imageMetrics(a, b, 48, 40, mask);
    expect(m.l1).toBe(meanAbsoluteError(a, b) * 100);
    expect(m.psnr).toBe(psnr(a, b));
    expect(m.l1Hole).toBe((holeL1(a, b, mask) as number) * 100);
    expect(m.ssim).toBe(ssimSeparable(a, b, 48, 40));
    expect(imageMetrics(a, b, 48, 40).l1Hole).toBeUndefined();
    expect(imageMetrics(a, b, 48, 40, new Float32Array(48 * 40).fill(1)).l1Hole).toBeUndefined();
    expect(() => imageMetrics(a, b, 48, 40, new Float32Array(10))).toThrow(/mask/);
  });
});
