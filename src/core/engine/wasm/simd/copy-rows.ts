import { addTo, boundPerMemory, compiledOnce, decrement, get, I32, i32, memarg, moduleBytes, op, s, set, simd, whileNot } from './assembler.js';

/**
 * Strided copies on tfjs-backend-wasm's heap: `rows` runs of `rowBytes` bytes, the next run
 * `srcStride` / `dstStride` bytes further on (a source stride of 0 repeats one run); source and
 * destination must not overlap. Our copy kernels (slice, split, concat, tile, depth-to-space) are
 * made of such runs, evenly spaced along one axis.
 *
 * Why wasm: the threaded build's heap is a SharedArrayBuffer, where TypedArray.set of a short
 * subarray costs ~80 ns per call plus a copy at ~0.7 floats/ns (V8 copies shared memory word by
 * word, and each run needs a new view); this loop copies 16 bytes per load/store, one call for all
 * the runs along an axis (docs/profile-wasm.md, "Fifth round").
 *
 * In WAT ($i, $d, $r: the i32 locals; $d and $r walk the rows' starts):
 *
 *   (func (export "copyRows") (param $dst $src $rowBytes $rows $dstStride $srcStride i32) (local $i $d $r i32)
 *     local.get $dst  local.set $d  local.get $src  local.set $r
 *     block $done  loop $row
 *       local.get $rows  i32.eqz  br_if $done
 *       i32.const 0  local.set $i
 *       ;; 16-byte vectors, then 4-byte words, then bytes: the same loop three times
 *       block $end16  loop $next16
 *         (i32.gt_u (i32.add $i (i32.const 16)) $rowBytes)  br_if $end16
 *         (v128.store align=4 (i32.add $d $i) (v128.load align=4 (i32.add $r $i)))
 *         local.get $i  i32.const 16  i32.add  local.set $i
 *         br $next16
 *       end end
 *       ;; ... width 4: i32.load / i32.store align=4; width 1: i32.load8_u / i32.store8 align=1
 *       local.get $d  local.get $dstStride  i32.add  local.set $d
 *       local.get $r  local.get $srcStride  i32.add  local.set $r
 *       local.get $rows  i32.const 1  i32.sub  local.set $rows
 *       br $row
 *     end end)
 */
export type CopyRows = (dst: number, src: number, rowBytes: number, rows: number, dstStride: number, srcStride: number) => void;

const P = { dst: 0, src: 1, rowBytes: 2, rows: 3, dstStride: 4, srcStride: 5 };
const L = { i: 6, d: 7, r: 8 };

/** copyRows(dst, src, rowBytes, rows, dstStride, srcStride): 16-byte vectors, then 4-byte words, then bytes. */
function copyRowsCode(): number[] {
  const addr = (base: number) => [...get(base), ...get(L.i), op.i32Add];
  // while (i + width <= rowBytes) { store(dst + i, load(src + i)); i += width }
  const chunks = (width: number, load: number[], store: number[]) =>
    whileNot(
      [...get(L.i), ...i32(width), op.i32Add, ...get(P.rowBytes), op.i32GtU],
      [...addr(L.d), ...addr(L.r), ...load, ...store, ...addTo(L.i, i32(width))],
    );
  return [
    // d = dst, r = src (as row starts)
    ...get(P.dst),
    ...set(L.d),
    ...get(P.src),
    ...set(L.r),
    ...whileNot(
      [...get(P.rows), op.i32Eqz],
      [
        ...i32(0),
        ...set(L.i),
        ...chunks(16, [...s(simd.load), ...memarg(0)], [...s(simd.store), ...memarg(0)]),
        ...chunks(4, [op.i32Load, ...memarg(0)], [op.i32Store, ...memarg(0)]),
        ...chunks(1, [op.i32Load8U, ...memarg(0, 0)], [op.i32Store8, ...memarg(0, 0)]),
        ...addTo(L.d, get(P.dstStride)),
        ...addTo(L.r, get(P.srcStride)),
        ...decrement(P.rows),
      ],
    ),
  ];
}

/** The module's bytes; `shared` must match the imported memory. */
export function copyRowsModuleBytes(shared: boolean): Uint8Array {
  return moduleBytes([{ name: 'copyRows', params: new Array<number>(6).fill(I32), locals: [I32, I32, I32], code: copyRowsCode() }], shared);
}

/** copyRows bound to `memory`, or null where this engine has no wasm SIMD. Compiled once, instantiated once per memory. */
export const copyRowsFor = boundPerMemory(compiledOnce(copyRowsModuleBytes), (exports) => exports.copyRows as CopyRows);

/** The same copy in JavaScript (non-overlapping ranges), for engines without wasm SIMD and as the tests' reference. */
export function copyRowsInJs(heap: Uint8Array): CopyRows {
  return (dst, src, rowBytes, rows, dstStride, srcStride) => {
    for (let r = 0; r < rows; r++) heap.copyWithin(dst + r * dstStride, src + r * srcStride, src + r * srcStride + rowBytes);
  };
}
