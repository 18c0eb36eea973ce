import { addTo, boundPerMemory, compiledOnce, decrement, get, I32, i32, memarg, moduleBytes, op, s, set, simd, whileNot } from './assembler.js';

/**
 * One row of the nearest-upsampling gradient as WebAssembly SIMD on the wasm backend's heap: for
 * each of `cols` dy pixels in turn, out[table[k]] += dy pixel k, `pixelBytes` bytes (a multiple of
 * 16) per pixel, table[k] a byte offset from `out` (int32 on the heap). Float32 adds in the order
 * of the JavaScript loop in shared/resize-nearest-neighbor-grad.ts, so the same bits (an f32x4.add is a
 * correctly rounded float32 add, as Math.fround of a double sum of two float32 is).
 *
 *   scatterAddRow(out, dy, table, cols, pixelBytes)
 *
 * In WAT (every load and store align=4):
 *
 *   (func (export "scatterAddRow") (param $out $dy $table $cols $pixelBytes i32) (local $to $c i32)
 *     block $done  loop $pixel
 *       local.get $cols  i32.eqz  br_if $done
 *       (local.set $to (i32.add $out (i32.load $table)))
 *       i32.const 0  local.set $c
 *       block $pixelDone  loop $vector
 *         local.get $c  local.get $pixelBytes  i32.ge_u  br_if $pixelDone
 *         (v128.store (i32.add $to $c) (f32x4.add (v128.load (i32.add $to $c)) (v128.load (i32.add $dy $c))))
 *         local.get $c  i32.const 16  i32.add  local.set $c
 *         br $vector
 *       end end
 *       local.get $dy  local.get $pixelBytes  i32.add  local.set $dy
 *       local.get $table  i32.const 4  i32.add  local.set $table
 *       local.get $cols  i32.const 1  i32.sub  local.set $cols
 *       br $pixel
 *     end end)
 */
export type ScatterAddRow = (out: number, dy: number, table: number, cols: number, pixelBytes: number) => void;

const P = { out: 0, dy: 1, table: 2, cols: 3, pixelBytes: 4 };
const L = { to: 5, c: 6 };

function code(): number[] {
  const at = (base: number) => [...get(base), ...get(L.c), op.i32Add];
  return whileNot(
    [...get(P.cols), op.i32Eqz], // over dy pixels
    [
      // to = out + table[k]
      ...get(P.out),
      ...get(P.table),
      op.i32Load,
      ...memarg(0),
      op.i32Add,
      ...set(L.to),
      ...i32(0),
      ...set(L.c),
      ...whileNot(
        [...get(L.c), ...get(P.pixelBytes), op.i32GeU], // over the pixel's vectors
        [
          ...at(L.to),
          ...at(L.to),
          ...s(simd.load),
          ...memarg(0),
          ...at(P.dy),
          ...s(simd.load),
          ...memarg(0),
          ...s(simd.f32x4Add),
          ...s(simd.store),
          ...memarg(0),
          ...addTo(L.c, i32(16)),
        ],
      ),
      ...addTo(P.dy, get(P.pixelBytes)),
      ...addTo(P.table, i32(4)),
      ...decrement(P.cols),
    ],
  );
}

/** The module's bytes; `shared` must match the imported memory. */
export function scatterAddModuleBytes(shared: boolean): Uint8Array {
  return moduleBytes([{ name: 'scatterAddRow', params: new Array<number>(5).fill(I32), locals: [I32, I32], code: code() }], shared);
}

/** scatterAddRow bound to `memory`, or null where this engine has no wasm SIMD. Compiled once, instantiated once per memory. */
export const scatterAddRowFor = boundPerMemory(compiledOnce(scatterAddModuleBytes), (exports) => exports.scatterAddRow as ScatterAddRow);
