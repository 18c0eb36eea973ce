/**
 * Telea inpainting (fast marching, A. Telea 2004) written to reproduce OpenCV's
 * `cv.inpaint(..., INPAINT_TELEA)` on 8-bit RGB byte for byte, as OpenCV 4.10 and later compute it
 * (the version behind @opencvjs/node 4.13): same padded grid, same two fast marching passes, same
 * visiting order, and float32 arithmetic wherever OpenCV computes in float (Math.fround after every
 * operation; the WebAssembly build has no fused multiply-add and no excess precision, so
 * per-operation rounding is what it does). Quirks of OpenCV's code are kept on purpose because the
 * output must match: the image gradient's central difference is scaled by 2 rather than 1/2, and
 * neighbours on the first and last image row and column read their gradient from a row or column
 * shifted one pixel inwards. OpenCV before 4.10 (e.g. Python's cv2 4.6) also took the weighted mean
 * from those shifted pixels, so its output differs near the image border.
 */
import type { Inpainter } from './inpainter.js';

const KNOWN = 0;
const BAND = 1;
const INSIDE = 2;
const CHANGE = 3;

const F_TINY = Math.fround(1e-20);
const F_DIR_FLOOR = Math.fround(0.000001);
const T_FAR = 1e6;

const fround = Math.fround;

/**
 * OpenCV's priority queue pops by (time, push order): equal times leave in the order they came. A
 * binary heap on that pair, with times compared as float32 values.
 */
class MarchQueue {
  private readonly time: Float64Array;
  private readonly seq: Float64Array;
  private readonly pixel: Int32Array;
  private size = 0;
  private pushes = 0;

  constructor(capacity: number) {
    this.time = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
    this.pixel = new Int32Array(capacity);
  }

  reset(): void {
    this.size = 0;
    this.pushes = 0;
  }

  push(pixel: number, time: number): void {
    const { time: ts, seq: ss, pixel: ps } = this;
    const order = this.pushes++;
    let at = this.size++;
    while (at > 0) {
      const up = (at - 1) >> 1;
      const tu = ts[up] as number;
      if (tu < time || (tu === time && (ss[up] as number) < order)) break;
      ts[at] = tu;
      ss[at] = ss[up] as number;
      ps[at] = ps[up] as number;
      at = up;
    }
    ts[at] = time;
    ss[at] = order;
    ps[at] = pixel;
  }

  /** The pixel with the smallest (time, push order), or -1 when empty. */
  pop(): number {
    if (this.size === 0) return -1;
    const { time: ts, seq: ss, pixel: ps } = this;
    const top = ps[0] as number;
    const n = --this.size;
    if (n === 0) return top;
    const time = ts[n] as number;
    const order = ss[n] as number;
    const pixel = ps[n] as number;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= n) break;
      let tc = ts[child] as number;
      const right = child + 1;
      if (right < n) {
        const tr = ts[right] as number;
        if (tr < tc || (tr === tc && (ss[right] as number) < (ss[child] as number))) {
          child = right;
          tc = tr;
        }
      }
      if (time < tc || (time === tc && order < (ss[child] as number))) break;
      ts[at] = tc;
      ss[at] = ss[child] as number;
      ps[at] = ps[child] as number;
      at = child;
    }
    ts[at] = time;
    ss[at] = order;
    ps[at] = pixel;
    return top;
  }
}

/** One step of the eikonal solve from two neighbours, in double like OpenCV, returned as float. */
function solve(flags: Uint8Array, t: Float32Array, p1: number, p2: number): number {
  const a11 = t[p1] as number;
  const a22 = t[p2] as number;
  const m12 = Math.min(a11, a22);
  let sol: number;
  if (flags[p1] !== INSIDE) {
    if (flags[p2] !== INSIDE) {
      const d = a11 - a22;
      sol = Math.abs(d) >= 1 ? 1 + m12 : (a11 + a22 + Math.sqrt(2 - d * d)) * 0.5;
    } else sol = 1 + a11;
  } else if (flags[p2] !== INSIDE) sol = 1 + a22;
  else sol = 1 + m12;
  return fround(sol);
}

