import { HOLE, type MaskImage, VALID } from './mask-image.js';

/**
 * A mask being drawn: holes are painted span by span, the hole count stays exact as pixels change,
 * and the pixels painted by the shape in progress can be rolled back. That lets the binned
 * generator try a shape, see whether it overshoots the bin, and take it back without copying the mask.
 */
export class HoleCanvas implements MaskImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  /** Holes of committed shapes. */
  private committedHoles = 0;
  /** Pixel indices painted by the shape in progress (each at most once). */
  private readonly painted: Int32Array;
  private paintedCount = 0;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height).fill(VALID);
    this.painted = new Int32Array(width * height);
  }

  /** Hole pixels now, the shape in progress included. */
  get holeCount(): number {
    return this.committedHoles + this.paintedCount;
  }

  reset(): void {
    this.data.fill(VALID);
    this.committedHoles = 0;
    this.paintedCount = 0;
  }

  /** Keeps the shape in progress; the next paint starts a new one. */
  commit(): void {
    this.committedHoles += this.paintedCount;
    this.paintedCount = 0;
  }

  /** Undoes everything painted since the last commit. */
  rollback(): void {
    const { data, painted } = this;
    for (let i = 0; i < this.paintedCount; i++) data[painted[i] as number] = VALID;
    this.paintedCount = 0;
  }

  /** Paints the pixels of row y whose centres lie in [x0, x1] as hole, clipped to the canvas. */
  fillSpan(y: number, x0: number, x1: number): void {
    if (y < 0 || y >= this.height) return;
    const from = Math.max(0, Math.ceil(x0 - 1e-9));
    const to = Math.min(this.width - 1, Math.floor(x1 + 1e-9));
    const { data, painted } = this;
    const row = y * this.width;
    for (let i = row + from; i <= row + to; i++) {
      if (data[i] !== HOLE) {
        data[i] = HOLE;
        painted[this.paintedCount++] = i;
      }
    }
  }
}
