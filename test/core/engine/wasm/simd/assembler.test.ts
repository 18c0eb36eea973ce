import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { adamSimdModuleBytes } from '../../../../../src/core/engine/wasm/simd/adam-update.js';
import { I32, leb128, memarg, moduleBytes, op, sleb128, V128, wasmApi } from '../../../../../src/core/engine/wasm/simd/assembler.js';
import { filterGradientModuleBytes } from '../../../../../src/core/engine/wasm/simd/conv2d-backprop-filter.js';
import { copyRowsModuleBytes } from '../../../../../src/core/engine/wasm/simd/copy-rows.js';
import { scatterAddModuleBytes } from '../../../../../src/core/engine/wasm/simd/scatter-add.js';
import { sumRowsModuleBytes } from '../../../../../src/core/engine/wasm/simd/sum-rows.js';

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
    const store = [op.localGet, 0, op.localGet, 1, op.i32Store, ...memarg(0)]; // i32.store align 4, offset 0
    const bytes = moduleBytes(
      [
        { name: 'a', params: [I32, I32], locals: [], code: store },
        { name: 'b', params: [I32, I32], locals: [I32, I32, V128, I32], code: store },
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

  // The modules' bytes, for an ordinary and for a shared memory, as they were when each loop's
  // known-answer tests last passed. A rewrite of a module's code on the assembler's helpers must
  // leave them as they are; a deliberate change of a loop updates them here, with those tests
  // (the kernels' tests against the cpu backend) passing.
  test.each([
    [
      'adam-update',
      adamSimdModuleBytes,
      '8c4c7bf45a27fd163313d0c20f88cb8c87b3d63839a2b6e8bee55839888959bd',
      '40b7ccfdccd2e221a6ce874465e1ff6a8ec42810919952a3c001cb6711b8238b',
    ],
    [
      'copy-rows',
      copyRowsModuleBytes,
      '0425e4efa7a7ee41f897f4edbe020f06e2e21d3bf7d9a01797dfd52dfa954179',
      'cd49647415b813726d245c4d5ee4ced17d708b9f53beef60251918a71a301083',
    ],
    [
      'conv2d-backprop-filter',
      filterGradientModuleBytes,
      'd6d412557db0cb698790347ed0654d119ef4dfce1e62c4f37aef4f904ede8122',
      'a6a29ece7f638dacd998560024f10bca524186e37384580d5bbb481acbb4ab1e',
    ],
    [
      'scatter-add',
      scatterAddModuleBytes,
      'e734ddfaed0c3beb3cd8d0fb8b934788372f8504c4c42de7843036ef4d4faeb5',
      '9c02b39d6ebdb78c70ebe260f88f9f7d8ebe7f4180766e83fc208d7d30e41830',
    ],
    [
      'sum-rows',
      sumRowsModuleBytes,
      '4fac1056e3f0d8bbf858dc96c368116bda95ba25ed09eee89c8a2975a6edcd7f',
      'fcca8ef937b47ad19816efb47e3311222caf92d403b9f8b109ae897bf815bd78',
    ],
  ] as const)('wasm/simd/%s.ts: module bytes unchanged (sha256) and valid', (_name, bytes, unshared, shared) => {
    const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    expect(sha256(bytes(false))).toBe(unshared);
    expect(sha256(bytes(true))).toBe(shared);
    expect(wasmApi.validate(bytes(false))).toBe(true);
    expect(wasmApi.validate(bytes(true))).toBe(true);
  });
});
