import type { Rng } from '../rng.js';
import type { Shape } from './shapes.js';

/**
 * A mask generator's recipe: each call draws one group of shapes (a line, a circle, a brush
 * stroke of several segments) that is painted, or taken back, as one unit.
 */
export interface ShapeSource {
  /** The generator's name, as recorded in manifests. */
  readonly name: string;
  /** groupIndex counts the groups drawn so far in this mask (LaMa alternates stroke directions by it). */
  next(rng: Rng, groupIndex: number): Shape[];
}
