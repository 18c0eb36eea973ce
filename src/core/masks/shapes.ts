import type { HoleCanvas } from './hole-canvas.js';

/**
 * The few primitives every mask generator draws with. A polyline has round caps and joints (as
 * OpenCV draws thick lines), so lines, ellipse arcs and brush strokes are all polylines.
 * Coordinates are pixel centres; a pixel is a hole when its centre lies inside the shape.
 */
export type Shape =
  | { readonly kind: 'polyline'; readonly points: readonly number[]; readonly radius: number }
  | { readonly kind: 'disc'; readonly cx: number; readonly cy: number; readonly radius: number }
  | { readonly kind: 'rect'; readonly x0: number; readonly y0: number; readonly x1: number; readonly y1: number };

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export function drawShape(canvas: HoleCanvas, shape: Shape): void {
  switch (shape.kind) {
    case 'disc':
      drawDisc(canvas, shape.cx, shape.cy, shape.radius);
      return;
    case 'rect':
      for (let y = Math.max(0, Math.ceil(shape.y0)); y <= Math.min(canvas.height - 1, Math.floor(shape.y1)); y++) {
        canvas.fillSpan(y, shape.x0, shape.x1);
      }
      return;
    case 'polyline': {
      const p = shape.points;
      if (p.length === 2) drawDisc(canvas, p[0] as number, p[1] as number, shape.radius);
      for (let i = 0; i + 3 < p.length; i += 2) {
        drawCapsule(canvas, p[i] as number, p[i + 1] as number, p[i + 2] as number, p[i + 3] as number, shape.radius);
      }
      return;
    }
  }
}

function drawDisc(canvas: HoleCanvas, cx: number, cy: number, r: number): void {
  const yFrom = Math.max(0, Math.ceil(cy - r));
  const yTo = Math.min(canvas.height - 1, Math.floor(cy + r));
  for (let y = yFrom; y <= yTo; y++) {
    const dy = y - cy;
    const h = Math.sqrt(Math.max(0, r * r - dy * dy));
    canvas.fillSpan(y, cx - h, cx + h);
  }
}

/**
 * A segment thickened by r with round caps. It is convex, so each row meets it in one interval:
 * the hull of the row's intervals with the two end discs and with the rotated rectangle between
 * them. Hot path of mask generation: no allocation per row.
 */
function drawCapsule(canvas: HoleCanvas, ax: number, ay: number, bx: number, by: number, r: number): void {
  const dx = bx - ax;
  const dy = by - ay;
  const length = Math.hypot(dx, dy);
  if (length < 1e-9) {
    drawDisc(canvas, ax, ay, r);
    return;
  }
  const ux = dx / length;
  const uy = dy / length;
  const r2 = r * r;
  const yFrom = Math.max(0, Math.ceil(Math.min(ay, by) - r));
  const yTo = Math.min(canvas.height - 1, Math.floor(Math.max(ay, by) + r));
  for (let y = yFrom; y <= yTo; y++) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    const da = y - ay;
    if (da * da <= r2) {
      const h = Math.sqrt(r2 - da * da);
      lo = ax - h;
      hi = ax + h;
    }
    const db = y - by;
    if (db * db <= r2) {
      const h = Math.sqrt(r2 - db * db);
      if (bx - h < lo) lo = bx - h;
      if (bx + h > hi) hi = bx + h;
    }
    // Rectangle: 0 <= (p - a).u <= length and |(p - a).n| <= r with n = (-uy, ux). Both are
    // linear in x: u = ux*x + cu, v = -uy*x + cv.
    const cu = da * uy - ax * ux;
    const cv = da * ux + ax * uy;
    let rlo = Number.NEGATIVE_INFINITY;
    let rhi = Number.POSITIVE_INFINITY;
    if (Math.abs(ux) > 1e-12) {
      const x1 = -cu / ux;
      const x2 = (length - cu) / ux;
      rlo = Math.min(x1, x2);
      rhi = Math.max(x1, x2);
    } else if (cu < 0 || cu > length) {
      rlo = 1;
      rhi = 0;
    }
    if (Math.abs(uy) > 1e-12) {
      const x1 = (cv + r) / uy;
      const x2 = (cv - r) / uy;
      rlo = Math.max(rlo, Math.min(x1, x2));
      rhi = Math.min(rhi, Math.max(x1, x2));
    } else if (cv < -r || cv > r) {
      rlo = 1;
      rhi = 0;
    }
    if (rlo <= rhi) {
      if (rlo < lo) lo = rlo;
      if (rhi > hi) hi = rhi;
    }
    if (lo <= hi) canvas.fillSpan(y, lo, hi);
  }
}

