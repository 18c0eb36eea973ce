import { addTo, boundPerMemory, compiledOnce, decremented, doWhile, get, I32, i32, memarg, moduleBytes, op, s, set, simd, V128 } from './assembler.js';

/**
 * The inner loop of a convolution's filter gradient (tfjs' kernel Conv2DBackpropFilter, registered
 * by wasm/conv2d-backprop-filter.ts) as WebAssembly SIMD, on tfjs-backend-wasm's heap, reading x
 * and dy where they lie (NHWC, no transpose, no padding copy):
 *
 *   dW[tap][c][o] += sum over k of x_k[c] * dy_k[o]
 *
 * for one filter tap (ky, kx) over a block of k = rows x cols output positions whose input pixels
 * lie inside x (the caller cuts the ranges). XNNPACK's convolution form of this gradient ran at
 * 21-24 GFLOP/s per core here against ~30 for forward convolutions (docs/profile-wasm.md): it sees
 * the batch as 4-float channel runs. Here each step of k is an outer product of a few input
 * channels (each splat from memory) with 4 or 8 output channels (one or two vectors of dy), into
 * accumulators that stay in registers for the whole block.
 *
 * Exported functions `fg{cb}x{ov}` for cb = 1..4 input channels and ov = 1..2 vectors of 4 output
 * channels per tile, all with the same parameters (byte addresses and byte steps):
 *
 *   (x, dy, out, rows, cols, xColStep, xRowStep, dyRowStep, outRow, cBegin, cEnd, oBegin, oEnd)
 *
 * - x: the input pixel of the block's first k at channel 0; the next k is x + xColStep, the next
 *   row's first k is (that row's first) + xRowStep.
 * - dy: the output gradient at the block's first k, channel 0; the next k is dy + outRow (a pixel
 *   of dy holds O floats, as a row of the tap's [C, O] gradient does), the next row + dyRowStep.
 * - out: the tap's gradient [C, O] (row stride outRow), accumulated into.
 * - channels [cBegin, cEnd) of x and [oBegin, oEnd) of dy, as byte offsets within a pixel, in
 *   whole tiles (cEnd - cBegin a multiple of 4 * cb, oEnd - oBegin of 16 * ov, neither empty);
 *   rows and cols at least 1.
 *
 * Floats are multiplied then added (f32x4.mul, f32x4.add: no fused multiply-add in wasm SIMD),
 * summed in order of k.
 *
 * In WAT, fg1x1 (one input channel, one vector of 4 output channels; the others repeat the marked
 * lines per input channel i (x splat from offset 4i, accumulator rows outRow apart) and per output
 * vector j (offset 16j), all accumulators in locals; every v128 load and store align=4):
 *
 *   (func (export "fg1x1") (param $x $dy $out $rows $cols $xColStep $xRowStep $dyRowStep $outRow
 *                                 $cBegin $cEnd $oBegin $oEnd i32)
 *         (local $c $o $outC $p $xr $dr $xp $dp $r $k i32) (local $acc $dyv $splat v128)
 *     (local.set $outC (i32.add $out (i32.mul (i32.shr_u $cBegin (i32.const 2)) $outRow)))
 *     local.get $cBegin  local.set $c
 *     loop $channelTiles
 *       local.get $oBegin  local.set $o
 *       loop $outputTiles
 *         (local.set $p (i32.add $outC $o))  (local.set $acc (v128.load $p))           ;; per i, j
 *         (local.set $xr (i32.add $x $c))  (local.set $dr (i32.add $dy $o))
 *         local.get $rows  local.set $r
 *         loop $blockRows
 *           local.get $xr  local.set $xp  local.get $dr  local.set $dp
 *           local.get $cols  local.set $k
 *           loop $rowPositions
 *             (local.set $dyv (v128.load $dp))                                         ;; per j
 *             (local.set $splat (v128.load32_splat $xp))                               ;; per i
 *             (local.set $acc (f32x4.add $acc (f32x4.mul $splat $dyv)))                ;; per i, j
 *             local.get $xp  local.get $xColStep  i32.add  local.set $xp
 *             local.get $dp  local.get $outRow  i32.add  local.set $dp
 *             local.get $k  i32.const 1  i32.sub  local.tee $k  br_if $rowPositions
 *           end
 *           local.get $xr  local.get $xRowStep  i32.add  local.set $xr
 *           local.get $dr  local.get $dyRowStep  i32.add  local.set $dr
 *           local.get $r  i32.const 1  i32.sub  local.tee $r  br_if $blockRows
 *         end
 *         (local.set $p (i32.add $outC $o))  (v128.store $p $acc)                      ;; per i, j
 *         local.get $o  i32.const 16  i32.add  local.set $o                            ;; 16 * ov
 *         (i32.lt_u $o $oEnd)  br_if $outputTiles
 *       end
 *       local.get $c  i32.const 4  i32.add  local.set $c                               ;; 4 * cb
 *       (local.set $outC (i32.add $outC (i32.mul $outRow (i32.const 1))))              ;; cb
 *       (i32.lt_u $c $cEnd)  br_if $channelTiles
 *     end)
 */
