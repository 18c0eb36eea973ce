import { UserError } from '../errors.js';
import { deriveSeed, Rng } from '../rng.js';
import { type Bin, type BinRule, binLabel, holeCountRange, inBin } from './bins.js';
import { HoleCanvas } from './hole-canvas.js';
import { type BorderSubset, hasHoleNearBorder, type MaskImage } from './mask-image.js';
import type { ShapeSource } from './shape-source.js';
import { type Box, drawShape, fitGroupInside, groupBounds, type Shape, scaleGroup, translateGroup } from './shapes.js';

export interface BinTarget {
  readonly bin: Bin;
  readonly rule: BinRule;
  readonly subset: BorderSubset;
  /** Width in px of the frame that a no-border mask must leave free of holes. */
  readonly margin: number;
}

export interface BinnedMaskLimits {
  /** Shape groups tried per attempt before the attempt is abandoned. */
  readonly maxShapes: number;
  /** Fresh attempts (each with a seed derived from the mask's own) before the bin is declared unreachable. */
  readonly maxAttempts: number;
}

export interface BinnedMaskResult {
  readonly mask: MaskImage;
  readonly holeRatio: number;
  /** Attempts used, 1 when the first one landed in the bin. */
  readonly attempts: number;
}

/** How many times an overshooting shape is halved before it is dropped. */
const SHRINK_STEPS = 4;

/**
 * Draws one mask whose hole ratio lies in the target bin and whose border subset is the target's.
 *
 * Steering instead of rejection: a target hole count is drawn uniformly inside the bin, then shape
 * groups from the generator are painted one at a time until the count is reached. A group that
 * would overshoot the bin is not painted but retried at half size, so the rare high bins cost no
 * more than a few extra shapes rather than hundreds of whole rejected masks. No-border masks fit
 * every shape inside the frame; border masks move their first shape onto the frame.
 *
 * Pure and deterministic: the same source settings, target and seed give the same pixels.
 */
export function generateBinnedMask(
  source: ShapeSource,
  width: number,
  height: number,
  target: BinTarget,
  seed: number,
  limits: BinnedMaskLimits,
  canvas: HoleCanvas = new HoleCanvas(width, height),
): BinnedMaskResult {
  const total = width * height;
  const counts = holeCountRange(target.bin, target.rule, total);
  const inner: Box = { x0: target.margin, y0: target.margin, x1: width - 1 - target.margin, y1: height - 1 - target.margin };
  const innerArea = Math.max(0, inner.x1 - inner.x0 + 1) * Math.max(0, inner.y1 - inner.y0 + 1);
  const unreachable = (why: string) => unreachableBin(source, width, height, target, limits, why);
  if (!counts) throw unreachable(`no whole number of hole pixels out of ${total} falls in it`);
  if (target.subset === 'no-border' && innerArea < counts.min) {
    throw unreachable(`a ${target.margin}px frame leaves ${innerArea} px inside, fewer than the ${counts.min} holes the bin needs`);
  }
  if (target.subset === 'border' && target.margin <= 0) throw unreachable('the border margin is 0, so no mask can touch the frame');

  for (let attempt = 1; attempt <= limits.maxAttempts; attempt++) {
    const rng = new Rng(attempt === 1 ? seed : deriveSeed(seed, 'attempt', attempt));
    canvas.reset();
    const goal = rng.int(counts.min, Math.min(counts.max, target.subset === 'no-border' ? innerArea : counts.max));
    let placedOnFrame = target.subset !== 'border';
    for (let group = 0; group < limits.maxShapes && canvas.holeCount < goal; group++) {
      let shapes = source.next(rng, group);
      if (target.subset === 'no-border') {
        const fitted = fitGroupInside(shapes, inner);
        if (!fitted) continue;
        shapes = fitted;
      } else if (!placedOnFrame) {
        shapes = moveGroupOntoFrame(shapes, rng, width, height, target.margin);
      }
      for (let step = 0; step <= SHRINK_STEPS; step++) {
        for (const shape of shapes) drawShape(canvas, shape);
        if (canvas.apply(counts.max)) {
          if (!placedOnFrame && hasHoleNearBorder(canvas, target.margin)) placedOnFrame = true;
          break;
        }
        shapes = scaleGroup(shapes, 0.5);
      }
    }
    const holes = canvas.holeCount;
    const ratio = holes / total;
    if (inBin(ratio, target.bin, target.rule) && hasHoleNearBorder(canvas, target.margin) === (target.subset === 'border')) {
      return { mask: { width, height, data: canvas.data.slice() }, holeRatio: ratio, attempts: attempt };
    }
  }
  throw unreachable(`${limits.maxAttempts} attempts of up to ${limits.maxShapes} shape groups each did not land in it`);
}

/** Translates a group so that its bounds reach into the frame on one side, picked at random. */
function moveGroupOntoFrame(shapes: Shape[], rng: Rng, width: number, height: number, margin: number): Shape[] {
  const b = groupBounds(shapes);
  // Place the group's extreme on the chosen side at a pixel inside the frame.
  const depth = rng.int(0, Math.max(0, margin - 1));
  let tx = 0;
  let ty = 0;
  switch (rng.int(0, 3)) {
    case 0:
      tx = depth - Math.ceil(b.x0);
      break;
    case 1:
      tx = width - 1 - depth - Math.floor(b.x1);
      break;
    case 2:
      ty = depth - Math.ceil(b.y0);
      break;
    default:
      ty = height - 1 - depth - Math.floor(b.y1);
  }
  return translateGroup(shapes, tx, ty);
}

function unreachableBin(source: ShapeSource, width: number, height: number, target: BinTarget, limits: BinnedMaskLimits, why: string): UserError {
  const bin = binLabel(target.bin, target.rule);
  return new UserError(
    'MASK_BIN_UNREACHABLE',
    `mask bin ${bin} (${target.subset}) cannot be filled by generator ${source.name} at ${width}x${height}: ${why}`,
    {
      details: [`border margin: ${target.margin}px`, `limits: maxShapes ${limits.maxShapes}, maxAttempts ${limits.maxAttempts}`],
      hint: 'Drop or narrow the bin (masks.bins), lower masks.border.margin, raise masks.maxShapes, or choose a generator with larger shapes.',
    },
  );
}