/** The box a shape's hole pixels can reach (pixel centres). */
export function shapeBounds(shape: Shape): Box {
  switch (shape.kind) {
    case 'disc':
      return { x0: shape.cx - shape.radius, y0: shape.cy - shape.radius, x1: shape.cx + shape.radius, y1: shape.cy + shape.radius };
    case 'rect':
      return { x0: shape.x0, y0: shape.y0, x1: shape.x1, y1: shape.y1 };
    case 'polyline': {
      const box = { x0: Number.POSITIVE_INFINITY, y0: Number.POSITIVE_INFINITY, x1: Number.NEGATIVE_INFINITY, y1: Number.NEGATIVE_INFINITY };
      const p = shape.points;
      for (let i = 0; i + 1 < p.length; i += 2) {
        box.x0 = Math.min(box.x0, p[i] as number);
        box.x1 = Math.max(box.x1, p[i] as number);
        box.y0 = Math.min(box.y0, p[i + 1] as number);
        box.y1 = Math.max(box.y1, p[i + 1] as number);
      }
      return { x0: box.x0 - shape.radius, y0: box.y0 - shape.radius, x1: box.x1 + shape.radius, y1: box.y1 + shape.radius };
    }
  }
}

export function translateShape(shape: Shape, tx: number, ty: number): Shape {
  switch (shape.kind) {
    case 'disc':
      return { ...shape, cx: shape.cx + tx, cy: shape.cy + ty };
    case 'rect':
      return { kind: 'rect', x0: shape.x0 + tx, y0: shape.y0 + ty, x1: shape.x1 + tx, y1: shape.y1 + ty };
    case 'polyline':
      return { ...shape, points: shape.points.map((v, i) => v + (i % 2 === 0 ? tx : ty)) };
  }
}

/** The union of the bounds of a group of shapes. */
export function groupBounds(shapes: readonly Shape[]): Box {
  const box = { x0: Number.POSITIVE_INFINITY, y0: Number.POSITIVE_INFINITY, x1: Number.NEGATIVE_INFINITY, y1: Number.NEGATIVE_INFINITY };
  for (const shape of shapes) {
    const b = shapeBounds(shape);
    box.x0 = Math.min(box.x0, b.x0);
    box.y0 = Math.min(box.y0, b.y0);
    box.x1 = Math.max(box.x1, b.x1);
    box.y1 = Math.max(box.y1, b.y1);
  }
  return box;
}

/**
 * Shrinks a group about the centre of its bounds: positions, sizes and thickness all scale by
 * `factor`, so a brush stroke stays one connected stroke.
 */
export function scaleGroup(shapes: readonly Shape[], factor: number): Shape[] {
  const b = groupBounds(shapes);
  const cx = (b.x0 + b.x1) / 2;
  const cy = (b.y0 + b.y1) / 2;
  const sx = (x: number) => cx + (x - cx) * factor;
  const sy = (y: number) => cy + (y - cy) * factor;
  return shapes.map((shape): Shape => {
    switch (shape.kind) {
      case 'disc':
        return { kind: 'disc', cx: sx(shape.cx), cy: sy(shape.cy), radius: shape.radius * factor };
      case 'rect':
        return { kind: 'rect', x0: sx(shape.x0), y0: sy(shape.y0), x1: sx(shape.x1), y1: sy(shape.y1) };
      default:
        return { kind: 'polyline', radius: shape.radius * factor, points: shape.points.map((v, i) => (i % 2 === 0 ? sx(v) : sy(v))) };
    }
  });
}

export function translateGroup(shapes: readonly Shape[], tx: number, ty: number): Shape[] {
  return shapes.map((shape) => translateShape(shape, tx, ty));
}

/**
 * Moves and, if needed, shrinks a group so that all its hole pixels lie inside `inner` (used for
 * the no-border subset). Returns undefined when `inner` is empty.
 */
export function fitGroupInside(shapes: readonly Shape[], inner: Box): Shape[] | undefined {
  const innerW = inner.x1 - inner.x0;
  const innerH = inner.y1 - inner.y0;
  if (innerW < 0 || innerH < 0) return undefined;
  const b = groupBounds(shapes);
  const factor = Math.min(1, innerW / Math.max(1e-9, b.x1 - b.x0), innerH / Math.max(1e-9, b.y1 - b.y0));
  const scaled = factor < 1 ? scaleGroup(shapes, factor) : [...shapes];
  const f = groupBounds(scaled);
  const tx = f.x0 < inner.x0 ? inner.x0 - f.x0 : f.x1 > inner.x1 ? inner.x1 - f.x1 : 0;
  const ty = f.y0 < inner.y0 ? inner.y0 - f.y0 : f.y1 > inner.y1 ? inner.y1 - f.y1 : 0;
  return tx === 0 && ty === 0 ? scaled : translateGroup(scaled, tx, ty);
}
