import {
  addTo,
  compile,
  decrement,
  get,
  I32,
  i32,
  instantiate,
  memarg,
  moduleBytes,
  op,
  s,
  set,
  simd,
  V128,
  type WasmFunction,
  type WasmMemory,
  wasmApi,
  whileNot,
} from '../engine/wasm/simd/assembler.js';

/**
 * SSIM with skimage's Gaussian setting, computed with a separable 11-tap filter on typed arrays.
 *
 * Why not ssim.js here: it matches skimage but filters with a full 2-D window on plain arrays and
 * takes about 1.4 s per 512x512 RGB image on this machine (docs/benchmark-history.md), more than the model's
 * inference. This is the same arithmetic (skimage's `valid` region: with an 11x11 window the
 * 5-px border skimage crops is exactly what a valid filter leaves out).
 * Tests check it against values computed with scikit-image and against ssim.js.
 *
 * Why it is organised in rows: evaluation scores 12,000 pairs at 512x512 per model, and the
 * metrics must cost less than the inpainting they score. Each input row is turned once into its
 * five statistics (x, y, x², y², xy, in float64), kept in a ring of the last 11 rows; each output
 * row is then the vertical filter of those 11 rows followed by the horizontal filter and the SSIM
 * formula, so nothing larger than a few rows is ever written. All channels go through together
 * (the horizontal taps step over the interleaved channels), and both filters add the symmetric
 * taps first (k[i] = k[10 - i]): 6 multiplications instead of 11.
 *
 * The row work runs as WebAssembly SIMD (two float64 lanes) where the engine has it, otherwise as
 * the JavaScript below. Both do the same float64 operations in the same order (lanes are
 * independent, no fused multiply-add), so the result is bitwise the same either way; the tests
 * check that.
 */
const SIGMA = 1.5;
const RADIUS = 5; // int(truncate 3.5 * sigma 1.5 + 0.5), as skimage/scipy
const TAPS = 2 * RADIUS + 1;
const C1 = 0.01 ** 2;
const C2 = 0.03 ** 2;
const STATS = 5; // x, y, x², y², xy

const KERNEL = (() => {
  const k = new Float64Array(TAPS);
  let sum = 0;
  for (let i = -RADIUS; i <= RADIUS; i++) {
    k[i + RADIUS] = Math.exp(-(i * i) / (2 * SIGMA * SIGMA));
    sum += k[i + RADIUS] as number;
  }
  for (let i = 0; i < k.length; i++) k[i] = (k[i] as number) / sum;
  return k;
})();
const [K0, K1, K2, K3, K4, K5] = KERNEL as unknown as [number, number, number, number, number, number];

/**
 * The per-row steps, for an image `width` px wide with `channels` interleaved channels. Ring slots
 * hold the statistics of one input row each; `filterRow` reads the 11 slots `first`, first + 1,
 * ... (mod 11) and returns the SSIM of each of the (width - 10) * channels outputs of that row.
 */
interface RowSteps {
  fill(a: Float32Array, b: Float32Array, y: number, slot: number): void;
  filterRow(first: number): Float64Array;
}

/** Mean SSIM over channels of two HWC images on [0, 1] (data_range 1). */
export function ssimSeparable(a: Float32Array, b: Float32Array, width: number, height: number, channels = 3): number {
  checkSizes(a, b, width, height, channels);
  return ssimWith(wasmRowSteps(width, channels) ?? jsRowSteps(width, channels), a, b, width, height, channels);
}

/** The JavaScript steps only: the fallback, and what the tests compare the WebAssembly steps with. */
export function ssimSeparableJs(a: Float32Array, b: Float32Array, width: number, height: number, channels = 3): number {
  checkSizes(a, b, width, height, channels);
  return ssimWith(jsRowSteps(width, channels), a, b, width, height, channels);
}

