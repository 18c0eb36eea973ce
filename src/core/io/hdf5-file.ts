import { open } from 'node:fs/promises';

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * What makes a file unusable as HDF5 before h5wasm opens it (h5wasm does not fail on a foreign
 * file, only later with HDF5's own diagnostics; a truncated download opens and then fails or reads
 * zeros): no signature at 0, 512, 1024... bytes, or a superblock whose end-of-file address lies
 * past the file's size. Reads a few 64-byte heads, not the file. Undefined when neither.
 */
export async function hdf5FileProblem(path: string): Promise<string | undefined> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      const head = Buffer.alloc(64);
      const { bytesRead } = await file.read(head, 0, 64, at);
      if (!head.subarray(0, 8).equals(SIGNATURE)) continue;
      const version = head[8] as number;
      // Superblock v0/v1: EOF address at 40 / 44 (after base and free-space addresses); v2/v3 at 28.
      const offsetSize = version <= 1 ? (head[13] as number) : (head[9] as number);
      const eofAt = version === 0 ? 40 : version === 1 ? 44 : 28;
      if (offsetSize === 8 && bytesRead >= eofAt + 8) {
        const eof = Number(head.readBigUInt64LE(eofAt));
        const base = Number(head.readBigUInt64LE(version <= 1 ? (version === 0 ? 24 : 28) : 12));
        const needed = (base || at) + eof;
        if (needed > size) return `it is truncated: its HDF5 superblock says ${needed} bytes, the file holds ${size}`;
      }
      return undefined;
    }
    return 'it is not an HDF5 file (no HDF5 signature)';
  } finally {
    await file.close();
  }
}