/** The arrival time at p from its four quadrants: OpenCV's min4 of four solves. */
function arrival(flags: Uint8Array, t: Float32Array, p: number, stride: number): number {
  const up = p - stride;
  const down = p + stride;
  let a = solve(flags, t, up, p - 1);
  const b = solve(flags, t, down, p - 1);
  let c = solve(flags, t, up, p + 1);
  const d = solve(flags, t, down, p + 1);
  a = Math.min(a, b);
  c = Math.min(c, d);
  return Math.min(a, c);
}

/** Round to nearest, ties to even, like cvRound (lrint) in OpenCV's saturate_cast. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

/** The disk of neighbours that fill a pixel, in OpenCV's visiting order (row by row). */
interface Disk {
  readonly range: number;
  readonly dk: Int32Array;
  readonly dl: Int32Array;
  /** 1 / |r|^3, as OpenCV rounds it to float. */
  readonly dst: Float64Array;
}

function diskOf(range: number): Disk {
  const dk: number[] = [];
  const dl: number[] = [];
  const dst: number[] = [];
  for (let y = -range; y <= range; y++) {
    for (let x = -range; x <= range; x++) {
      const len = y * y + x * x;
      if (len > range * range || len === 0) continue;
      dk.push(y);
      dl.push(x);
      dst.push(fround(1 / (len * Math.sqrt(len))));
    }
  }
  return { range, dk: Int32Array.from(dk), dl: Int32Array.from(dl), dst: Float64Array.from(dst) };
}

/**
 * Buffers for one image size, on OpenCV's grid: the image with a one-pixel frame, (height + 2) rows
 * of (width + 2). Reused from call to call.
 */
class TeleaGrid {
  readonly stride: number;
  readonly rows: number;
  /** Inward march state per grid pixel: KNOWN, BAND or INSIDE (a hole not yet filled). */
  readonly flags: Uint8Array;
  /** Outward march state: INSIDE on the known ring within range of a hole, then BAND, CHANGE. */
  readonly ring: Uint8Array;
  /** Arrival time: positive inside the holes, negative on the ring, 1e6 elsewhere. */
  readonly t: Float32Array;
  /** Scratch for the ring: a hole within range along the row. */
  readonly near: Uint8Array;
  readonly queue: MarchQueue;
  /** The narrow band's pixels, in raster order. */
  readonly band: Int32Array;
  /**
   * Byte offsets (row * width * 3, col * 3) of the image pixels that OpenCV's image gradient reads
   * for a neighbour on grid row k / column l: the pixel's own row or column (m), one before (mm1),
   * and the "p" ones, which on the last row or column step one pixel inwards (and m on the first).
   */
  readonly rowM: Int32Array;
  readonly rowMm1: Int32Array;
  readonly rowP: Int32Array;
  readonly rowPp1: Int32Array;
  readonly colM: Int32Array;
  readonly colMm1: Int32Array;
  readonly colP: Int32Array;
  readonly colPp1: Int32Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.stride = width + 2;
    this.rows = height + 2;
    const n = this.stride * this.rows;
    this.flags = new Uint8Array(n);
    this.ring = new Uint8Array(n);
    this.t = new Float32Array(n);
    this.near = new Uint8Array(n);
    this.queue = new MarchQueue(n);
    this.band = new Int32Array(n);
    // Images under 2 px make OpenCV read outside the image; those reads are clamped here.
    const row = (v: number) => Math.min(height - 1, Math.max(0, v)) * width * 3;
    const col = (v: number) => Math.min(width - 1, Math.max(0, v)) * 3;
    this.rowM = new Int32Array(this.rows);
    this.rowMm1 = new Int32Array(this.rows);
    this.rowP = new Int32Array(this.rows);
    this.rowPp1 = new Int32Array(this.rows);
    for (let k = 1; k <= height; k++) {
      const km = k === 1 ? 1 : k - 1;
      const kp = k === height ? k - 2 : k - 1;
      this.rowM[k] = row(km);
      this.rowMm1[k] = row(km - 1);
      this.rowP[k] = row(kp);
      this.rowPp1[k] = row(kp + 1);
    }
    this.colM = new Int32Array(this.stride);
    this.colMm1 = new Int32Array(this.stride);
    this.colP = new Int32Array(this.stride);
    this.colPp1 = new Int32Array(this.stride);
    for (let l = 1; l <= width; l++) {
      const lm = l === 1 ? 1 : l - 1;
      const lp = l === width ? l - 2 : l - 1;
      this.colM[l] = col(lm);
      this.colMm1[l] = col(lm - 1);
      this.colP[l] = col(lp);
      this.colPp1[l] = col(lp + 1);
    }
  }
}