export type FilterGradientTile = (
  x: number,
  dy: number,
  out: number,
  rows: number,
  cols: number,
  xColStep: number,
  xRowStep: number,
  dyRowStep: number,
  outRow: number,
  cBegin: number,
  cEnd: number,
  oBegin: number,
  oEnd: number,
) => void;

/** Channels per tile that the module has functions for: input channels 1..4, output vectors 1..2. */
export const MAX_INPUT_CHANNELS_PER_TILE = 4;
export const MAX_OUTPUT_VECTORS_PER_TILE = 2;

const P = { x: 0, dy: 1, out: 2, rows: 3, cols: 4, xColStep: 5, xRowStep: 6, dyRowStep: 7, outRow: 8, cBegin: 9, cEnd: 10, oBegin: 11, oEnd: 12 };
/** The tile functions' parameter count (all i32). */
export const TILE_PARAMS = 13;
const PARAMS = TILE_PARAMS;

function tileFunction(cb: number, ov: number) {
  // i32 locals, then v128 locals.
  const L = {
    c: PARAMS,
    o: PARAMS + 1,
    outC: PARAMS + 2,
    p: PARAMS + 3,
    xr: PARAMS + 4,
    dr: PARAMS + 5,
    xp: PARAMS + 6,
    dp: PARAMS + 7,
    r: PARAMS + 8,
    k: PARAMS + 9,
  };
  const I32_LOCALS = 10;
  const acc = (i: number, j: number) => PARAMS + I32_LOCALS + i * ov + j;
  const dyv = (j: number) => PARAMS + I32_LOCALS + cb * ov + j;
  const splat = PARAMS + I32_LOCALS + cb * ov + ov;
  const V128_LOCALS = cb * ov + ov + 1;

  // Walks p over the tile's cb rows of `out` (from outC + o), loading or storing each accumulator.
  const overTileRows = (each: (i: number) => number[]) => {
    const code = [...get(L.outC), ...get(L.o), op.i32Add, ...set(L.p)];
    for (let i = 0; i < cb; i++) {
      code.push(...each(i));
      if (i < cb - 1) code.push(...addTo(L.p, get(P.outRow)));
    }
    return code;
  };
  const loadAccumulators = overTileRows((i) =>
    Array.from({ length: ov }, (_, j) => [...get(L.p), ...s(simd.load), ...memarg(16 * j), ...set(acc(i, j))]).flat(),
  );
  const storeAccumulators = overTileRows((i) =>
    Array.from({ length: ov }, (_, j) => [...get(L.p), ...get(acc(i, j)), ...s(simd.store), ...memarg(16 * j)]).flat(),
  );

  // One k: ov vectors of dy, then for each input channel its splat times each of them.
  const step: number[] = [];
  for (let j = 0; j < ov; j++) step.push(...get(L.dp), ...s(simd.load), ...memarg(16 * j), ...set(dyv(j)));
  for (let i = 0; i < cb; i++) {
    step.push(...get(L.xp), ...s(simd.load32Splat), ...memarg(4 * i), ...set(splat));
    for (let j = 0; j < ov; j++) step.push(...get(acc(i, j)), ...get(splat), ...get(dyv(j)), ...s(simd.f32x4Mul), ...s(simd.f32x4Add), ...set(acc(i, j)));
  }

  const code = [
    // outC = out + (cBegin / 4) * outRow; c = cBegin
    ...get(P.out),
    ...get(P.cBegin),
    ...i32(2),
    op.i32ShrU,
    ...get(P.outRow),
    op.i32Mul,
    op.i32Add,
    ...set(L.outC),
    ...get(P.cBegin),
    ...set(L.c),
    ...doWhile(
      [
        // over channel tiles
        ...get(P.oBegin),
        ...set(L.o),
        ...doWhile(
          [
            // over output tiles
            ...loadAccumulators,
            ...get(P.x),
            ...get(L.c),
            op.i32Add,
            ...set(L.xr),
            ...get(P.dy),
            ...get(L.o),
            op.i32Add,
            ...set(L.dr),
            ...get(P.rows),
            ...set(L.r),
            ...doWhile(
              [
                // over rows
                ...get(L.xr),
                ...set(L.xp),
                ...get(L.dr),
                ...set(L.dp),
                ...get(P.cols),
                ...set(L.k),
                // over the row's k
                ...doWhile([...step, ...addTo(L.xp, get(P.xColStep)), ...addTo(L.dp, get(P.outRow))], decremented(L.k)),
                ...addTo(L.xr, get(P.xRowStep)),
                ...addTo(L.dr, get(P.dyRowStep)),
              ],
              decremented(L.r),
            ),
            ...storeAccumulators,
            ...addTo(L.o, i32(16 * ov)),
          ],
          [...get(L.o), ...get(P.oEnd), op.i32LtU],
        ),
        ...addTo(L.c, i32(4 * cb)),
        ...addTo(L.outC, [...get(P.outRow), ...i32(cb), op.i32Mul]),
      ],
      [...get(L.c), ...get(P.cEnd), op.i32LtU],
    ),
  ];
  return {
    name: TILE_NAMES[tileIndex(cb, ov)] as string,
    params: new Array<number>(PARAMS).fill(I32),
    locals: [...new Array<number>(I32_LOCALS).fill(I32), ...new Array<number>(V128_LOCALS).fill(V128)],
    code,
  };
}

