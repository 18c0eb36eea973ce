import type { Rng } from '../rng.js';
import type { ShapeSource } from './shape-source.js';
import type { Shape } from './shapes.js';

/** LaMa's irregular brush strokes and optional boxes; lengths in px at 512x512, scaled with the image. */
export interface StrokesSettings {
  readonly maxVertices: number;
  /** Turning angle per segment: 0.01 + randint(0, maxAngle - 1) radians, as in LaMa. */
  readonly maxAngle: number;
  readonly maxLength: number;
  readonly maxWidth: number;
  /** Chance that a drawn group is a box instead of a stroke. */
  readonly boxProbability: number;
  readonly boxMinSize: number;
  readonly boxMaxSize: number;
  readonly boxMargin: number;
}

/** LaMa's presets (docs/science.md, "Masks"): thin, medium and thick strokes at 512x512. */
export const STROKE_PRESETS: Record<'thin' | 'medium' | 'thick', StrokesSettings> = {
  thin: { maxVertices: 5, maxAngle: 4, maxLength: 100, maxWidth: 20, boxProbability: 0, boxMinSize: 30, boxMaxSize: 150, boxMargin: 10 },
  medium: { maxVertices: 5, maxAngle: 4, maxLength: 200, maxWidth: 100, boxProbability: 0.3, boxMinSize: 30, boxMaxSize: 150, boxMargin: 10 },
  thick: { maxVertices: 5, maxAngle: 4, maxLength: 450, maxWidth: 250, boxProbability: 0.3, boxMinSize: 30, boxMaxSize: 300, boxMargin: 10 },
};

export function strokesSource(settings: StrokesSettings, width: number, height: number): ShapeSource {
  const scale = Math.min(width, height) / 512;
  const px = (v: number) => Math.max(1, Math.round(v * scale));
  return {
    name: 'strokes',
    next(rng: Rng, groupIndex: number): Shape[] {
      if (settings.boxProbability > 0 && rng.next() < settings.boxProbability) {
        const margin = px(settings.boxMargin);
        const maxSize = Math.max(1, Math.min(px(settings.boxMaxSize), width - 2 * margin, height - 2 * margin));
        const minSize = Math.min(px(settings.boxMinSize), maxSize);
        const w = rng.int(minSize, maxSize);
        const h = rng.int(minSize, maxSize);
        const x0 = rng.int(margin, Math.max(margin, width - margin - w));
        const y0 = rng.int(margin, Math.max(margin, height - margin - h));
        return [{ kind: 'rect', x0, y0, x1: x0 + w - 1, y1: y0 + h - 1 }];
      }
      const shapes: Shape[] = [];
      let x = rng.int(0, width - 1);
      let y = rng.int(0, height - 1);
      const vertices = 1 + rng.int(0, settings.maxVertices - 1);
      const reverse = groupIndex % 2 === 0;
      for (let j = 0; j < vertices; j++) {
        let angle = 0.01 + rng.int(0, settings.maxAngle - 1);
        if (reverse) angle = 2 * Math.PI - angle;
        const length = px(10 + rng.int(0, settings.maxLength - 1));
        const brush = px(5 + rng.int(0, settings.maxWidth - 1));
        const nx = Math.min(width, Math.max(0, Math.trunc(x + length * Math.sin(angle))));
        const ny = Math.min(height, Math.max(0, Math.trunc(y + length * Math.cos(angle))));
        shapes.push({ kind: 'polyline', points: [x, y, nx, ny], radius: brush / 2 });
        x = nx;
        y = ny;
      }
      return shapes;
    },
  };
}