/** Marks the holes on the grid; returns how many there are. */
function markHoles(g: TeleaGrid, hole: Uint8Array): number {
  const { flags, width, height, stride } = g;
  flags.fill(KNOWN);
  let holes = 0;
  for (let y = 0; y < height; y++) {
    const src = y * width;
    const dst = (y + 1) * stride + 1;
    for (let x = 0; x < width; x++) {
      if (hole[src + x] !== 0) {
        flags[dst + x] = INSIDE;
        holes++;
      }
    }
  }
  return holes;
}

/**
 * The ring for the outward march: known pixels off the frame within `range` (Chebyshev) of a hole,
 * OpenCV's rectangular dilation of the mask. Separable: along rows into `near`, then along columns.
 */
function markRing(g: TeleaGrid, range: number): void {
  const { flags, ring, near, width, height, stride, rows } = g;
  near.fill(0);
  for (let y = 1; y <= height; y++) {
    const row = y * stride;
    let last = -2 * stride;
    for (let x = 0; x < stride; x++) {
      if (flags[row + x] === INSIDE) last = x;
      if (x - last <= range) near[row + x] = 1;
    }
    last = 3 * stride;
    for (let x = stride - 1; x >= 0; x--) {
      if (flags[row + x] === INSIDE) last = x;
      if (last - x <= range) near[row + x] = 1;
    }
  }
  ring.fill(KNOWN);
  for (let x = 1; x <= width; x++) {
    let last = -2 * rows;
    for (let y = 0; y <= height; y++) {
      const p = y * stride + x;
      if (near[p] !== 0) last = y;
      if (y >= 1 && y - last <= range && flags[p] !== INSIDE) ring[p] = INSIDE;
    }
    last = 3 * rows;
    for (let y = rows - 1; y >= 1; y--) {
      const p = y * stride + x;
      if (near[p] !== 0) last = y;
      if (y <= height && last - y <= range && flags[p] !== INSIDE) ring[p] = INSIDE;
    }
  }
}

/**
 * The narrow band: known pixels off the frame with a hole among their four neighbours, in raster
 * order, time 0. Both marches start from it. Returns its size.
 */
function markBand(g: TeleaGrid): number {
  const { flags, ring, t, band, width, height, stride } = g;
  t.fill(T_FAR);
  let count = 0;
  for (let y = 1; y <= height; y++) {
    for (let x = 1; x <= width; x++) {
      const p = y * stride + x;
      if (flags[p] === INSIDE) continue;
      if (flags[p - 1] === INSIDE || flags[p + 1] === INSIDE || flags[p - stride] === INSIDE || flags[p + stride] === INSIDE) {
        t[p] = 0;
        ring[p] = KNOWN;
        band[count++] = p;
      }
    }
  }
  return count;
}

/** Marches outwards through the ring from the band; the ring's times end up negative. */
function marchOutward(g: TeleaGrid, bandSize: number): void {
  const { ring, t, queue, band, stride } = g;
  queue.reset();
  for (let b = 0; b < bandSize; b++) queue.push(band[b] as number, 0);
  for (let p = queue.pop(); p >= 0; p = queue.pop()) {
    ring[p] = CHANGE;
    for (let q = 0; q < 4; q++) {
      const c = q === 0 ? p - stride : q === 1 ? p - 1 : q === 2 ? p + stride : p + 1;
      if (ring[c] !== INSIDE) continue;
      const dist = arrival(ring, t, c, stride);
      t[c] = dist;
      ring[c] = BAND;
      queue.push(c, dist);
    }
  }
  const n = ring.length;
  for (let p = 0; p < n; p++) if (ring[p] === CHANGE) t[p] = -(t[p] as number);
}

