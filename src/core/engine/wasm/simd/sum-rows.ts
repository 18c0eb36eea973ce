import { addTo, boundPerMemory, compiledOnce, decrement, F32, get, I32, i32, memarg, moduleBytes, op, s, set, simd, whileNot } from './assembler.js';

/**
 * Per-channel sums in double precision as WebAssembly SIMD on the wasm backend's heap: for `rows`
 * rows (`rowBytes` apart) of which the first `channels` float32 (a multiple of 4) are summed,
 * acc[c] += x[r][c] in order of r, acc being float64 on the heap. `meanRows` divides each element by `divisor` in float32 first (the cpu
 * backend's Mean: RealDiv, then Sum). The same floats in the same order as wasm/reductions.ts'
 * JavaScript loop (f32x4.div is float32 division correctly rounded, as Math.fround of a double
 * quotient of two float32 is; f64x2.add is double addition), so results stay bitwise the cpu
 * backend's; ~10x the JavaScript loop's speed on a SharedArrayBuffer heap.
 *
 *   sumRows(x, acc, rows, channels, rowBytes)   meanRows(x, acc, rows, channels, rowBytes, divisor: f32)
 */
export type SumRows = (x: number, acc: number, rows: number, channels: number, rowBytes: number, divisor?: number) => void;

const P = { x: 0, acc: 1, rows: 2, channels: 3, rowBytes: 4, divisor: 5 };

function rowsFunction(divide: boolean) {
  const L = divide ? { c: 6, a: 7, v: 8, d: 9 } : { c: 5, a: 6, v: 7, d: 8 };
  const promoteLow = [0x5f]; // f64x2.promote_low_f32x4
  const f64x2Add = [0xf0, 0x01];
  // i8x16.shuffle moving floats 2 and 3 of a vector to lanes 0 and 1.
  const highToLow = [0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
  const addInto = (offset: number, half: number[]) => [
    ...get(L.a),
    ...get(L.a),
    ...s(simd.load),
    ...memarg(offset),
    ...half,
    ...s(f64x2Add),
    ...s(simd.store),
    ...memarg(offset),
  ];
  const code = [
    ...(divide ? [...get(P.divisor), ...s(simd.f32x4Splat), ...set(L.d)] : []),
    ...whileNot(
      [...get(P.rows), op.i32Eqz], // over rows
      [
        ...i32(0),
        ...set(L.c),
        ...get(P.acc),
        ...set(L.a),
        ...whileNot(
          [...get(L.c), ...get(P.channels), op.i32GeU], // over vectors of 4 channels
          [
            ...get(P.x),
            ...get(L.c),
            ...i32(4),
            op.i32Mul,
            op.i32Add,
            ...s(simd.load),
            ...memarg(0),
            ...(divide ? [...get(L.d), ...s(simd.f32x4Div)] : []),
            ...set(L.v),
            ...addInto(0, [...get(L.v), ...s(promoteLow)]),
            ...addInto(16, [...get(L.v), ...get(L.v), ...s(highToLow), ...s(promoteLow)]),
            ...addTo(L.c, i32(4)),
            ...addTo(L.a, i32(32)),
          ],
        ),
        ...addTo(P.x, get(P.rowBytes)),
        ...decrement(P.rows),
      ],
    ),
  ];
  return {
    name: divide ? 'meanRows' : 'sumRows',
    params: divide ? [I32, I32, I32, I32, I32, F32] : [I32, I32, I32, I32, I32],
    // c and a (i32), then v and, for Mean, the divisor splat (v128).
    locals: divide ? [I32, I32, 0x7b, 0x7b] : [I32, I32, 0x7b],
    code,
  };
}

/** The module's bytes; `shared` must match the imported memory. */
export function sumRowsModuleBytes(shared: boolean): Uint8Array {
  return moduleBytes([rowsFunction(false), rowsFunction(true)], shared);
}

/** sumRows and meanRows bound to `memory`, or null where this engine has no wasm SIMD. Compiled once, instantiated once per memory. */
export const sumRowsFor = boundPerMemory(compiledOnce(sumRowsModuleBytes), (exports) => ({
  sum: exports.sumRows as SumRows,
  mean: exports.meanRows as SumRows,
}));
