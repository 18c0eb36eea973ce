import { maskedCrc32c } from './crc32c.js';

/** Bytes a record adds around its data: the 8-byte length, its masked CRC, and the data's masked CRC. */
export const RECORD_OVERHEAD = 16;

/**
 * One TFRecord: uint64 little-endian data length, uint32 masked CRC-32C of those 8 length bytes,
 * the data, uint32 masked CRC-32C of the data. An event file is these records back to back, so a
 * reader can tell a whole record from a torn last one (the length says how much must follow, and
 * both CRCs must match).
 */
export function frameRecord(data: Uint8Array): Uint8Array {
  const record = new Uint8Array(data.length + RECORD_OVERHEAD);
  const view = new DataView(record.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(record.subarray(0, 8)), true);
  record.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return record;
}