/** Marches into the holes from the band, filling each pixel as it is reached. */
function marchInward(g: TeleaGrid, bandSize: number, rgb: Uint8Array, disk: Disk): void {
  const { flags, t, queue, band, stride } = g;
  queue.reset();
  for (let b = 0; b < bandSize; b++) queue.push(band[b] as number, 0);
  for (let p = queue.pop(); p >= 0; p = queue.pop()) {
    flags[p] = KNOWN;
    for (let q = 0; q < 4; q++) {
      const c = q === 0 ? p - stride : q === 1 ? p - 1 : q === 2 ? p + stride : p + 1;
      if (flags[c] !== INSIDE) continue;
      const dist = arrival(flags, t, c, stride);
      t[c] = dist;
      fillPixel(g, rgb, disk, c, dist);
      flags[c] = BAND;
      queue.push(c, dist);
    }
  }
}

/**
 * One hole pixel: the weighted mean of the known pixels in the disk plus the image-gradient term,
 * each weight the product of distance, level-set and direction factors (Telea's w = dst * lev * dir).
 */
function fillPixel(g: TeleaGrid, rgb: Uint8Array, disk: Disk, c: number, tc: number): void {
  const { flags, t, stride, width, height, rowM, rowMm1, rowP, rowPp1, colM, colMm1, colP, colPp1 } = g;
  const i = (c / stride) | 0;
  const j = c - i * stride;

  // Gradient of T at the pixel, one-sided where a neighbour is still a hole.
  const knownR = flags[c + 1] !== INSIDE;
  const knownL = flags[c - 1] !== INSIDE;
  const knownD = flags[c + stride] !== INSIDE;
  const knownU = flags[c - stride] !== INSIDE;
  let gtx = 0;
  if (knownR) gtx = knownL ? fround(fround((t[c + 1] as number) - (t[c - 1] as number)) * 0.5) : fround((t[c + 1] as number) - tc);
  else if (knownL) gtx = fround(tc - (t[c - 1] as number));
  let gty = 0;
  if (knownD) gty = knownU ? fround(fround((t[c + stride] as number) - (t[c - stride] as number)) * 0.5) : fround((t[c + stride] as number) - tc);
  else if (knownU) gty = fround(tc - (t[c - stride] as number));

  const { dk, dl, dst } = disk;
  const offs = dk.length;
  const w3 = width * 3;
  let ia0 = 0;
  let ia1 = 0;
  let ia2 = 0;
  let jx0 = 0;
  let jx1 = 0;
  let jx2 = 0;
  let jy0 = 0;
  let jy1 = 0;
  let jy2 = 0;
  let s = F_TINY;
  for (let o = 0; o < offs; o++) {
    const ry = dk[o] as number;
    const rx = dl[o] as number;
    const k = i + ry;
    const l = j + rx;
    if (k < 1 || l < 1 || k > height || l > width) continue;
    const nb = k * stride + l;
    if (flags[nb] === INSIDE) continue;
    // OpenCV's r points from the neighbour to the pixel.
    const lev = fround(1 / fround(1 + Math.abs(fround((t[nb] as number) - tc))));
    let dir = fround(fround(-rx * gtx) + fround(-ry * gty));
    if (Math.abs(dir) <= 0.01) dir = F_DIR_FLOOR;
    const wt = Math.abs(fround(fround((dst[o] as number) * lev) * dir));

    const rm = rowM[k] as number;
    const cm = colM[l] as number;
    // Image gradient as (rgb[a] - rgb[b]) * factor; factor 2 (sic) where both sides are known.
    let xa = 0;
    let xb = 0;
    let xf = 0;
    if (flags[nb + 1] !== INSIDE) {
      xa = rm + (colPp1[l] as number);
      if (flags[nb - 1] !== INSIDE) {
        xb = rm + (colMm1[l] as number);
        xf = -2 * rx;
      } else {
        xb = rm + cm;
        xf = -rx;
      }
    } else if (flags[nb - 1] !== INSIDE) {
      xa = rm + (colP[l] as number);
      xb = rm + (colMm1[l] as number);
      xf = -rx;
    }
    let ya = 0;
    let yb = 0;
    let yf = 0;
    if (flags[nb + stride] !== INSIDE) {
      ya = (rowPp1[k] as number) + cm;
      if (flags[nb - stride] !== INSIDE) {
        yb = (rowMm1[k] as number) + cm;
        yf = -2 * ry;
      } else {
        yb = rm + cm;
        yf = -ry;
      }
    } else if (flags[nb - stride] !== INSIDE) {
      ya = (rowP[k] as number) + cm;
      yb = (rowMm1[k] as number) + cm;
      yf = -ry;
    }
    const here = (k - 1) * w3 + (l - 1) * 3;
    ia0 = fround(ia0 + fround(wt * (rgb[here] as number)));
    ia1 = fround(ia1 + fround(wt * (rgb[here + 1] as number)));
    ia2 = fround(ia2 + fround(wt * (rgb[here + 2] as number)));
    jx0 = fround(jx0 - fround(wt * (((rgb[xa] as number) - (rgb[xb] as number)) * xf)));
    jx1 = fround(jx1 - fround(wt * (((rgb[xa + 1] as number) - (rgb[xb + 1] as number)) * xf)));
    jx2 = fround(jx2 - fround(wt * (((rgb[xa + 2] as number) - (rgb[xb + 2] as number)) * xf)));
    jy0 = fround(jy0 - fround(wt * (((rgb[ya] as number) - (rgb[yb] as number)) * yf)));
    jy1 = fround(jy1 - fround(wt * (((rgb[ya + 1] as number) - (rgb[yb + 1] as number)) * yf)));
    jy2 = fround(jy2 - fround(wt * (((rgb[ya + 2] as number) - (rgb[yb + 2] as number)) * yf)));
    s = fround(s + wt);
  }
  const at = (i - 1) * w3 + (j - 1) * 3;
  rgb[at] = finish(ia0, jx0, jy0, s);
  rgb[at + 1] = finish(ia1, jx1, jy1, s);
  rgb[at + 2] = finish(ia2, jx2, jy2, s);
}

