import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { repoRoot } from '../../helpers/run-cli.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();
const run = promisify(execFile);

/**
 * A folder the file system itself refuses (mode 000), not an injected error: the listing goes on
 * and reports it. Root reads any folder whatever its mode, so as root the listing runs in a child
 * process as the unprivileged user 65534 ("nobody"); that is why this runs the built dist/.
 */
test('a folder with mode 000 is skipped and reported, the rest listed', async () => {
  const root = await tempDir();
  const files = Array.from({ length: 12 }, (_, i) => `${['beach', 'city', 'city/night'][i % 3]}/p${i}.jpg`);
  for (const file of files) {
    await mkdir(dirname(join(root, file)), { recursive: true });
    await writeFile(join(root, file), '');
  }
  const locked = join(root, 'city', 'night');
  // The temporary folder is private to its owner; "nobody" must be able to walk into it.
  await chmod(root, 0o755);
  await chmod(locked, 0o000);
  const module = pathToFileURL(join(repoRoot, 'dist/core/data/image-list.js')).href;
  const script = `const { discoverImages } = await import(${JSON.stringify(module)});
const found = await discoverImages({ root: ${JSON.stringify(root)}, include: ['**/*.jpg'], exclude: [] });
process.stdout.write(JSON.stringify(found));`;
  const asRoot = process.getuid?.() === 0;
  try {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], asRoot ? { uid: 65534, gid: 65534 } : {});
    const found = JSON.parse(stdout);
    expect(found.files).toEqual(
      files
        .map((f) => join(root, f))
        .filter((p) => !p.startsWith(`${locked}/`))
        .sort(),
    );
    expect(found.skipped).toEqual([{ path: locked, reason: 'unreadable', code: 'EACCES' }]);
  } finally {
    await chmod(locked, 0o755);
  }
});
