/**
 * Just enough of a WebAssembly assembler to write our SIMD loops byte by byte, for modules that
 * work on tfjs-backend-wasm's own heap (they import its memory). There is no wasm toolchain in the
 * build, and these loops are short; see wasm/simd/adam-update.ts and
 * wasm/simd/conv2d-backprop-filter.ts.
 *
 * A module's code is a flat list of bytes built from the pieces below, never bare numbers: opcodes
 * by name (`op`, and `simd` after the 0xfd prefix, via `s`), locals through get/set/tee, constants
 * through i32, memory immediates through memarg, and loops through whileNot / doWhile (structured
 * block/loop/br_if, so no module writes a branch depth itself). Each module's header comment lists
 * its function in WAT, the WebAssembly text format (what `wasm2wat` prints from the bytes).
 */

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
/** The block type of a block or loop that leaves nothing on the stack. */
export const EMPTY_BLOCK = 0x40;

/** Opcodes used by our loops (one byte each). */
export const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  /** Memory access (each followed by a memarg). */
  i32Load: 0x28,
  i32Load8U: 0x2d,
  i32Store: 0x36,
  i32Store8: 0x3a,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Ne: 0x47,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32ShrU: 0x76,
  f64Const: 0x44,
  simd: 0xfd,
} as const;

/** SIMD opcodes (after the 0xfd prefix), as unsigned LEB128. */
export const simd = {
  load: [0x00],
  load32Splat: [0x09],
  store: [0x0b],
  /** Followed by 16 lane indices (bytes 0..31 of the two operands). */
  i8x16Shuffle: [0x0d],
  f32x4Splat: [0x13],
  f32x4Sqrt: [0xe3, 0x01],
  f32x4Add: [0xe4, 0x01],
  f32x4Sub: [0xe5, 0x01],
  f32x4Mul: [0xe6, 0x01],
  f32x4Div: [0xe7, 0x01],
  f64x2Splat: [0x14],
  load64Zero: [0x5d],
  f64x2PromoteLowF32x4: [0x5f],
  f64x2Add: [0xf0, 0x01],
  f64x2Sub: [0xf1, 0x01],
  f64x2Mul: [0xf2, 0x01],
  f64x2Div: [0xf3, 0x01],
} as const;

/** Unsigned LEB128. */
export function leb128(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  do {
    const byte = rest & 0x7f;
    rest >>>= 7;
    bytes.push(rest === 0 ? byte : byte | 0x80);
  } while (rest !== 0);
  return bytes;
}

/** Signed LEB128 of a 32-bit integer (what i32.const takes). */
export function sleb128(value: number): number[] {
  const bytes: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...leb128(bytes.length), ...bytes];
}

function section(id: number, content: number[]): number[] {
  return [id, ...leb128(content.length), ...content];
}

export const get = (index: number) => [op.localGet, ...leb128(index)];
export const set = (index: number) => [op.localSet, ...leb128(index)];
export const tee = (index: number) => [op.localTee, ...leb128(index)];
export const i32 = (value: number) => [op.i32Const, ...sleb128(value)];
export const s = (code: readonly number[]) => [op.simd, ...code];
/**
 * A memory immediate: an alignment hint 2^alignLog2 (2 by default: floats are 4-byte aligned; wasm
 * accepts any address whatever the hint) and a constant byte offset.
 */
export const memarg = (offset = 0, alignLog2 = 2) => [alignLog2, ...leb128(offset)];
/** local += step (step: code that pushes one i32). */
export const addTo = (local: number, step: readonly number[]) => [...get(local), ...step, op.i32Add, ...set(local)];
/** local -= 1. */
export const decrement = (local: number) => [...get(local), ...i32(1), op.i32Sub, ...set(local)];
/**
 * do body while (again): `again` pushes an i32 that repeats the body when non-zero.
 *
 *   loop $again  body  again  br_if $again  end
 */
export const doWhile = (body: readonly number[], again: readonly number[]) => [op.loop, EMPTY_BLOCK, ...body, ...again, op.brIf, 0, op.end];
/** --local, pushing the new value (a countdown for doWhile). */
export const decremented = (local: number) => [...get(local), ...i32(1), op.i32Sub, ...tee(local)];
/**
 * while (!exit) body: `exit` pushes an i32 that leaves the loop when non-zero; `body` may not branch out.
 *
 *   block $done  loop $next  exit  br_if $done  body  br $next  end  end
 */
