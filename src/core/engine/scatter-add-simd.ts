import { compile, get, I32, i32, instantiate, isSharedMemory, memarg, moduleBytes, op, s, set, simd, type WasmMemory } from './wasm-assembler.js';

/**
 * One row of the nearest-upsampling gradient as WebAssembly SIMD on the wasm backend's heap: for
 * each of `cols` dy pixels in turn, out[table[k]] += dy pixel k, `pixelBytes` bytes (a multiple of
 * 16) per pixel, table[k] a byte offset from `out` (int32 on the heap). Float32 adds in the order
 * of the JavaScript loop in resize-nearest-neighbor-grad.ts, so the same bits (an f32x4.add is a
 * correctly rounded float32 add, as Math.fround of a double sum of two float32 is).
 *
 *   scatterAddRow(out, dy, table, cols, pixelBytes)
 */
export type ScatterAddRow = (out: number, dy: number, table: number, cols: number, pixelBytes: number) => void;

const P = { out: 0, dy: 1, table: 2, cols: 3, pixelBytes: 4 };
const L = { to: 5, c: 6 };

function code(): number[] {
  return [
    op.block,
    0x40,
    op.loop,
    0x40, // over dy pixels
    ...get(P.cols),
    op.i32Eqz,
    op.brIf,
    1,
    // to = out + table[k]
    ...get(P.out),
    ...get(P.table),
    0x28, // i32.load
    2,
    0,
    op.i32Add,
    ...set(L.to),
    ...i32(0),
    ...set(L.c),
    op.block,
    0x40,
    op.loop,
    0x40, // over the pixel's vectors
    ...get(L.c),
    ...get(P.pixelBytes),
    op.i32GeU,
    op.brIf,
    1,
    ...get(L.to),
    ...get(L.c),
    op.i32Add,
    ...get(L.to),
    ...get(L.c),
    op.i32Add,
    ...s(simd.load),
    ...memarg(0),
    ...get(P.dy),
    ...get(L.c),
    op.i32Add,
    ...s(simd.load),
    ...memarg(0),
    ...s(simd.f32x4Add),
    ...s(simd.store),
    ...memarg(0),
    ...get(L.c),
    ...i32(16),
    op.i32Add,
    ...set(L.c),
    op.br,
    0,
    op.end,
    op.end,
    ...get(P.dy),
    ...get(P.pixelBytes),
    op.i32Add,
    ...set(P.dy),
    ...get(P.table),
    ...i32(4),
    op.i32Add,
    ...set(P.table),
    ...get(P.cols),
    ...i32(1),
    op.i32Sub,
    ...set(P.cols),
    op.br,
    0,
    op.end,
    op.end,
  ];
}

/** The module's bytes; `shared` must match the imported memory. */
export function scatterAddModuleBytes(shared: boolean): Uint8Array {
  return moduleBytes([{ name: 'scatterAddRow', params: new Array<number>(5).fill(I32), locals: [I32, I32], code: code() }], shared);
}

const instances = new WeakMap<WasmMemory, ScatterAddRow | null>();

/** scatterAddRow bound to `memory`, or null where this engine has no wasm SIMD. Compiled once per memory. */
export function scatterAddRowFor(memory: WasmMemory): ScatterAddRow | null {
  const cached = instances.get(memory);
  if (cached !== undefined) return cached;
  const module = compile(scatterAddModuleBytes(isSharedMemory(memory)));
  const fn = module ? (instantiate(module, memory).scatterAddRow as ScatterAddRow) : null;
  instances.set(memory, fn);
  return fn;
}
