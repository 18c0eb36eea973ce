import { createHash } from 'node:crypto';
import { type Stats, stat } from 'node:fs';
import { relative, resolve } from 'node:path';

/** Stats in flight at once: enough to keep libuv's threads busy on a network file system. */
const IN_FLIGHT = 64;
/** Characters of text handed to the hash at a time. */
const CHUNK = 1 << 16;

/** Calls `each` with every file's stats, in any order; rejects with the first error. */
function statAll(files: readonly string[], each: (index: number, info: Stats) => void): Promise<void> {
  return new Promise((done, fail) => {
    let next = 0;
    let finished = 0;
    let failed = false;
    // Callback stat rather than fs/promises behind a limiter: at a million files the promise per
    // file and the limiter's queue cost more time and memory than the stats themselves.
    const start = () => {
      const index = next++;
      stat(files[index] as string, (error, info) => {
        if (failed) return;
        if (error) {
          failed = true;
          fail(error);
          return;
        }
        each(index, info);
        if (++finished === files.length) done();
        else if (next < files.length) start();
      });
    };
    if (files.length === 0) done();
    for (let i = 0; i < Math.min(IN_FLIGHT, files.length); i++) start();
  });
}

/**
 * A cheap identity of a list of data files: each file's path below `root`, byte size and
 * modification time. Stage markers include it so that replacing a photo under the same name
 * makes `run` train and evaluate again. Size and mtime rather than content: hashing every byte
 * of an ImageNet-sized folder on each `run` would cost minutes; this is the check make uses.
 *
 * The digest is sha256 of the lines `path\tsize\tmtime` joined by newlines, fed to the hash in
 * chunks so that no string of the whole list is ever built.
 */
export async function filesFingerprint(files: readonly string[], root: string): Promise<string> {
  const sizes = new Float64Array(files.length);
  const mtimes = new Float64Array(files.length);
  await statAll(files, (i, info) => {
    sizes[i] = info.size;
    mtimes[i] = Math.round(info.mtimeMs);
  });
  const prefix = `${resolve(root)}/`.replace(/\/+$/, '/');
  const hash = createHash('sha256');
  let text = '';
  for (let i = 0; i < files.length; i++) {
    const file = files[i] as string;
    const rest = file.startsWith(prefix) ? file.slice(prefix.length) : '';
    // The quick path only for plain paths under root; relative() normalises anything else.
    const rel = rest !== '' && !rest.includes('/.') && !rest.startsWith('.') && !rest.includes('//') && !rest.endsWith('/') ? rest : relative(root, file);
    text += `${i === 0 ? '' : '\n'}${rel}\t${sizes[i]}\t${mtimes[i]}`;
    if (text.length >= CHUNK) {
      hash.update(text);
      text = '';
    }
  }
  hash.update(text);
  return hash.digest('hex');
}
