import { describe, expect, test } from 'vitest';
import { HoleCanvas } from '../../../src/core/masks/hole-canvas.js';
import { countHoles, HOLE, VALID } from '../../../src/core/masks/mask-image.js';
import { drawShape, fitGroupInside, groupBounds, type Shape } from '../../../src/core/masks/shapes.js';
import { Rng } from '../../../src/core/rng.js';

function distanceToSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Compares a drawn shape with brute force "is the pixel centre within r of the shape", ignoring pixels on the boundary. */
function expectMatchesDistance(canvas: HoleCanvas, distance: (x: number, y: number) => number, r: number): void {
  let mismatches = 0;
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      const d = distance(x, y);
      if (Math.abs(d - r) < 1e-6) continue;
      const expected = d < r ? HOLE : VALID;
      if (canvas.data[y * canvas.width + x] !== expected) mismatches++;
    }
  }
  expect(mismatches).toBe(0);
}

describe('rasterisation', () => {
  test.each(Array.from({ length: 25 }, (_, i) => i))('a thick line (capsule) is exactly the pixels within r of the segment, case %i', (i) => {
    const rng = new Rng(1000 + i);
    const canvas = new HoleCanvas(48, 40);
    const [ax, ay, bx, by] = [rng.uniform(-5, 53), rng.uniform(-5, 45), rng.uniform(-5, 53), rng.uniform(-5, 45)];
    const r = rng.uniform(0.3, 9);
    drawShape(canvas, { kind: 'polyline', points: [ax, ay, bx, by], radius: r });
    canvas.apply(Number.POSITIVE_INFINITY);
    expectMatchesDistance(canvas, (x, y) => distanceToSegment(x, y, ax, ay, bx, by), r);
    expect(canvas.holeCount).toBe(countHoles(canvas));
  });

  test('axis-aligned and degenerate segments', () => {
    for (const points of [
      [5, 20, 40, 20],
      [20, 3, 20, 35],
      [20, 20, 20, 20],
    ]) {
      const canvas = new HoleCanvas(48, 40);
      drawShape(canvas, { kind: 'polyline', points, radius: 3.5 });
      canvas.apply(Number.POSITIVE_INFINITY);
      const [ax, ay, bx, by] = points as [number, number, number, number];
      expectMatchesDistance(canvas, (x, y) => distanceToSegment(x, y, ax, ay, bx, by), 3.5);
    }
  });

  test('a disc is the pixels within its radius', () => {
    const canvas = new HoleCanvas(30, 30);
    drawShape(canvas, { kind: 'disc', cx: 12.3, cy: 17.8, radius: 6.2 });
    canvas.apply(Number.POSITIVE_INFINITY);
    expectMatchesDistance(canvas, (x, y) => Math.hypot(x - 12.3, y - 17.8), 6.2);
  });

  test('a rectangle covers the pixel centres inside it', () => {
    const canvas = new HoleCanvas(10, 10);
    drawShape(canvas, { kind: 'rect', x0: 2, y0: 3, x1: 4, y1: 7 });
    canvas.apply(Number.POSITIVE_INFINITY);
    expect(canvas.holeCount).toBe(3 * 5);
  });

  test('apply paints a shape only if the hole count stays within the limit, counting overlaps once', () => {
    const canvas = new HoleCanvas(20, 20);
    drawShape(canvas, { kind: 'disc', cx: 5, cy: 5, radius: 3 });
    expect(canvas.apply(1000)).toBe(true);
    const disc = countHoles(canvas);
    expect(canvas.holeCount).toBe(disc);
    const before = canvas.data.slice();
    // The diagonal overlaps the disc: its new holes are fewer than its pixels.
    drawShape(canvas, { kind: 'polyline', points: [0, 0, 19, 19], radius: 2 });
    expect(canvas.apply(disc + 10)).toBe(false);
    expect(canvas.data).toEqual(before);
    expect(canvas.holeCount).toBe(disc);
    const probe = new HoleCanvas(20, 20);
    probe.data.set(before);
    drawShape(probe, { kind: 'polyline', points: [0, 0, 19, 19], radius: 2 });
    probe.apply(Number.POSITIVE_INFINITY);
    const both = countHoles(probe);
    // Exactly at the limit is allowed, through the exact (near-limit) path.
    drawShape(canvas, { kind: 'polyline', points: [0, 0, 19, 19], radius: 2 });
    expect(canvas.apply(both)).toBe(true);
    expect(canvas.holeCount).toBe(both);
    expect(canvas.data).toEqual(probe.data);
  });

  test('the fast path counts new holes exactly for spans at any alignment', () => {
    const rng = new Rng(77);
    const canvas = new HoleCanvas(37, 29);
    for (let i = 0; i < 300; i++) {
      const y = rng.int(0, 28);
      canvas.fillSpan(y, rng.uniform(-3, 37), rng.uniform(-3, 40));
      canvas.apply(Number.POSITIVE_INFINITY);
      expect(canvas.holeCount).toBe(countHoles(canvas));
    }
  });
});

describe('fitGroupInside', () => {
  test('moves and shrinks a group so that every pixel stays inside the box', () => {
    const inner = { x0: 4, y0: 4, x1: 27, y1: 27 };
    const rng = new Rng(5);
    for (let i = 0; i < 50; i++) {
      const group: Shape[] = [
        { kind: 'polyline', points: [rng.uniform(-20, 50), rng.uniform(-20, 50), rng.uniform(-20, 50), rng.uniform(-20, 50)], radius: rng.uniform(1, 20) },
        { kind: 'disc', cx: rng.uniform(-20, 50), cy: rng.uniform(-20, 50), radius: rng.uniform(1, 10) },
      ];
      const fitted = fitGroupInside(group, inner);
      expect(fitted).toBeDefined();
      const b = groupBounds(fitted as Shape[]);
      expect(b.x0).toBeGreaterThanOrEqual(inner.x0 - 1e-9);
      expect(b.y0).toBeGreaterThanOrEqual(inner.y0 - 1e-9);
      expect(b.x1).toBeLessThanOrEqual(inner.x1 + 1e-9);
      expect(b.y1).toBeLessThanOrEqual(inner.y1 + 1e-9);
      const canvas = new HoleCanvas(32, 32);
      for (const shape of fitted as Shape[]) drawShape(canvas, shape);
      canvas.apply(Number.POSITIVE_INFINITY);
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) if (canvas.data[y * 32 + x] === HOLE) expect(x >= 4 && x <= 27 && y >= 4 && y <= 27).toBe(true);
    }
  });
});
