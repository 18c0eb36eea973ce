import { describe, expect, test } from 'vitest';
import { ProtobufWriter } from '../../../src/core/onnx/protobuf-writer.js';

// Known answers from the protocol-buffer encoding guide (https://protobuf.dev/programming-guides/encoding/).
describe('ProtobufWriter', () => {
  test.each([
    [1, 1, [0x08, 0x01]],
    [1, 150, [0x08, 0x96, 0x01]],
    [2, 300, [0x10, 0xac, 0x02]],
    [1, 0, [0x08, 0x00]],
    // int64 -1: ten bytes of two's complement.
    [1, -1, [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
  ])('field %i int %i', (field, value, bytes) => {
    expect([...new ProtobufWriter().int(field, value).finish()]).toEqual(bytes);
  });

  test('a string is length-delimited (wire type 2)', () => {
    expect([...new ProtobufWriter().string(2, 'testing').finish()]).toEqual([0x12, 0x07, ...Buffer.from('testing')]);
  });

  test('a float is four little-endian bytes (wire type 5)', () => {
    expect([...new ProtobufWriter().float(2, 1.5).finish()]).toEqual([0x15, 0x00, 0x00, 0xc0, 0x3f]);
  });

  test('a nested message is its bytes, length-delimited, and repeated ints are one field each', () => {
    const bytes = new ProtobufWriter().message(3, (m) => m.int(1, 150).ints(2, [1, 2])).finish();
    expect([...bytes]).toEqual([0x1a, 0x07, 0x08, 0x96, 0x01, 0x10, 0x01, 0x10, 0x02]);
  });
});
