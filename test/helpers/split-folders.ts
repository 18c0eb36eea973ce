import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from './run-cli.js';

/**
 * Copies the bundled photos into a folder per split under `dir` (train 37, validation 6, test 10)
 * and returns configs/smoke.yaml's text with data.root replaced by those folders (data.train,
 * data.validation, data.test, relative to a config written in `dir`), so the test images do not
 * depend on the seed.
 */
export async function smokeConfigOnSplitFolders(dir: string): Promise<string> {
  const photos = (await readdir(join(repoRoot, 'data/photos'))).filter((f) => f.endsWith('.png')).sort();
  const counts = { train: 37, validation: 6, test: 10 };
  let next = 0;
  for (const [split, count] of Object.entries(counts)) {
    await mkdir(join(dir, split));
    for (const name of photos.slice(next, next + count)) await copyFile(join(repoRoot, 'data/photos', name), join(dir, split, name));
    next += count;
  }
  const smoke = await readFile(join(repoRoot, 'configs/smoke.yaml'), 'utf8');
  return smoke
    .replace('  root: ../data/photos\n', '  train: train\n  validation: validation\n  test: { dir: test }\n')
    .replace(/ {2}testFraction: .*\n/, '')
    .replace(/ {2}validationFraction: .*\n/, '')
    .replace('../reports', 'reports')
    .replace('./experiment.schema.json', join(repoRoot, 'configs/experiment.schema.json'));
}
