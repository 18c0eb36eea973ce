import { createHash } from 'node:crypto';
import { cp, mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesFingerprint } from '../../src/pipeline/files-fingerprint.js';
import { useTempDirs } from '../helpers/temp-dir.js';

describe('filesFingerprint', () => {
  const tempDir = useTempDirs();
  const fixed = new Date('2026-01-02T03:04:05Z');

  async function folderWith(contents: Record<string, string>): Promise<string> {
    const dir = await tempDir();
    for (const [name, text] of Object.entries(contents)) {
      await writeFile(join(dir, name), text);
      await utimes(join(dir, name), fixed, fixed);
    }
    return dir;
  }

  it('is the same for the same files in another folder (paths are relative to the root)', async () => {
    const a = await folderWith({ 'x.png': 'one', 'y.png': 'two' });
    const b = await tempDir();
    await cp(a, b, { recursive: true, preserveTimestamps: true });
    const files = (dir: string) => [join(dir, 'x.png'), join(dir, 'y.png')];
    expect(await filesFingerprint(files(b), b)).toBe(await filesFingerprint(files(a), a));
  });

  it('changes when a file is replaced under the same name, renamed, or the order changes', async () => {
    const dir = await folderWith({ 'x.png': 'one', 'y.png': 'two' });
    const files = [join(dir, 'x.png'), join(dir, 'y.png')];
    const before = await filesFingerprint(files, dir);

    await writeFile(join(dir, 'x.png'), 'ONE'); // same size, new mtime
    const replaced = await filesFingerprint(files, dir);
    expect(replaced).not.toBe(before);

    await utimes(join(dir, 'x.png'), fixed, fixed);
    expect(await filesFingerprint(files, dir)).toBe(before); // size and mtime back: same identity (documented limit)

    await writeFile(join(dir, 'x.png'), 'longer');
    await utimes(join(dir, 'x.png'), fixed, fixed);
    expect(await filesFingerprint(files, dir)).not.toBe(before); // other size, same mtime

    expect(await filesFingerprint([...files].reverse(), dir)).not.toBe(await filesFingerprint(files, dir));
  });

  it('is sha256 of the lines path, size, mtime (so stage markers written before stay valid), across chunks', async () => {
    const parent = await tempDir();
    const root = join(parent, 'photos');
    const files: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const file = join(root, `class-${i % 7}`, `a fairly long photo name to cross the hash chunks ${i}.jpg`);
      await mkdir(join(root, `class-${i % 7}`), { recursive: true });
      await writeFile(file, 'x'.repeat(i % 5));
      files.push(file);
    }
    await writeFile(join(parent, 'outside.jpg'), 'o');
    files.push(join(parent, 'outside.jpg'), join(root, 'class-1', '..', '.hidden.jpg'));
    await writeFile(join(root, '.hidden.jpg'), 'h');
    const lines = [];
    for (const file of files) {
      const info = await stat(file);
      lines.push(`${relative(root, file)}\t${info.size}\t${Math.round(info.mtimeMs)}`);
    }
    const expected = createHash('sha256').update(lines.join('\n')).digest('hex');
    expect(await filesFingerprint(files, root)).toBe(expected);
    expect(await filesFingerprint(files, `${root}/`)).toBe(expected);
    expect(await filesFingerprint([], root)).toBe(createHash('sha256').update('').digest('hex'));
  });

  it('names the missing file when one has gone', async () => {
    const dir = await folderWith({ 'x.png': 'one' });
    await expect(filesFingerprint([join(dir, 'gone.png')], dir)).rejects.toThrow(/gone\.png/);
  });
});
