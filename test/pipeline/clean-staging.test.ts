import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cleanStaging } from '../../src/pipeline/clean-staging.js';
import { configDifferences } from '../../src/pipeline/config-differences.js';
import { runLayout } from '../../src/protocol/run-layout.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();
/** A process id that no process has (Linux's pid_max is at most 2^22). */
const DEAD = 2 ** 22 + 777;

describe('cleanStaging', () => {
  test("removes a dead process's staging folders and temporary files, keeps a live one's, and puts back a folder whose replacement never arrived", async () => {
    const dir = await tempDir();
    const layout = runLayout(dir);
    await mkdir(join(dir, `.masks.staging-${DEAD}-00aa11bb`));
    await mkdir(join(dir, `.masks.staging-${process.pid}-00aa11bb`));
    await mkdir(join(layout.modelCheckpoints('pconv'), `.latest.staging-${DEAD}-deadbeef`), { recursive: true });
    await writeFile(join(dir, `.results.json.${DEAD}.0badf00d.tmp`), '{');
    await mkdir(layout.stagesDir);
    await writeFile(join(layout.stagesDir, `.eval.json.${DEAD}.12345678.tmp`), '{');
    // replaceDir interrupted between its renames: the aside copy is the only one left.
    await mkdir(join(layout.modelCheckpoints('conv'), `latest.old-${DEAD}-01020304`), { recursive: true });
    await writeFile(join(layout.modelCheckpoints('conv'), `latest.old-${DEAD}-01020304`, 'checkpoint.json'), 'kept');
    // ... and one whose replacement did arrive: the aside copy goes.
    await mkdir(join(layout.modelCheckpoints('conv'), 'phase1'));
    await mkdir(join(layout.modelCheckpoints('conv'), `phase1.old-${DEAD}-0a0b0c0d`));
    // Names that only look similar are not touched.
    await writeFile(join(dir, 'notes.staging-12-ab.txt'), 'mine');

    const done = await cleanStaging(layout);
    expect(done).toHaveLength(6);
    expect((await readdir(dir)).sort()).toEqual([`.masks.staging-${process.pid}-00aa11bb`, 'checkpoints', 'notes.staging-12-ab.txt', 'stages']);
    expect(await readdir(layout.stagesDir)).toEqual([]);
    expect(await readdir(layout.modelCheckpoints('pconv'))).toEqual([]);
    expect((await readdir(layout.modelCheckpoints('conv'))).sort()).toEqual(['latest', 'phase1']);
    expect(await readFile(join(layout.checkpoint('conv', 'latest'), 'checkpoint.json'), 'utf8')).toBe('kept');
    expect(await cleanStaging(layout)).toEqual([]);
  });

  test("a dead process's temporary files inside a sample group's folder are removed too, the pictures kept", async () => {
    const dir = await tempDir();
    const layout = runLayout(dir);
    const group = join(layout.evalSamplesDir, '0-no-border');
    await mkdir(group, { recursive: true });
    await writeFile(join(group, 'input.png'), 'picture');
    await writeFile(join(group, `.pconv.png.${DEAD}.0badf00d.tmp`), 'half a picture');
    await writeFile(join(group, `.target.png.${process.pid}.0badf00d.tmp`), 'being written');
    expect(await cleanStaging(layout)).toEqual([`removed ${join(group, `.pconv.png.${DEAD}.0badf00d.tmp`)}, left by pid ${DEAD}`]);
    expect((await readdir(group)).sort()).toEqual([`.target.png.${process.pid}.0badf00d.tmp`, 'input.png']);
  });

  test('a run folder that does not exist yet has nothing to clean', async () => {
    expect(await cleanStaging(runLayout(join(await tempDir(), 'new')))).toEqual([]);
  });
});

describe('configDifferences', () => {
  test('names each changed, added and removed key by its dotted path', () => {
    const before = { seed: 1, train: { phase1: { learningRate: 2e-4, steps: 20 }, batchSize: 2 }, masks: { bins: [[0, 0.1]] } };
    const after = { seed: 1, train: { phase1: { learningRate: 1e-4, steps: 20 } }, masks: { bins: [[0, 0.2]] }, extra: true };
    expect(configDifferences(before, after)).toEqual([
      'extra: unset -> true',
      'masks.bins: [[0,0.1]] -> [[0,0.2]]',
      'train.batchSize: 2 -> unset',
      'train.phase1.learningRate: 0.0002 -> 0.0001',
    ]);
    expect(configDifferences(before, structuredClone(before))).toEqual([]);
  });
});
