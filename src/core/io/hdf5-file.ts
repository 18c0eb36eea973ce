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

/** An HDF5 group or dataset as h5wasm shows it, as far as the weight readers look at one. */
export interface H5Node {
  keys?(): string[];
  get?(path: string): H5Node | null;
  attrs?: Record<string, { value: unknown }>;
  shape?: number[] | null;
  value?: unknown;
}

/** An HDF5 file open for reading: its root group; close it when done. */
export interface H5File extends H5Node {
  close(): unknown;
}

/**
 * Opens an HDF5 file for reading with h5wasm, after hdf5FileProblem's checks. A file that fails
 * them, or that HDF5 cannot open, is thrown as `fail(why)`, with why in words ("it is not an HDF5
 * file (...)", "HDF5 cannot open it (...)") for the caller's own error.
 */
export async function openHdf5File(path: string, fail: (why: string) => Error): Promise<H5File> {
  const problem = await hdf5FileProblem(path);
  if (problem) throw fail(problem);
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  try {
    return new h5wasm.File(path, 'r') as unknown as H5File;
  } catch (error) {
    throw fail(`HDF5 cannot open it (${(error as Error).message})`);
  }
}

/** The group of a Keras weights file that holds the layers: model_weights/ in a whole saved model (model.save), else the root. */
export function kerasLayersGroup(root: H5Node): H5Node {
  return root.keys?.().includes('model_weights') ? (root.get?.('model_weights') as H5Node) : root;
}
