import { addTo, boundPerMemory, compiledOnce, F32, get, I32, i32, memarg as memargAt, moduleBytes, op, s, set, simd, V128, whileNot } from './assembler.js';

/**
 * One Adam step as a WebAssembly SIMD loop that works directly on the wasm backend's heap: it
 * imports tfjs-backend-wasm's own WebAssembly.Memory, so the weights, gradients and moments are
 * read and the new ones written where the backend keeps them, with no copy.
 *
 * Why wasm and not a JS loop: a JS loop needs Math.fround after every operation to compute in
 * float32 and ran at ~11 ns per weight here, twice the time of the 13 separate tfjs ops (XNNPACK,
 * SIMD) it was meant to replace. f32x4 arithmetic is IEEE-754 single precision, correctly rounded,
 * exactly like the scalar float32 kernels of those ops, so the results are the same bits, 4 at a
 * time, in one pass.
 *
 * The module is 16 parameters and one loop, assembled here byte by byte (no toolchain in the
 * build). Its function:
 *
 *   adam(w, g, m, v, wOut, mOut, vOut, bytes: i32,
 *        beta1, oneMinusBeta1, beta2, oneMinusBeta2, correction1, correction2, epsilon, learningRate: f32)
 *
 * processes `bytes` bytes (a multiple of 16) of each array, given as byte offsets into the memory:
 *   m' = m * beta1 + g * oneMinusBeta1
 *   v' = v * beta2 + (g * g) * oneMinusBeta2
 *   w' = w - ((m' / correction1) / (sqrt(v' / correction2) + epsilon)) * learningRate
 * The last n mod 4 elements are left to the caller.
 *
 * In WAT (parameters and locals named; every v128.load/store has align=4):
 *
 *   (func (export "adam") (param $w $g $m $v $wOut $mOut $vOut $bytes i32)
 *         (param $beta1 $oneMinusBeta1 $beta2 $oneMinusBeta2 $c1 $c2 $eps $lr f32)
 *     (local $i i32) (local $beta1x4 .. $lrx4 v128) (local $gv $m1 $v1 v128)
 *     local.get $beta1  f32x4.splat  local.set $beta1x4      ;; the same for the other 7 scalars
 *     block $done  loop $next
 *       local.get $i  local.get $bytes  i32.ge_u  br_if $done
 *       (v128.load (i32.add $g $i))  local.set $gv
 *       (v128.load (i32.add $m $i))  $beta1x4 f32x4.mul  $gv $oneMinusBeta1x4 f32x4.mul  f32x4.add  local.set $m1
 *       (v128.load (i32.add $v $i))  $beta2x4 f32x4.mul  $gv $gv f32x4.mul  $oneMinusBeta2x4 f32x4.mul  f32x4.add  local.set $v1
 *       (v128.store (i32.add $mOut $i) $m1)
 *       (v128.store (i32.add $vOut $i) $v1)
 *       (v128.store (i32.add $wOut $i)
 *         (f32x4.sub (v128.load (i32.add $w $i))
 *           (f32x4.mul (f32x4.div (f32x4.div $m1 $c1x4) (f32x4.add (f32x4.sqrt (f32x4.div $v1 $c2x4)) $epsx4)) $lrx4)))
 *       local.get $i  i32.const 16  i32.add  local.set $i
 *       br $next
 *     end end)
 */

/** The function the module exports (see the file comment for the formula). */
export type AdamSimdFunction = (
  w: number,
  g: number,
  m: number,
  v: number,
  wOut: number,
  mOut: number,
  vOut: number,
  bytes: number,
  beta1: number,
  oneMinusBeta1: number,
  beta2: number,
  oneMinusBeta2: number,
  correction1: number,
  correction2: number,
  epsilon: number,
  learningRate: number,
) => void;

/** Function parameters and locals, by index. */
const P = { w: 0, g: 1, m: 2, v: 3, wOut: 4, mOut: 5, vOut: 6, bytes: 7 } as const;
const SCALAR_PARAMS = 8; // beta1 .. learningRate: params 8..15
const L = { i: 16, beta1: 17, oneMinusBeta1: 18, beta2: 19, oneMinusBeta2: 20, c1: 21, c2: 22, eps: 23, lr: 24, g: 25, m1: 26, v1: 27 } as const;

const memarg = memargAt(0);
/** Pushes the v128 at byte offset (param `base`) + i. */
const load = (base: number) => [...get(base), ...get(L.i), op.i32Add, ...s(simd.load), ...memarg];
/** Pushes the address (param `base`) + i for a store. */
const address = (base: number) => [...get(base), ...get(L.i), op.i32Add];

function body(): number[] {
  const code: number[] = [];
  // The eight float32 constants, each splat into a vector once.
  for (let k = 0; k < 8; k++) code.push(...get(SCALAR_PARAMS + k), ...s(simd.f32x4Splat), ...set(L.beta1 + k));
  code.push(
    ...whileNot(
      [...get(L.i), ...get(P.bytes), op.i32GeU], // while (i < bytes)
      [
        ...load(P.g),
        ...set(L.g),
        // m1 = m * beta1 + g * (1 - beta1)
        ...load(P.m),
        ...get(L.beta1),
        ...s(simd.f32x4Mul),
        ...get(L.g),
        ...get(L.oneMinusBeta1),
        ...s(simd.f32x4Mul),
        ...s(simd.f32x4Add),
        ...set(L.m1),
        // v1 = v * beta2 + (g * g) * (1 - beta2)
        ...load(P.v),
        ...get(L.beta2),
        ...s(simd.f32x4Mul),
        ...get(L.g),
        ...get(L.g),
        ...s(simd.f32x4Mul),
        ...get(L.oneMinusBeta2),
        ...s(simd.f32x4Mul),
        ...s(simd.f32x4Add),
        ...set(L.v1),
        ...address(P.mOut),
        ...get(L.m1),
        ...s(simd.store),
        ...memarg,
        ...address(P.vOut),
        ...get(L.v1),
        ...s(simd.store),
        ...memarg,
        // wOut = w - ((m1 / c1) / (sqrt(v1 / c2) + eps)) * lr
        ...address(P.wOut),
        ...load(P.w),
        ...get(L.m1),
        ...get(L.c1),
        ...s(simd.f32x4Div),
        ...get(L.v1),
        ...get(L.c2),
        ...s(simd.f32x4Div),
        ...s(simd.f32x4Sqrt),
        ...get(L.eps),
        ...s(simd.f32x4Add),
        ...s(simd.f32x4Div),
        ...get(L.lr),
        ...s(simd.f32x4Mul),
        ...s(simd.f32x4Sub),
        ...s(simd.store),
        ...memarg,
        ...addTo(L.i, i32(16)),
      ],
    ),
  );
  return code;
}

/** The module's bytes; `shared` must match the imported memory (the threaded build's is shared). */
export function adamSimdModuleBytes(shared: boolean): Uint8Array {
  const params = [...new Array<number>(8).fill(I32), ...new Array<number>(8).fill(F32)];
  // Locals: one i32 (i), eleven v128 (8 constants, g, m1, v1).
  const locals = [I32, ...new Array<number>(11).fill(V128)];
  return moduleBytes([{ name: 'adam', params, locals, code: body() }], shared);
}

/**
 * The SIMD step bound to `memory`, or null where this engine cannot run it (no wasm SIMD: tfjs then
 * runs its non-SIMD build too). Compiled once, instantiated once per memory.
 */
export const adamSimdFor = boundPerMemory(compiledOnce(adamSimdModuleBytes), (exports) => exports.adam as AdamSimdFunction);