/**
 * Telea inpainting of an 8-bit HWC RGB image in place, as OpenCV's cv.inpaint(src, mask, dst,
 * radius, INPAINT_TELEA) computes it. `rgb` is read everywhere, hole pixels included (OpenCV's
 * gradient reads a few of them on the image's first and last rows and columns), so pass the same
 * hole values that OpenCV gets; `hole` is nonzero on the pixels to fill.
 */
export function teleaInpaintRgb8(rgb: Uint8Array, hole: Uint8Array, width: number, height: number, radius = 3, grid?: TeleaGrid): void {
  const range = Math.min(100, Math.max(1, roundHalfEven(radius)));
  const g = grid && grid.width === width && grid.height === height ? grid : new TeleaGrid(width, height);
  if (markHoles(g, hole) === 0) return;
  markRing(g, range);
  const bandSize = markBand(g);
  marchOutward(g, bandSize);
  marchInward(g, bandSize, rgb, diskOf(range));
}

/**
 * Weighted mean plus the normalised gradient term, in float; then OpenCV's round_cast adds 0.5 in
 * double and saturate_cast rounds that half to even, so exact integers go up only when odd.
 */
function finish(ia: number, jx: number, jy: number, s: number): number {
  const norm = fround(fround(Math.sqrt(fround(fround(jx * jx) + fround(jy * jy)))) + F_TINY);
  const sat = fround(fround(ia / s) + fround(fround(jx + jy) / norm));
  const v = roundHalfEven(sat + 0.5);
  return v < 0 ? 0 : Math.min(v, 255);
}

/**
 * The same contract as the OpenCV-backed Inpainter: HWC RGB on [0, 1] and a validity mask (1 =
 * known) in, HWC RGB on [0, 1] (byte / 255) out. Known pixels are quantised with Math.round(v * 255),
 * holes start at 0, exactly as the OpenCV path feeds cv.inpaint.
 */
export function teleaFmmInpainter(radius = 3): Inpainter {
  let grid: TeleaGrid | undefined;
  return (image, valid, width, height) => {
    const n = width * height;
    const rgb = new Uint8Array(n * 3);
    const hole = new Uint8Array(n);
    for (let p = 0; p < n; p++) {
      if ((valid[p] as number) >= 0.5) {
        for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round((image[p * 3 + c] as number) * 255);
      } else hole[p] = 1;
    }
    if (!grid || grid.width !== width || grid.height !== height) grid = new TeleaGrid(width, height);
    teleaInpaintRgb8(rgb, hole, width, height, radius, grid);
    const out = new Float32Array(n * 3);
    for (let q = 0; q < n * 3; q++) out[q] = (rgb[q] as number) / 255;
    return out;
  };
}
