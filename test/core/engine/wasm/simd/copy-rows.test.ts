import { describe, expect, test } from 'vitest';
import { type WasmMemory, wasmApi } from '../../../../../src/core/engine/wasm/simd/assembler.js';
import { copyRowsFor, copyRowsInJs, copyRowsModuleBytes } from '../../../../../src/core/engine/wasm/simd/copy-rows.js';
import { Rng } from '../../../../../src/core/rng.js';

const MemoryOf = wasmApi.Memory as unknown as new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;

describe('copyRows (wasm) against the JavaScript reference', () => {
  test('validates for an ordinary and a shared memory', () => {
    expect(wasmApi.validate(copyRowsModuleBytes(false))).toBe(true);
    expect(wasmApi.validate(copyRowsModuleBytes(true))).toBe(true);
  });

  test.each([false, true])('random runs, strides and byte tails, shared memory: %s', (shared) => {
    const memory = new MemoryOf(shared ? { initial: 2, maximum: 4, shared: true } : { initial: 2 });
    const copy = copyRowsFor(memory);
    expect(copy).not.toBeNull();
    const rng = new Rng(77);
    const heap = new Uint8Array(memory.buffer);
    const reference = new Uint8Array(heap.length);
    const copyJs = copyRowsInJs(reference);
    for (let i = 0; i < 200; i++) {
      for (let j = 0; j < 65536; j++) heap[j] = rng.int(0, 255);
      reference.set(heap);
      // Source in the first 64 KiB, destination in the second (no overlap).
      const rowBytes = rng.int(0, 70);
      const rows = rng.int(0, 9);
      const srcStride = rng.next() < 0.2 ? 0 : rowBytes + rng.int(0, 20);
      const dstStride = rowBytes + rng.int(0, 20);
      const src = rng.int(0, 65536 - 9 * 90 - 1);
      const dst = 65536 + rng.int(0, 65536 - 9 * 90 - 1);
      (copy as NonNullable<typeof copy>)(dst, src, rowBytes, rows, dstStride, srcStride);
      copyJs(dst, src, rowBytes, rows, dstStride, srcStride);
      expect(
        Buffer.from(heap.buffer, 0, 131072).equals(Buffer.from(reference.buffer, 0, 131072)),
        `case ${i}: ${rowBytes} bytes x ${rows}, strides ${dstStride}/${srcStride}`,
      ).toBe(true);
    }
  });
});
