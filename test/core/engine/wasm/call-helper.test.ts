import { afterAll, describe, expect, test } from 'vitest';
import { runShares, WasmCallHelper } from '../../../../src/core/engine/wasm/call-helper.js';
import { type FilterGradientJob, filterGradientCalls } from '../../../../src/core/engine/wasm/conv2d-backprop-filter-blocks.js';
import { type WasmMemory, wasmApi } from '../../../../src/core/engine/wasm/simd/assembler.js';
import {
  type FilterGradientTile,
  filterGradientModule,
  filterGradientTilesFor,
  TILE_NAMES,
  TILE_PARAMS,
} from '../../../../src/core/engine/wasm/simd/conv2d-backprop-filter.js';

// A shared memory of our own, laid out by hand: x, dy, three outputs, then records.
const MemoryOf = wasmApi.Memory as unknown as new (descriptor: {
  initial: number;
  maximum: number;
  shared: boolean;
}) => WasmMemory & { grow(pages: number): number };
const memory = new MemoryOf({ initial: 16, maximum: 64, shared: true });
const tiles = filterGradientTilesFor(memory) as readonly FilterGradientTile[];
const module = filterGradientModule(true) as object;
const newHelper = () => new WasmCallHelper(memory, module, TILE_NAMES, tiles, TILE_PARAMS);
const helpers = [newHelper(), newHelper()];
afterAll(() => Promise.all(helpers.map((helper) => helper.terminate())));

const RECORD_INTS = 1 + TILE_PARAMS;
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
const outAt = (i: number) => (xSize + dySize + i * outSize) * 4;
const recordsAt = (xSize + dySize + 3 * outSize) * 4;
const floats = () => new Float32Array(memory.buffer);
for (let i = 0; i < xSize + dySize; i++) floats()[i] = Math.cos(i * 0.71);
const direct = (tile: number, ...args: Parameters<FilterGradientTile>) => (tiles[tile] as FilterGradientTile)(...args);
const jobInto = (out: number): FilterGradientJob => ({ ...shape, x: 0, dy: xSize * 4, out });

function recordsFor(job: FilterGradientJob, from: number, to: number): number[] {
  const records: number[] = [];
  filterGradientCalls(job, from, to, (...record) => records.push(...record));
  return records;
}
const output = (i: number) => floats().slice(outAt(i) / 4, outAt(i) / 4 + outSize);
const bitwiseEqual = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));

/** Output 0: the gradient made on this thread alone. */
function alone(): Float32Array {
  floats().fill(0, outAt(0) / 4, outAt(0) / 4 + outSize);
  filterGradientCalls(jobInto(outAt(0)), 0, 10, direct);
  return output(0);
}

describe('WasmCallHelper', () => {
  test('the helper`s share and the main thread`s together equal one thread`s result, bitwise', () => {
    const expected = alone();
    expect(expected.some((v) => v !== 0)).toBe(true);
    floats().fill(0, outAt(1) / 4, outAt(1) / 4 + outSize);
    const records = recordsFor(jobInto(outAt(1)), 4, 10);
    new Int32Array(memory.buffer).set(records, recordsAt / 4);
    const helper = helpers[0] as WasmCallHelper;
    expect(helper.ready()).toBe(true);
    let mainRan = false;
    helper.run(recordsAt, records.length / RECORD_INTS, () => {
      filterGradientCalls(jobInto(outAt(1)), 0, 4, direct);
      mainRan = true;
    });
    expect(mainRan).toBe(true);
    expect(bitwiseEqual(output(1), expected)).toBe(true);
  });

  test('runShares: two helpers and the main thread, records past the end of the memory as it was when the helpers started', () => {
    const expected = alone();
    const before = memory.buffer.byteLength;
    memory.grow(1);
    const job = jobInto(outAt(2));
    floats().fill(0, outAt(2) / 4, outAt(2) / 4 + outSize);
    const first = recordsFor(job, 4, 8);
    const second = recordsFor(job, 8, 10);
    new Int32Array(memory.buffer).set([...first, ...second], before / 4);
    runShares(
      helpers,
      [
        [before, first.length / RECORD_INTS],
        [before + first.length * 4, second.length / RECORD_INTS],
      ],
      () => filterGradientCalls(job, 0, 4, direct),
    );
    expect(bitwiseEqual(output(2), expected)).toBe(true);
  });

  test('a call that fails on the helper is an error on the main thread, after the main share ran', () => {
    // One record whose output lies past the end of the memory: the wasm store traps.
    const record = [0, 0, xSize * 4, memory.buffer.byteLength + 4096, 1, 1, 40, 0, 0, 32, 0, 4, 0, 16];
    expect(record.length).toBe(RECORD_INTS);
    new Int32Array(memory.buffer).set(record, recordsAt / 4);
    const helper = helpers[0] as WasmCallHelper;
    let mainRan = false;
    // Long enough a main share that the helper claims the job first.
    const busy = () => {
      const until = performance.now() + 50;
      while (performance.now() < until);
      mainRan = true;
    };
    expect(() => helper.run(recordsAt, 1, busy)).toThrow(/helper thread failed/);
    expect(mainRan).toBe(true);
    // And it still works afterwards.
    expect(() => helper.run(recordsAt, 0, () => {})).not.toThrow();
  });

  test('an error of the main share is thrown once the helper is done', () => {
    expect(() =>
      (helpers[0] as WasmCallHelper).run(recordsAt, 0, () => {
        throw new Error('main share broke');
      }),
    ).toThrow('main share broke');
  });

  test('a helper that is gone without a word: the main thread makes its calls instead of waiting', async () => {
    const gone = newHelper();
    expect(gone.ready()).toBe(true);
    // Stop the thread behind the helper's back, its exit event unseen (as while the main thread blocks).
    const worker = (gone as unknown as { worker: { removeAllListeners(): void; terminate(): Promise<number> } }).worker;
    worker.removeAllListeners();
    await worker.terminate();
    const expected = alone();
    floats().fill(0, outAt(1) / 4, outAt(1) / 4 + outSize);
    const records = recordsFor(jobInto(outAt(1)), 4, 10);
    new Int32Array(memory.buffer).set(records, recordsAt / 4);
    gone.run(recordsAt, records.length / RECORD_INTS, () => filterGradientCalls(jobInto(outAt(1)), 0, 4, direct));
    expect(bitwiseEqual(output(1), expected)).toBe(true);
  });

  test('a terminated helper is not ready, and run says so instead of waiting', async () => {
    const other = newHelper();
    expect(other.ready()).toBe(true);
    await other.terminate();
    expect(other.ready()).toBe(false);
    expect(() => other.run(recordsAt, 0, () => {})).toThrow(/not running/);
  });
});
