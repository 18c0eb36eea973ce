import { afterAll, describe, expect, test } from 'vitest';
import { type FilterGradientJob, filterGradientCalls } from '../../../src/core/engine/filter-gradient-blocks.js';
import { type FilterGradientTile, filterGradientModuleBytes, filterGradientTilesFor, TILE_NAMES } from '../../../src/core/engine/filter-gradient-simd.js';
import { type WasmMemory, wasmApi } from '../../../src/core/engine/wasm-assembler.js';
import { RECORD_INTS, WasmCallHelper } from '../../../src/core/engine/wasm-call-helper.js';

// A shared memory of our own, laid out by hand: x, dy, two outputs, then the helper's records.
const MemoryOf = wasmApi.Memory as unknown as new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
const memory = new MemoryOf({ initial: 16, maximum: 64, shared: true });
const helper = new WasmCallHelper(memory, filterGradientModuleBytes(true), TILE_NAMES);
afterAll(() => helper.terminate());

const shape = {
  batch: 2,
  inHeight: 7,
  inWidth: 6,
  inChannels: 10,
  outHeight: 4,
  outWidth: 3,
  outChannels: 8,
  filterHeight: 3,
  filterWidth: 3,
  strideHeight: 2,
  strideWidth: 2,
  padTop: 1,
  padLeft: 1,
};
const xSize = 2 * 7 * 6 * 10;
const dySize = 2 * 4 * 3 * 8;
const outSize = 3 * 3 * 10 * 8;
const at = { x: 0, dy: xSize * 4, out: [(xSize + dySize) * 4, (xSize + dySize + outSize) * 4], records: (xSize + dySize + 2 * outSize) * 4 };
const floats = () => new Float32Array(memory.buffer);
for (let i = 0; i < xSize + dySize; i++) floats()[i] = Math.cos(i * 0.71);

function recordsFor(job: FilterGradientJob, from: number, to: number): number[] {
  const records: number[] = [];
  filterGradientCalls(job, from, to, (...record) => records.push(...record));
  return records;
}

describe('WasmCallHelper', () => {
  test('the helper`s share and the main thread`s together equal one thread`s result, bitwise', () => {
    const tiles = filterGradientTilesFor(memory) as readonly FilterGradientTile[];
    expect(tiles).not.toBeNull();
    const direct = (tile: number, ...args: Parameters<FilterGradientTile>) => (tiles[tile] as FilterGradientTile)(...args);
    const [alone, split] = at.out as [number, number];
    floats().fill(0, alone / 4, alone / 4 + 2 * outSize);
    filterGradientCalls({ ...shape, x: at.x, dy: at.dy, out: alone }, 0, 10, direct);

    const job = { ...shape, x: at.x, dy: at.dy, out: split };
    const records = recordsFor(job, 4, 10);
    new Int32Array(memory.buffer).set(records, at.records / 4);
    expect(helper.ready()).toBe(true);
    let mainRan = false;
    helper.run(at.records, records.length / RECORD_INTS, () => {
      filterGradientCalls(job, 0, 4, direct);
      mainRan = true;
    });
    expect(mainRan).toBe(true);
    const result = floats();
    const a = result.slice(alone / 4, alone / 4 + outSize);
    const b = result.slice(split / 4, split / 4 + outSize);
    expect(a.some((v) => v !== 0)).toBe(true);
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
  });

  test('a call that fails on the helper is an error on the main thread, after the main share ran', () => {
    // One record whose output lies past the end of the memory: the wasm store traps.
    const record = [0, at.x, at.dy, memory.buffer.byteLength + 4096, 1, 1, 40, 0, 0, 32, 0, 4, 0, 16];
    expect(record.length).toBe(RECORD_INTS);
    new Int32Array(memory.buffer).set(record, at.records / 4);
    let mainRan = false;
    expect(() =>
      helper.run(at.records, 1, () => {
        mainRan = true;
      }),
    ).toThrow(/helper thread failed/);
    expect(mainRan).toBe(true);
    // And it still works afterwards.
    expect(() => helper.run(at.records, 0, () => {})).not.toThrow();
  });

  test('an error of the main share is thrown once the helper is done', () => {
    expect(() =>
      helper.run(at.records, 0, () => {
        throw new Error('main share broke');
      }),
    ).toThrow('main share broke');
  });

  test('a terminated helper is not ready, and run says so instead of waiting', async () => {
    const other = new WasmCallHelper(memory, filterGradientModuleBytes(true), TILE_NAMES);
    expect(other.ready()).toBe(true);
    await other.terminate();
    expect(other.ready()).toBe(false);
    expect(() => other.run(at.records, 0, () => {})).toThrow(/not running/);
  });
});
