import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ResultsSchema } from '../../src/protocol/results.js';
import { runCli } from '../helpers/run-cli.js';
import { smokeConfigOnSplitFolders } from '../helpers/split-folders.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

/** configs/smoke.yaml with data.root replaced by a folder per split (relative to the config). */
async function folderConfig(dir: string): Promise<string> {
  const text = await smokeConfigOnSplitFolders(dir);
  expect(text).toContain('  train: train\n');
  const config = join(dir, 'folders.yaml');
  await writeFile(config, text);
  return config;
}

describe('pconv-bench run with data.train, data.validation and data.test (issue 17)', () => {
  test('trains on the train folder and tests on every image of the test folder', async () => {
    const dir = await tempDir();
    const config = await folderConfig(dir);
    const run = join(dir, 'run');
    const done = await runCli(['run', config, '--run', run, '--backend', 'wasm']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain('images: 37 train, 6 validation, 10 test');
    const results = ResultsSchema.parse(JSON.parse(await readFile(join(run, 'results.json'), 'utf8')));
    expect(results.images.count).toBe((await readdir(join(dir, 'test'))).length);
    expect(results.images.count).toBe(10);

    // Moving the photos' folders keeps the run up to date (names below each folder are compared, not where it is).
    const moved = join(dir, 'moved');
    await mkdir(moved);
    const text = (await readFile(config, 'utf8')).replace('train: train', `train: ${join(dir, 'train')}`);
    await writeFile(
      join(moved, 'folders.yaml'),
      text.replace('validation: validation', `validation: ${join(dir, 'validation')}`).replace('dir: test', `dir: ${join(dir, 'test')}`),
    );
    const again = await runCli(['run', join(moved, 'folders.yaml'), '--run', run, '--backend', 'wasm']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('train-pconv up to date, train-conv up to date, eval up to date');

    // A test image that is also a training image stops the run before anything is written.
    await symlink(join(dir, 'train', (await readdir(join(dir, 'train')))[0] as string), join(dir, 'test', 'zz-leak.png'));
    const leaked = await runCli(['run', config, '--run', join(dir, 'run2'), '--backend', 'wasm']);
    expect(leaked.code).toBe(1);
    expect(leaked.stderr).toContain(`a test image is also a training image: ${join(dir, 'test', 'zz-leak.png')} is the same file as ${join(dir, 'train')}`);
  });
});
