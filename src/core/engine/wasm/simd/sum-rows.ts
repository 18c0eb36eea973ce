import { addTo, boundPerMemory, compiledOnce, decrement, F32, get, I32, i32, memarg, moduleBytes, op, s, set, simd, V128, whileNot } from './assembler.js';

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
 *
 * In WAT (meanRows; sumRows is the same without $divisor, $d and the f32x4.div; every load and
 * store align=4; $c counts channels, $a walks acc 32 bytes, 4 doubles, per 4 channels):
 *
 *   (func (export "meanRows") (param $x $acc $rows $channels $rowBytes i32) (param $divisor f32)
 *         (local $c $a i32) (local $v $d v128)
 *     local.get $divisor  f32x4.splat  local.set $d
 *     block $done  loop $row
 *       local.get $rows  i32.eqz  br_if $done
 *       i32.const 0  local.set $c
 *       local.get $acc  local.set $a
 *       block $rowDone  loop $vector
 *         local.get $c  local.get $channels  i32.ge_u  br_if $rowDone
 *         (local.set $v (f32x4.div (v128.load (i32.add $x (i32.mul $c (i32.const 4)))) $d))
 *         (v128.store offset=0 $a (f64x2.add (v128.load offset=0 $a) (f64x2.promote_low_f32x4 $v)))
 *         (v128.store offset=16 $a (f64x2.add (v128.load offset=16 $a)
 *           (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 $v $v))))
 *         local.get $c  i32.const 4  i32.add  local.set $c
 *         local.get $a  i32.const 32  i32.add  local.set $a
 *         br $vector
 *       end end
 *       local.get $x  local.get $rowBytes  i32.add  local.set $x
 *       local.get $rows  i32.const 1  i32.sub  local.set $rows
 *       br $row
 *     end end)
 */
export type SumRows = (x: number, acc: number, rows: number, channels: number, rowBytes: number, divisor?: number) => void;

const P = { x: 0, acc: 1, rows: 2, channels: 3, rowBytes: 4, divisor: 5 };

function rowsFunction(divide: boolean) {
  const L = divide ? { c: 6, a: 7, v: 8, d: 9 } : { c: 5, a: 6, v: 7, d: 8 };
  const promoteLow = simd.f64x2PromoteLowF32x4;
  // Moves floats 2 and 3 of a vector (bytes 8..15) to lanes 0 and 1.
  const highToLow = [...simd.i8x16Shuffle, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
  const addInto = (offset: number, half: number[]) => [
    ...get(L.a),
    ...get(L.a),
    ...s(simd.load),
    ...memarg(offset),
    ...half,
    ...s(simd.f64x2Add),
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
    locals: divide ? [I32, I32, V128, V128] : [I32, I32, V128],
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
