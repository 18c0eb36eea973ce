import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { cliEvent, repoRoot, runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

/** configs/smoke.yaml with `edit` applied, written into a fresh folder. */
async function smokeConfig(edit: (text: string) => string): Promise<string> {
  const dir = await tempDir();
  const file = join(dir, 'c.yaml');
  await writeFile(file, edit(await readFile(join(repoRoot, 'configs/smoke.yaml'), 'utf8')));
  return file;
}

/** A mask PNG, white = valid, whose first `holes` pixels (row by row) are black. */
async function maskPng(file: string, size: number, holes: number): Promise<void> {
  const raw = Buffer.alloc(size * size, 255);
  raw.fill(0, 0, holes);
  await sharp(raw, { raw: { width: size, height: size, channels: 1 } })
    .png()
    .toFile(file);
}

describe('messages of bad input (issue 16, fault 8)', () => {
  test.each(['-32', '0'])('imageSize %s is one problem, with no margin "below" a negative number', async (size) => {
    const file = await smokeConfig((text) => text.replace('imageSize: 32', `imageSize: ${size}`));
    const run = await runCli(['config', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file}: 1 problem`);
    expect(run.stderr).toContain('data.imageSize: Too small: expected number to be >=8');
    expect(run.stderr).not.toContain('margin');
  });

  test('masks import says which sizes and hole ratios it skipped, with their numbers', async () => {
    const dir = await tempDir();
    const masks = join(dir, 'in');
    await mkdir(masks);
    await maskPng(join(masks, 'good-1.png'), 32, 200); // 19.5% hole: bin (0.1, 0.3]
    await maskPng(join(masks, 'good-2.png'), 32, 250);
    for (const name of ['small-1', 'small-2', 'small-3']) await maskPng(join(masks, `${name}.png`), 16, 50);
    await maskPng(join(masks, 'no-hole.png'), 32, 0);
    const run = await runCli(['masks', 'import', masks, '--polarity', 'hole-black', '--config', 'configs/smoke.yaml', '--out', join(dir, 'out')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('skipped 4 of 6 files: 3 x size 16x16, expected 32x32; 1 x hole ratio 0.0000 lies in no bin');
    expect(run.stderr).not.toMatch(/\bN\b/);
  });

  test('a YAML alias bomb is exit 1 naming the file, not an internal error', async () => {
    let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    let previous = 'a';
    for (const name of 'bcdefghi') {
      bomb += `${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]\n`;
      previous = name;
    }
    const file = await smokeConfig((text) => `${bomb}${text}description: *i\n`);
    const run = await runCli(['config', file, '--json']);
    expect(run.code).toBe(1);
    const error = cliEvent(run.stdout, 'error');
    expect(error).toMatchObject({
      code: 'CONFIG_INVALID',
      problems: [{ file, line: 2, column: 8, message: expect.stringContaining('YAML aliases expand to too much data') }],
    });
    const undefinedAlias = await smokeConfig((text) => `${text}description: *nope\n`);
    const human = await runCli(['config', undefinedAlias]);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('YAML alias *nope has no anchor &nope before it');
  });
});
