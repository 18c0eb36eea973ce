import { HOLE, type MaskImage, VALID } from './mask-image.js';

/**
 * A mask being drawn. Shapes queue their rows as spans; apply() paints the queued spans only if
 * the hole count stays within a limit, and otherwise leaves the mask untouched. That lets the
 * binned generator try a shape, see whether it would overshoot the bin, and drop it, without
 * copying the mask.
 *
 * Speed: the queued spans give an upper bound on the new holes. When even that bound fits, the
 * spans are painted in one branch-free pass (the common case); only near the limit are new holes
 * counted exactly before anything is painted.
 */
export class HoleCanvas implements MaskImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  /** The same pixels four at a time, for counting. */
  private readonly words: Uint32Array;
  private holes = 0;
  /** Queued spans as [start, end] pixel indices (inclusive), two entries each. */
  private spans = new Int32Array(4096);
  private spanCount = 0;
  private queuedPixels = 0;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    const buffer = new ArrayBuffer(Math.ceil((width * height) / 4) * 4);
    this.data = new Uint8Array(buffer, 0, width * height).fill(VALID);
    this.words = new Uint32Array(buffer);
  }

  /** Hole pixels painted so far (queued spans not included). */
  get holeCount(): number {
    return this.holes;
  }

  reset(): void {
    this.data.fill(VALID);
    this.holes = 0;
    this.discard();
  }

  /** Queues the pixels of row y whose centres lie in [x0, x1], clipped to the canvas. */
  fillSpan(y: number, x0: number, x1: number): void {
    if (y < 0 || y >= this.height) return;
    const from = Math.max(0, Math.ceil(x0 - 1e-9));
    const to = Math.min(this.width - 1, Math.floor(x1 + 1e-9));
    if (from > to) return;
    if (this.spanCount + 2 > this.spans.length) {
      const grown = new Int32Array(this.spans.length * 2);
      grown.set(this.spans);
      this.spans = grown;
    }
    const row = y * this.width;
    this.spans[this.spanCount++] = row + from;
    this.spans[this.spanCount++] = row + to;
    this.queuedPixels += to - from + 1;
  }

  /** Drops the queued spans. */
  discard(): void {
    this.spanCount = 0;
    this.queuedPixels = 0;
  }

  /**
   * Paints the queued spans if the hole count afterwards is at most maxHoles and returns true;
   * otherwise paints nothing and returns false. The queue is empty afterwards either way.
   */
  apply(maxHoles: number): boolean {
    const { data, spans } = this;
    const n = this.spanCount;
    if (this.holes + this.queuedPixels > maxHoles) {
      // Near the limit: count the pixels that would become holes (each once) before painting.
      let added = 0;
      for (let s = 0; s < n; s += 2) {
        for (let i = spans[s] as number, end = spans[s + 1] as number; i <= end; i++) {
          if (data[i] === VALID) {
            data[i] = 1; // provisional mark, neither VALID nor HOLE
            added++;
          }
        }
      }
      const fits = this.holes + added <= maxHoles;
      for (let s = 0; s < n; s += 2) {
        for (let i = spans[s] as number, end = spans[s + 1] as number; i <= end; i++) if (data[i] === 1) data[i] = fits ? HOLE : VALID;
      }
      this.discard();
      if (fits) this.holes += added;
      return fits;
    }
    let added = 0;
    for (let s = 0; s < n; s += 2) {
      const start = spans[s] as number;
      const end = spans[s + 1] as number;
      added += this.countValid(start, end);
      data.fill(HOLE, start, end + 1);
    }
    this.holes += added;
    this.discard();
    return true;
  }

  /**
   * Valid pixels in data[start..end]. VALID (255) has its low bit set and HOLE (0) not, so four
   * pixels at a time: mask the low bits of a 32-bit word and add its bytes with one multiply.
   */
  private countValid(start: number, end: number): number {
    const { data, words } = this;
    let count = 0;
    let i = start;
    for (; i <= end && (i & 3) !== 0; i++) count += (data[i] as number) & 1;
    const lastWord = ((end + 1) >> 2) - 1;
    for (let w = i >> 2; w <= lastWord; w++) count += (Math.imul((words[w] as number) & 0x01010101, 0x01010101) >>> 24) & 0xff;
    for (i = Math.max(i, (lastWord + 1) << 2); i <= end; i++) count += (data[i] as number) & 1;
    return count;
  }
}
