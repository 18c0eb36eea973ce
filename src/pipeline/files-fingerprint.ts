import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import pLimit from 'p-limit';
import { sha256Of } from '../core/io/stable-json.js';

/**
 * A cheap identity of a list of data files: each file's path below `root`, byte size and
 * modification time. Stage markers include it so that replacing a photo under the same name
 * makes `run` train and evaluate again. Size and mtime rather than content: hashing every byte
 * of an ImageNet-sized folder on each `run` would cost minutes; this is the check make uses.
 */
export async function filesFingerprint(files: readonly string[], root: string): Promise<string> {
  const limit = pLimit(16);
  const lines = await Promise.all(
    files.map((file) =>
      limit(async () => {
        const info = await stat(file);
        return `${relative(root, file)}\t${info.size}\t${Math.round(info.mtimeMs)}`;
      }),
    ),
  );
  return sha256Of(lines.join('\n'));
}
