import { describe, expect, test } from 'vitest';
import { crc32c, maskCrc32c, maskedCrc32c } from '../../../src/core/tensorboard/crc32c.js';
import { frameRecord, RECORD_OVERHEAD } from '../../../src/core/tensorboard/tfrecord.js';

/** CRC-32C one bit at a time, straight from the definition: the reference the sliced tables must equal. */
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  // The check value of the CRC-32C catalogue entry, and the iSCSI test vectors of RFC 3720, B.4.
  test.each([
    ['"123456789"', new TextEncoder().encode('123456789'), 0xe3069283],
    ['32 zero bytes', new Uint8Array(32), 0x8a9136aa],
    ['32 bytes of 0xff', new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ['bytes 0..31', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ['bytes 31..0', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
    ['no bytes', new Uint8Array(0), 0],
  ])('%s', (_, bytes, expected) => {
    expect(crc32c(bytes)).toBe(expected);
  });

  test('equals the bit-at-a-time definition at every length around the 8-byte slices, and at offsets into a buffer', () => {
    const random = Uint8Array.from({ length: 300 }, (_, i) => (i * 2654435761) >>> 24);
    for (let length = 0; length <= 70; length++) {
      for (const offset of [0, 1, 3]) {
        const bytes = random.subarray(offset, offset + length);
        expect(crc32c(bytes)).toBe(crc32cBitwise(bytes));
      }
    }
  });

  test('masked: rotated right by 15 bits plus 0xa282ead8, modulo 2^32, and undone by the inverse', () => {
    expect(maskedCrc32c(new TextEncoder().encode('123456789'))).toBe(0xc78ab0e5);
    expect(maskCrc32c(0)).toBe(0xa282ead8);
    const unmask = (masked: number) => {
      const rotated = (masked - 0xa282ead8) >>> 0;
      return ((rotated >>> 17) | (rotated << 15)) >>> 0;
    };
    for (const crc of [0, 1, 0x8000, 0xe3069283, 0xffffffff]) expect(unmask(maskCrc32c(crc))).toBe(crc);
  });
});

describe('frameRecord', () => {
  test('uint64 LE length, masked CRC of the length, data, masked CRC of the data (computed independently for "abc")', () => {
    const record = frameRecord(new TextEncoder().encode('abc'));
    expect(record.length).toBe(3 + RECORD_OVERHEAD);
    expect([...record]).toEqual([3, 0, 0, 0, 0, 0, 0, 0, 176, 153, 73, 14, 97, 98, 99, 110, 87, 241, 33]);
  });

  test('an empty record: eight zero length bytes and their masked CRC, then the CRC of nothing', () => {
    const view = new DataView(frameRecord(new Uint8Array(0)).buffer);
    expect(view.byteLength).toBe(RECORD_OVERHEAD);
    expect(view.getBigUint64(0, true)).toBe(0n);
    expect(view.getUint32(8, true)).toBe(0x07980329);
    expect(view.getUint32(12, true)).toBe(0xa282ead8);
  });
});