function checkSizes(a: Float32Array, b: Float32Array, width: number, height: number, channels: number): void {
  if (width <= 2 * RADIUS || height <= 2 * RADIUS) throw new RangeError(`SSIM needs images of at least 11x11 px (the Gaussian window), not ${width}x${height}`);
  if (a.length !== width * height * channels || b.length !== a.length)
    throw new RangeError(`SSIM: ${a.length} and ${b.length} values for ${width}x${height}x${channels}`);
}

function ssimWith(steps: RowSteps, a: Float32Array, b: Float32Array, width: number, height: number, channels: number): number {
  const ow = width - 2 * RADIUS;
  const oh = height - 2 * RADIUS;
  const outputs = ow * channels;
  for (let y = 0; y < TAPS - 1; y++) steps.fill(a, b, y, y);
  let total = 0;
  for (let oy = 0; oy < oh; oy++) {
    steps.fill(a, b, oy + TAPS - 1, (oy + TAPS - 1) % TAPS);
    const map = steps.filterRow(oy % TAPS);
    // Per-row sums keep the grand total's rounding error small.
    let rowSum = 0;
    for (let i = 0; i < outputs; i++) rowSum += map[i] as number;
    total += rowSum;
  }
  // Every channel has ow * oh outputs, so this is the mean over channels of per-channel means.
  return total / (ow * oh * channels);
}

/** Symmetric 11-tap filter of v at i, i + step, ..., i + 10 step: the order the WebAssembly follows. */
function symmetric(v: Float64Array, i: number, step: number): number {
  return (
    K0 * ((v[i] as number) + (v[i + 10 * step] as number)) +
    K1 * ((v[i + step] as number) + (v[i + 9 * step] as number)) +
    K2 * ((v[i + 2 * step] as number) + (v[i + 8 * step] as number)) +
    K3 * ((v[i + 3 * step] as number) + (v[i + 7 * step] as number)) +
    K4 * ((v[i + 4 * step] as number) + (v[i + 6 * step] as number)) +
    K5 * (v[i + 5 * step] as number)
  );
}

/** SSIM of one output from its five filtered statistics (skimage's formula, in this order). */
function ssimOf(ux: number, uy: number, sxx: number, syy: number, sxy: number): number {
  const uxuy = ux * uy;
  const ux2 = ux * ux;
  const uy2 = uy * uy;
  return ((2 * uxuy + C1) * (2 * (sxy - uxuy) + C2)) / ((ux2 + uy2 + C1) * (sxx - ux2 + (syy - uy2) + C2));
}