export const whileNot = (exit: readonly number[], body: readonly number[]) => [
  op.block,
  EMPTY_BLOCK,
  op.loop,
  EMPTY_BLOCK,
  ...exit,
  op.brIf,
  1,
  ...body,
  op.br,
  0,
  op.end,
  op.end,
];

/** One exported function: its parameter types, extra locals (types in order) and code (without the final `end`). */
export interface WasmFunction {
  readonly name: string;
  readonly params: readonly number[];
  readonly locals: readonly number[];
  readonly code: readonly number[];
}

/** Locals as the code section wants them: runs of one type. */
function localRuns(types: readonly number[]): number[] {
  const runs: { count: number; type: number }[] = [];
  for (const type of types) {
    const last = runs.at(-1);
    if (last && last.type === type) last.count += 1;
    else runs.push({ count: 1, type });
  }
  return [...leb128(runs.length), ...runs.flatMap((run) => [...leb128(run.count), run.type])];
}

/**
 * A module of functions with no results that import `env.memory`; `shared` must match the memory
 * (tfjs' threaded build's is shared, and a shared import must declare a maximum: 65536 pages, 4 GiB).
 */
export function moduleBytes(functions: readonly WasmFunction[], shared: boolean): Uint8Array {
  const types = functions.flatMap((f) => [0x60, ...leb128(f.params.length), ...f.params, 0]);
  const limits = shared ? [0x03, 0, ...leb128(65536)] : [0x00, 0];
  const bodies = functions.flatMap((f) => {
    const body = [...localRuns(f.locals), ...f.code, op.end];
    return [...leb128(body.length), ...body];
  });
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [...leb128(functions.length), ...types]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, ...limits]),
    ...section(3, [...leb128(functions.length), ...functions.flatMap((_, i) => leb128(i))]),
    ...section(7, [...leb128(functions.length), ...functions.flatMap((f, i) => [...name(f.name), 0x00, ...leb128(i)])]),
    ...section(10, [...leb128(functions.length), ...bodies]),
  ]);
}

/**
 * The WebAssembly API, typed here: the project's lib (ES2023, no DOM) and @types/node 20 do not
 * declare it, though Node has it.
 */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
  Memory: abstract new (...args: never[]) => WasmMemory;
}
export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Whether `memory` is the threaded build's (a SharedArrayBuffer heap). */
export function isSharedMemory(memory: WasmMemory): boolean {
  return typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
}

/** A compiled module (WebAssembly.Module; it can be posted to a worker). */
export type WasmModule = object;

/** The compiled module, or null where this engine rejects it (no wasm SIMD). */
export function compile(bytes: Uint8Array): WasmModule | null {
  return wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
}

/** The module's exports bound to `memory`. */
export function instantiate(module: WasmModule, memory: WasmMemory): Record<string, unknown> {
  return new wasmApi.Instance(module, { env: { memory } }).exports;
}

/** `bytes(shared)` compiled once for a shared and once for an ordinary memory (null where the engine rejects it). */
export function compiledOnce(bytes: (shared: boolean) => Uint8Array): (shared: boolean) => WasmModule | null {
  const modules = new Map<boolean, WasmModule | null>();
  return (shared) => {
    if (!modules.has(shared)) modules.set(shared, compile(bytes(shared)));
    return modules.get(shared) ?? null;
  };
}

/**
 * What `pick` takes from the module's exports, instantiated once per memory (tfjs' heap; shared
 * for the threaded build), or null where the engine rejects the module (no wasm SIMD).
 */
export function boundPerMemory<T>(
  module: (shared: boolean) => WasmModule | null,
  pick: (exports: Record<string, unknown>) => T,
): (memory: WasmMemory) => T | null {
  const instances = new WeakMap<WasmMemory, T | null>();
  return (memory) => {
    const cached = instances.get(memory);
    if (cached !== undefined) return cached;
    const compiled = module(isSharedMemory(memory));
    const bound = compiled ? pick(instantiate(compiled, memory)) : null;
    instances.set(memory, bound);
    return bound;
  };
}