/** The module's bytes; `shared` must match the imported memory. */
export function filterGradientModuleBytes(shared: boolean): Uint8Array {
  const functions = TILE_NAMES.map((_, i) => tileFunction(Math.floor(i / MAX_OUTPUT_VECTORS_PER_TILE) + 1, (i % MAX_OUTPUT_VECTORS_PER_TILE) + 1));
  return moduleBytes(functions, shared);
}

/** The index of the function for cb input channels and ov output vectors in TILE_NAMES (and in what filterGradientTilesFor returns). */
export const tileIndex = (cb: number, ov: number) => (cb - 1) * MAX_OUTPUT_VECTORS_PER_TILE + ov - 1;

/** The exported functions' names, by tileIndex. */
export const TILE_NAMES: readonly string[] = Array.from(
  { length: MAX_INPUT_CHANNELS_PER_TILE * MAX_OUTPUT_VECTORS_PER_TILE },
  (_, i) => `fg${Math.floor(i / MAX_OUTPUT_VECTORS_PER_TILE) + 1}x${(i % MAX_OUTPUT_VECTORS_PER_TILE) + 1}`,
);

/** The compiled module for a shared or an unshared memory (null where this engine has no wasm SIMD); compiled once (the helper threads take it too). */
export const filterGradientModule = compiledOnce(filterGradientModuleBytes);

/** The tile functions bound to `memory` by tileIndex, or null where this engine has no wasm SIMD. Instantiated once per memory. */
export const filterGradientTilesFor = boundPerMemory(filterGradientModule, (exports): readonly FilterGradientTile[] =>
  TILE_NAMES.map((name) => exports[name] as FilterGradientTile),
);