/** The steps in JavaScript: the ring as one float64 plane per slot and statistic. */
function jsRowSteps(width: number, channels: number): RowSteps {
  const n = width * channels;
  const outputs = (width - 2 * RADIUS) * channels;
  // ring[(slot * STATS + stat) * n + i]; the vertical pass is laid out the same way without slots.
  const ring = new Float64Array(TAPS * STATS * n);
  const vertical = new Float64Array(STATS * n);
  const map = new Float64Array(outputs);
  return {
    fill(a, b, y, slot) {
      const src = y * n;
      const dst = slot * STATS * n;
      for (let i = 0; i < n; i++) {
        const u = a[src + i] as number;
        const v = b[src + i] as number;
        ring[dst + i] = u;
        ring[dst + n + i] = v;
        ring[dst + 2 * n + i] = u * u;
        ring[dst + 3 * n + i] = v * v;
        ring[dst + 4 * n + i] = u * v;
      }
    },
    filterRow(first) {
      const slot = (k: number) => ((first + k) % TAPS) * STATS * n;
      const [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10] = Array.from({ length: TAPS }, (_, k) => slot(k)) as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      const at = (i: number) => ring[i] as number;
      for (let j = 0; j < STATS * n; j++) {
        // j runs over the five statistics' planes, which follow each other in a slot as here.
        vertical[j] =
          K0 * (at(r0 + j) + at(r10 + j)) +
          K1 * (at(r1 + j) + at(r9 + j)) +
          K2 * (at(r2 + j) + at(r8 + j)) +
          K3 * (at(r3 + j) + at(r7 + j)) +
          K4 * (at(r4 + j) + at(r6 + j)) +
          K5 * at(r5 + j);
      }
      const v = vertical;
      for (let i = 0; i < outputs; i++) {
        map[i] = ssimOf(
          symmetric(v, i, channels),
          symmetric(v, n + i, channels),
          symmetric(v, 2 * n + i, channels),
          symmetric(v, 3 * n + i, channels),
          symmetric(v, 4 * n + i, channels),
        );
      }
      return map;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// WebAssembly SIMD steps. Every loop handles two neighbouring values (one f64x2) per turn, so
// buffers are padded to whole pairs plus one: the last turn's second lane may read one value
// past the row and writes a result nobody reads.

function f64Bytes(value: number): number[] {
  return [...new Uint8Array(new Float64Array([value]).buffer)];
}
const splat = (value: number) => [op.f64Const, ...f64Bytes(value), ...s(simd.f64x2Splat)];
const load = (pointer: number, offset: number) => [...get(pointer), ...s(simd.load), ...memarg(offset)];

/** Code pushing the symmetric filter of 11 vectors; `tap(k)` pushes the k-th, `k` the kernel locals. */
function symmetricCode(tap: (k: number) => number[], k: readonly number[]): number[] {
  const pair = (i: number) => [...tap(i), ...tap(TAPS - 1 - i), ...s(simd.f64x2Add), ...get(k[i] as number), ...s(simd.f64x2Mul)];
  return [
    ...pair(0),
    ...[1, 2, 3, 4].flatMap((i) => [...pair(i), ...s(simd.f64x2Add)]),
    ...tap(RADIUS),
    ...get(k[RADIUS] as number),
    ...s(simd.f64x2Mul),
    ...s(simd.f64x2Add),
  ];
}

/** Sets v128 locals `kernel` (6 of them) to the splatted kernel halves. */
const kernelLocals = (kernel: readonly number[]) => kernel.flatMap((local, i) => [...splat(KERNEL[i] as number), ...set(local)]);

/**
 * fill(dst, a, b, pairs): float32 pairs of a and b (input rows) to their five float64 statistics,
 * stored per pair as [x x | y y | x² x² | y² y² | xy xy] (80 bytes) at dst.
 */
function fillFunction(): WasmFunction {
  const P = { dst: 0, a: 1, b: 2, pairs: 3 };
  const L = { u: 4, v: 5 };
  const store = (offset: number, value: number[]) => [...get(P.dst), ...value, ...s(simd.store), ...memarg(offset)];
  const mul = (x: number, y: number) => [...get(x), ...get(y), ...s(simd.f64x2Mul)];
  const promoted = (pointer: number) => [...get(pointer), ...s(simd.load64Zero), ...memarg(0), ...s(simd.f64x2PromoteLowF32x4)];
  return {
    name: 'fill',
    params: [I32, I32, I32, I32],
    locals: [V128, V128],
    code: whileNot(
      [...get(P.pairs), op.i32Eqz],
      [
        ...promoted(P.a),
        ...set(L.u),
        ...promoted(P.b),
        ...set(L.v),
        ...store(0, get(L.u)),
        ...store(16, get(L.v)),
        ...store(32, mul(L.u, L.u)),
        ...store(48, mul(L.v, L.v)),
        ...store(64, mul(L.u, L.v)),
        ...addTo(P.a, i32(8)),
        ...addTo(P.b, i32(8)),
        ...addTo(P.dst, i32(80)),
        ...decrement(P.pairs),
      ],
    ),
  };
}

/**
 * vertical(row0, ..., row10, x, y, xx, yy, xy, pairs): the vertical filter of 11 filled rows
 * into five float64 planes.
 */
function verticalFunction(): WasmFunction {
  const rows = Array.from({ length: TAPS }, (_, k) => k);
  const outs = Array.from({ length: STATS }, (_, stat) => TAPS + stat);
  const pairs = TAPS + STATS;
  const kernel = Array.from({ length: RADIUS + 1 }, (_, i) => pairs + 1 + i);
  const offset = pairs + 1 + RADIUS + 1; // bytes into the filled rows
  const out = offset + 1; // bytes into the planes
  const address = (base: number, at: number) => [...get(base), ...get(at), op.i32Add];
  const tap = (stat: number) => (k: number) => [...address(rows[k] as number, offset), ...s(simd.load), ...memarg(16 * stat)];
  return {
    name: 'vertical',
    params: [...rows.map(() => I32), ...outs.map(() => I32), I32],
    locals: [...kernel.map(() => V128), I32, I32],
    code: [
      ...kernelLocals(kernel),
      ...whileNot(
        [...get(pairs), op.i32Eqz],
        [
          ...outs.flatMap((plane, stat) => [...address(plane, out), ...symmetricCode(tap(stat), kernel), ...s(simd.store), ...memarg(0)]),
          ...addTo(offset, i32(80)),
          ...addTo(out, i32(16)),
          ...decrement(pairs),
        ],
      ),
    ],
  };
}

/**
 * horizontal(x, y, xx, yy, xy, map, pairs): the horizontal filter of the five planes (taps
 * `channels` values apart) and the SSIM formula, into map.
 */
function horizontalFunction(channels: number): WasmFunction {
  const planes = [0, 1, 2, 3, 4];
  const P = { map: 5, pairs: 6 };
  const kernel = [7, 8, 9, 10, 11, 12];
  const L = { c1: 13, c2: 14, two: 15, ux: 16, uy: 17, sxx: 18, syy: 19, sxy: 20, uxuy: 21, ux2: 22, uy2: 23 };
  const filtered = [L.ux, L.uy, L.sxx, L.syy, L.sxy];
  const v = (local: number) => get(local);
  const add = s(simd.f64x2Add);
  const sub = s(simd.f64x2Sub);
  const mul = s(simd.f64x2Mul);
  // ((2 uxuy + C1) (2 (sxy - uxuy) + C2)) / ((ux² + uy² + C1) ((sxx - ux²) + (syy - uy²) + C2)), as ssimOf.
  const numerator = [...v(L.two), ...v(L.uxuy), ...mul, ...v(L.c1), ...add, ...v(L.two), ...v(L.sxy), ...v(L.uxuy), ...sub, ...mul, ...v(L.c2), ...add, ...mul];
  const denominator = [
    ...v(L.ux2),
    ...v(L.uy2),
    ...add,
    ...v(L.c1),
    ...add,
    ...v(L.sxx),
    ...v(L.ux2),
    ...sub,
    ...v(L.syy),
    ...v(L.uy2),
    ...sub,
    ...add,
    ...v(L.c2),
    ...add,
    ...mul,
  ];
  return {
    name: 'horizontal',
    params: [...planes.map(() => I32), I32, I32],
    locals: [...kernel.map(() => V128), ...Object.values(L).map(() => V128)],
    code: [
      ...kernelLocals(kernel),
      ...splat(C1),
      ...set(L.c1),
      ...splat(C2),
      ...set(L.c2),
      ...splat(2),
      ...set(L.two),
      ...whileNot(
        [...get(P.pairs), op.i32Eqz],
        [
          ...planes.flatMap((plane) => [...symmetricCode((k) => load(plane, 8 * channels * k), kernel), ...set(filtered[plane] as number)]),
          ...v(L.ux),
          ...v(L.uy),
          ...mul,
          ...set(L.uxuy),
          ...v(L.ux),
          ...v(L.ux),
          ...mul,
          ...set(L.ux2),
          ...v(L.uy),
          ...v(L.uy),
          ...mul,
          ...set(L.uy2),
          ...get(P.map),
          ...numerator,
          ...denominator,
          ...s(simd.f64x2Div),
          ...s(simd.store),
          ...memarg(0),
          ...[...planes, P.map].flatMap((pointer) => addTo(pointer, i32(16))),
          ...decrement(P.pairs),
        ],
      ),
    ],
  };
}

type Fill = (dst: number, a: number, b: number, pairs: number) => void;
type Vertical = (...pointersAndPairs: number[]) => void;
type Horizontal = (x: number, y: number, xx: number, yy: number, xy: number, map: number, pairs: number) => void;
interface SsimModule {
  readonly fill: Fill;
  readonly vertical: Vertical;
  readonly horizontal: Horizontal;
  readonly memory: WasmMemory & { grow(pages: number): number };
}

const PAGE = 65536;
const modules = new Map<number, SsimModule | null>();

/** The module for `channels` (the horizontal taps' spacing is built in), with its own memory; null without wasm SIMD. */
function ssimModule(channels: number): SsimModule | null {
  if (!modules.has(channels)) {
    const compiled = compile(moduleBytes([fillFunction(), verticalFunction(), horizontalFunction(channels)], false));
    let bound: SsimModule | null = null;
    if (compiled) {
      const Memory = wasmApi.Memory as unknown as new (descriptor: { initial: number }) => SsimModule['memory'];
      const memory = new Memory({ initial: 1 });
      const exports = instantiate(compiled, memory);
      bound = { fill: exports.fill as Fill, vertical: exports.vertical as Vertical, horizontal: exports.horizontal as Horizontal, memory };
    }
    modules.set(channels, bound);
  }
  return modules.get(channels) ?? null;
}

/** The steps as WebAssembly on the module's memory, or null where the engine has no wasm SIMD. */
function wasmRowSteps(width: number, channels: number): RowSteps | null {
  const module = ssimModule(channels);
  if (!module) return null;
  const n = width * channels;
  const pairs = Math.ceil(n / 2);
  const outputPairs = Math.ceil(((width - 2 * RADIUS) * channels) / 2);
  const padded = 2 * pairs + 2; // values per float64 plane: whole pairs, plus what the last horizontal lane reads
  // Layout (bytes): two float32 staging rows, the ring (80 bytes per pair per slot), five planes, the map.
  const stageA = 0;
  const stageB = stageA + 4 * padded;
  const ring = stageB + 4 * padded;
  const slotBytes = 80 * pairs;
  const planes = Array.from({ length: STATS }, (_, stat) => ring + TAPS * slotBytes + stat * 8 * padded);
  const map = ring + TAPS * slotBytes + STATS * 8 * padded;
  const bytes = map + 8 * padded;
  const { memory } = module;
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  const heap = memory.buffer as ArrayBuffer;
  const f32 = new Float32Array(heap);
  const mapView = new Float64Array(heap, map, (width - 2 * RADIUS) * channels);
  const verticalArgs = new Array<number>(TAPS + STATS + 1);
  return {
    fill(a, b, y, slot) {
      f32.set(a.subarray(y * n, (y + 1) * n), stageA / 4);
      f32.set(b.subarray(y * n, (y + 1) * n), stageB / 4);
      module.fill(ring + slot * slotBytes, stageA, stageB, pairs);
    },
    filterRow(first) {
      for (let k = 0; k < TAPS; k++) verticalArgs[k] = ring + ((first + k) % TAPS) * slotBytes;
      for (let stat = 0; stat < STATS; stat++) verticalArgs[TAPS + stat] = planes[stat] as number;
      verticalArgs[TAPS + STATS] = pairs;
      module.vertical(...verticalArgs);
      const [x, y, xx, yy, xy] = planes as [number, number, number, number, number];
      module.horizontal(x, y, xx, yy, xy, map, outputPairs);
      return mapView;
    },
  };
}
