import type { FileHandle } from 'node:fs/promises';
import { crc32, inflateRawSync } from 'node:zlib';

/** One member of a zip archive, as its central directory records it. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflated. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc: number;
  readonly localHeaderOffset: number;
}

/** What is wrong with an archive, in words that finish "the zip archive ...". */
export class ZipFormatError extends Error {}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * Reads members of a zip archive by positioned reads, so a large archive (a 528 MB VGG16) costs
 * only the members asked for. Covers what archive writers put in weight files: stored or deflated
 * members, and zip64 sizes and offsets. Each member's CRC-32 is checked, so a damaged archive is
 * an error, never wrong numbers.
 */
export class ZipReader {
  private constructor(
    private readonly file: FileHandle,
    private readonly fileSize: number,
    readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {}

  static async open(file: FileHandle): Promise<ZipReader> {
    const fileSize = (await file.stat()).size;
    // The end record is 22 bytes plus a comment of at most 65,535 bytes.
    const tailLength = Math.min(fileSize, 22 + 0xffff);
    const tail = await readAt(file, fileSize - tailLength, tailLength);
    let at = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        at = i;
        break;
      }
    }
    if (at < 0) throw new ZipFormatError('has no end-of-central-directory record: it is truncated or damaged');
    let count = tail.readUInt16LE(at + 10);
    let directorySize = tail.readUInt32LE(at + 12);
    let directoryOffset = tail.readUInt32LE(at + 16);
    const eocdPosition = fileSize - tailLength + at;
    if (eocdPosition >= 20) {
      const locator = await readAt(file, eocdPosition - 20, 20);
      if (locator.readUInt32LE(0) === ZIP64_LOCATOR) {
        const zip64At = toNumber(locator.readBigUInt64LE(8));
        const record = await readAt(file, zip64At, 56);
        if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_EOCD) throw new ZipFormatError('has a damaged zip64 end record');
        count = toNumber(record.readBigUInt64LE(32));
        directorySize = toNumber(record.readBigUInt64LE(40));
        directoryOffset = toNumber(record.readBigUInt64LE(48));
      }
    }
    if (directoryOffset + directorySize > fileSize) throw new ZipFormatError('is truncated: its central directory lies past the end of the file');
    const directory = await readAt(file, directoryOffset, directorySize);
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > directory.length || directory.readUInt32LE(p) !== CENTRAL) throw new ZipFormatError(`has a damaged central directory (entry ${i})`);
      const flags = directory.readUInt16LE(p + 8);
      const method = directory.readUInt16LE(p + 10);
      const crc = directory.readUInt32LE(p + 16);
      let compressedSize = directory.readUInt32LE(p + 20);
      let size = directory.readUInt32LE(p + 24);
      const nameLength = directory.readUInt16LE(p + 28);
      const extraLength = directory.readUInt16LE(p + 30);
      const commentLength = directory.readUInt16LE(p + 32);
      let localHeaderOffset = directory.readUInt32LE(p + 42);
      const name = directory.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLength);
      // zip64: the fields that read 0xffffffff follow in the extra field 0x0001, in this order.
      const extra = directory.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength);
      for (let e = 0; e + 4 <= extra.length; ) {
        const id = extra.readUInt16LE(e);
        const length = extra.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          const next = () => {
            const value = toNumber(extra.readBigUInt64LE(q));
            q += 8;
            return value;
          };
          if (size === 0xffffffff) size = next();
          if (compressedSize === 0xffffffff) compressedSize = next();
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
        }
        e += 4 + length;
      }
      entries.set(name, { name, method, compressedSize, size, crc, localHeaderOffset });
      p += 46 + nameLength + extraLength + commentLength;
    }
    return new ZipReader(file, fileSize, entries);
  }

  /** The bytes of one member, inflated if need be and checked against its CRC-32. */
  async read(entry: ZipEntry): Promise<Buffer> {
    const local = await readAt(this.file, entry.localHeaderOffset, 30);
    if (local.length < 30 || local.readUInt32LE(0) !== LOCAL) throw new ZipFormatError(`has a damaged local header for ${entry.name}`);
    // The local extra field may differ from the central one (writers pad it to align the data).
    const start = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (start + entry.compressedSize > this.fileSize) throw new ZipFormatError(`is truncated: ${entry.name} runs past the end of the file`);
    const raw = await readAt(this.file, start, entry.compressedSize);
    let data: Buffer;
    if (entry.method === 0) data = raw;
    else if (entry.method === 8) {
      try {
        data = inflateRawSync(raw);
      } catch (error) {
        throw new ZipFormatError(`has a damaged deflated member ${entry.name} (${(error as Error).message})`);
      }
    } else throw new ZipFormatError(`stores ${entry.name} with compression method ${entry.method}; only stored and deflated members are supported`);
    if (data.length !== entry.size) throw new ZipFormatError(`has ${entry.name} of ${data.length} bytes where its directory says ${entry.size}`);
    if (crc32(data) >>> 0 !== entry.crc >>> 0) throw new ZipFormatError(`has ${entry.name} damaged (its CRC-32 does not match)`);
    return data;
  }
}

/** Whether the bytes start as a zip archive does (a local header, or the end record of an empty one). */
export function looksLikeZip(head: Buffer): boolean {
  return head.length >= 4 && (head.readUInt32LE(0) === LOCAL || head.readUInt32LE(0) === EOCD);
}

export async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buffer : buffer.subarray(0, done);
}

function toNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError('has a size or offset beyond 2^53');
  return Number(value);
}
