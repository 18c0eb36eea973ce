import { describe, expect, test } from 'vitest';
import { I32, leb128, moduleBytes, op, sleb128, wasmApi } from '../../../../../src/core/engine/wasm/simd/assembler.js';

describe('wasm assembler', () => {
  test('LEB128 encodings (the WebAssembly spec`s examples and the sign boundaries)', () => {
    expect(leb128(0)).toEqual([0]);
    expect(leb128(127)).toEqual([0x7f]);
    expect(leb128(128)).toEqual([0x80, 0x01]);
    expect(leb128(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb128(0)).toEqual([0]);
    expect(sleb128(63)).toEqual([0x3f]);
    // 64 has bit 6 set, which would read as negative in one byte.
    expect(sleb128(64)).toEqual([0xc0, 0x00]);
    expect(sleb128(-1)).toEqual([0x7f]);
    expect(sleb128(-64)).toEqual([0x40]);
    expect(sleb128(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb128(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  test('a module of several functions with locals validates and runs', () => {
    // store(i32 address, i32 value) as two functions that differ in their locals; they write into the memory.
    const store = [op.localGet, 0, op.localGet, 1, 0x36, 2, 0]; // i32.store align 4, offset 0
    const bytes = moduleBytes(
      [
        { name: 'a', params: [I32, I32], locals: [], code: store },
        { name: 'b', params: [I32, I32], locals: [I32, I32, 0x7b, I32], code: store },
      ],
      false,
    );
    expect(wasmApi.validate(bytes)).toBe(true);
    const Memory = wasmApi.Memory as unknown as new (d: { initial: number }) => { buffer: ArrayBuffer };
    const memory = new Memory({ initial: 1 });
    const instance = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory } });
    (instance.exports.a as (a: number, v: number) => void)(8, 1234);
    (instance.exports.b as (a: number, v: number) => void)(12, -5);
    expect([...new Int32Array(memory.buffer, 8, 2)]).toEqual([1234, -5]);
  });
});
