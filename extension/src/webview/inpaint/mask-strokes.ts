/**
 * The mask being painted, as a list of operations in image pixels (not a bitmap), so that undo is
 * exact and the same strokes can be drawn at any scale: on the overlay the user sees and, for the
 * CLI, on a canvas at the image's own resolution.
 */
export interface Point {
  readonly x: number;
  readonly y: number;
}

export type MaskOp = { readonly kind: 'stroke'; readonly size: number; readonly erase: boolean; readonly points: Point[] } | { readonly kind: 'clear' };

/** The 2D-context calls drawing needs (a CanvasRenderingContext2D or OffscreenCanvasRenderingContext2D). */
type Context2d = Pick<
  CanvasRenderingContext2D,
  'beginPath' | 'arc' | 'fill' | 'moveTo' | 'lineTo' | 'stroke' | 'clearRect' | 'fillRect' | 'save' | 'restore' | 'canvas'
> & {
  fillStyle: CanvasRenderingContext2D['fillStyle'];
  strokeStyle: CanvasRenderingContext2D['strokeStyle'];
  lineWidth: number;
  lineCap: CanvasLineCap;
  lineJoin: CanvasLineJoin;
  globalCompositeOperation: GlobalCompositeOperation;
};

/** How holes and erased parts are drawn: the overlay erases to transparent, the exported mask paints white. */
export interface MaskStyle {
  readonly hole: string;
  /** undefined: erase to transparent (destination-out). */
  readonly keep?: string;
  /** Fill behind everything, e.g. white for the exported mask; undefined: transparent. */
  readonly background?: string;
}

export class MaskStrokes {
  readonly ops: MaskOp[] = [];

  constructor(
    readonly width: number,
    readonly height: number,
  ) {}

  /** Starts a stroke; returns it so the caller can extend it while the pointer moves. */
  begin(point: Point, size: number, erase: boolean): MaskOp & { kind: 'stroke' } {
    const op = { kind: 'stroke' as const, size, erase, points: [point] };
    this.ops.push(op);
    return op;
  }

  /** Clearing is an operation too, so it can be undone. Nothing to clear: nothing recorded. */
  clear(): boolean {
    if (this.isEmpty()) return false;
    this.ops.push({ kind: 'clear' });
    return true;
  }

  undo(): boolean {
    return this.ops.pop() !== undefined;
  }

  /** True when nothing has been painted since the start or the last clear (erasing alone paints nothing). */
  isEmpty(): boolean {
    for (let i = this.ops.length - 1; i >= 0; i--) {
      const op = this.ops[i] as MaskOp;
      if (op.kind === 'clear') return true;
      if (!op.erase) return false;
    }
    return true;
  }

  /** Redraws every operation from scratch onto a context whose canvas is width x height. */
  draw(ctx: Context2d, style: MaskStyle): void {
    ctx.clearRect(0, 0, this.width, this.height);
    this.background(ctx, style);
    for (const op of this.ops) {
      if (op.kind === 'clear') {
        ctx.clearRect(0, 0, this.width, this.height);
        this.background(ctx, style);
      } else drawStroke(ctx, op, style, 0);
    }
  }

  private background(ctx: Context2d, style: MaskStyle): void {
    if (style.background === undefined) return;
    ctx.fillStyle = style.background;
    ctx.fillRect(0, 0, this.width, this.height);
  }
}

/**
 * Draws a stroke's points from index `from` on (0: the whole stroke; while the pointer moves, the
 * newest segment only). A stroke is round dabs joined by round-capped lines of the brush's width.
 */
export function drawStroke(ctx: Context2d, op: MaskOp & { kind: 'stroke' }, style: MaskStyle, from: number): void {
  ctx.save();
  const colour = op.erase ? style.keep : style.hole;
  ctx.globalCompositeOperation = colour === undefined ? 'destination-out' : 'source-over';
  ctx.fillStyle = colour ?? '#000';
  ctx.strokeStyle = colour ?? '#000';
  ctx.lineWidth = op.size;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  const first = op.points[from];
  if (first && from === 0) {
    ctx.beginPath();
    ctx.arc(first.x, first.y, op.size / 2, 0, Math.PI * 2);
    ctx.fill();
  }
  if (op.points.length > 1) {
    ctx.beginPath();
    const start = op.points[Math.max(0, from - 1)] as Point;
    ctx.moveTo(start.x, start.y);
    for (let i = Math.max(1, from); i < op.points.length; i++) {
      const p = op.points[i] as Point;
      ctx.lineTo(p.x, p.y);
    }
    ctx.stroke();
  }
  ctx.restore();
}

/**
 * Makes the drawn mask strictly binary in place: the strokes' anti-aliased edges become hole (0)
 * below mid-grey and kept (255) otherwise, the CLI's own threshold. Returns the number of hole pixels.
 */
export function binarize(rgba: Uint8ClampedArray): number {
  let holes = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    const value = (rgba[i] as number) < 128 ? 0 : 255;
    if (value === 0) holes++;
    rgba[i] = value;
    rgba[i + 1] = value;
    rgba[i + 2] = value;
    rgba[i + 3] = 255;
  }
  return holes;
}
