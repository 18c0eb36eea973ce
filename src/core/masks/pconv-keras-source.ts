import type { Rng } from '../rng.js';
import type { ShapeSource } from './shape-source.js';
import type { Shape } from './shapes.js';

/** Settings of the PConv-Keras recipe (docs/science.md, "Masks"). */
export interface PconvKerasSettings {
  /** size = floor((W + H) * sizeFactor) bounds thickness and radius; PConv-Keras uses 0.03. */
  readonly sizeFactor: number;
  /** Smallest thickness and radius, 3 in PConv-Keras. */
  readonly minThickness: number;
  readonly lines: boolean;
  readonly circles: boolean;
  readonly ellipses: boolean;
}

type Kind = 'lines' | 'circles' | 'ellipses';

/**
 * Lines, filled circles and ellipse outlines with PConv-Keras' distributions (randint inclusive,
 * coordinates in [1, W] x [1, H]). The binned generator decides how many shapes to draw.
 */
export function pconvKerasSource(settings: PconvKerasSettings, width: number, height: number): ShapeSource {
  const kinds: Kind[] = (['lines', 'circles', 'ellipses'] as const).filter((kind) => settings[kind]);
  if (kinds.length === 0) throw new RangeError('pconv-keras: enable at least one of lines, circles, ellipses');
  const minT = settings.minThickness;
  const size = Math.max(minT, Math.floor((width + height) * settings.sizeFactor));
  return {
    name: 'pconv-keras',
    next(rng: Rng): Shape[] {
      const kind = kinds[rng.int(0, kinds.length - 1)] as Kind;
      if (kind === 'lines') {
        const x1 = rng.int(1, width);
        const x2 = rng.int(1, width);
        const y1 = rng.int(1, height);
        const y2 = rng.int(1, height);
        return [{ kind: 'polyline', points: [x1, y1, x2, y2], radius: rng.int(minT, size) / 2 }];
      }
      if (kind === 'circles') {
        return [{ kind: 'disc', cx: rng.int(1, width), cy: rng.int(1, height), radius: rng.int(minT, size) }];
      }
      const cx = rng.int(1, width);
      const cy = rng.int(1, height);
      const ax = rng.int(1, width);
      const ay = rng.int(1, height);
      const angle = rng.int(3, 180);
      let start = rng.int(3, 180);
      let end = rng.int(3, 180);
      // OpenCV swaps the arc's angles when start > end.
      if (start > end) [start, end] = [end, start];
      const radius = rng.int(minT, size) / 2;
      return [{ kind: 'polyline', points: ellipseArc(cx, cy, ax, ay, angle, start, end), radius }];
    },
  };
}

/**
 * Points along an ellipse arc (semi-axes ax, ay, rotated by `angle`, from start to end degrees of
 * the parametric angle), stepped as OpenCV's cv2.ellipse steps it (ellipse2Poly): 5 degrees for
 * axes of 15 px or more, coarser for small ones. PConv-Keras draws with cv2.ellipse, so its
 * outlines are these polylines too; finer steps would only cost time.
 */
export function ellipseArc(cx: number, cy: number, ax: number, ay: number, angle: number, start: number, end: number): number[] {
  const rad = Math.PI / 180;
  const cosA = Math.cos(angle * rad);
  const sinA = Math.sin(angle * rad);
  const axis = Math.max(ax, ay);
  const delta = axis < 3 ? 90 : axis < 10 ? 30 : axis < 15 ? 18 : 5;
  const segments = Math.max(1, Math.ceil((end - start) / delta));
  const points: number[] = [];
  for (let i = 0; i <= segments; i++) {
    const t = Math.min(end, start + i * delta) * rad;
    const ex = ax * Math.cos(t);
    const ey = ay * Math.sin(t);
    points.push(cx + ex * cosA - ey * sinA, cy + ex * sinA + ey * cosA);
  }
  return points;
}
