import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compareRunFolders, configDifferenceTable, findSeedGroups, runNames } from '../../src/pipeline/compare-run-folders.js';
import { CompareSchema } from '../../src/protocol/compare.js';
import { runLayout } from '../../src/protocol/run-layout.js';
import { type SyntheticRunSpec, writeSyntheticRun } from '../helpers/synthetic-runs.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { userErrorOf } from '../helpers/user-error.js';

const tempDir = useTempDirs();

const pairs: SyntheticRunSpec['pairs'] = [
  { stamp: 'a', binIndex: 0, border: 'no-border' },
  { stamp: 'b', binIndex: 0, border: 'border' },
  { stamp: 'c', binIndex: 1, border: 'no-border' },
];
const spec = (seed: number, offset: number, config: Record<string, unknown> = {}): SyntheticRunSpec => ({
  seed,
  config: { data: { imageSize: 16 }, output: { dir: `/out/${seed}` }, ...config },
  pairs,
  models: [
    { name: 'PConv', kind: 'pconv', psnr: [20 + offset, 21 + offset, 22 + offset] },
    { name: 'Conv (baseline)', kind: 'conv', psnr: [18, 19 + offset, 20] },
  ],
});

describe('runNames', () => {
  test("each run by the shortest tail of its path that no other run's ends with", () => {
    expect(runNames(['/r/a', '/r/b'])).toEqual(['a', 'b']);
    expect(runNames(['/x/seed1/run', '/x/seed2/run', '/y/other'])).toEqual(['seed1/run', 'seed2/run', 'other']);
  });
});

describe('configDifferenceTable and findSeedGroups', () => {
  const configs = [
    { name: 'a', seed: 1, output: { dir: '/o/a' }, train: { steps: 20 } },
    { name: 'b', seed: 2, output: { dir: '/o/b' }, train: { steps: 20 } },
    { name: 'c', seed: 1, train: { steps: 40 }, extra: true },
    { name: 'd', seed: 3, output: { dir: '/o/d' }, train: { steps: 20 } },
  ];

  test("lists every key that differs between any runs, with each run's value (null: unset)", () => {
    expect(configDifferenceTable(configs)).toEqual([
      { key: 'extra', values: [null, null, 'true', null], ignoredForSeeds: false },
      { key: 'name', values: ['"a"', '"b"', '"c"', '"d"'], ignoredForSeeds: true },
      // c has no output at all: the whole value differs from a's, and a's output.dir from b's and d's.
      { key: 'output', values: ['{"dir":"/o/a"}', '{"dir":"/o/b"}', null, '{"dir":"/o/d"}'], ignoredForSeeds: true },
      { key: 'output.dir', values: ['"/o/a"', '"/o/b"', null, '"/o/d"'], ignoredForSeeds: true },
      { key: 'seed', values: ['1', '2', '1', '3'], ignoredForSeeds: false },
      { key: 'train.steps', values: ['20', '20', '40', '20'], ignoredForSeeds: false },
    ]);
  });

  test('groups runs whose configs differ only in seed and keys that change nothing computed', () => {
    expect(findSeedGroups(configs)).toEqual([{ runs: [0, 1, 3], ignoredKeys: ['name', 'output.dir'] }]);
    // One seed twice is no spread across seeds.
    expect(findSeedGroups([configs[0], { ...configs[0], name: 'again' }])).toEqual([]);
  });

  test("train.seed is training's own seed: runs differing in it are seeds; its value, where set, is the run's seed", () => {
    const base = { seed: 1, train: { steps: 20 } };
    const bySeed = [base, { ...base, train: { steps: 20, seed: 2 } }, { ...base, train: { steps: 20, seed: 3 } }];
    expect(findSeedGroups(bySeed)).toEqual([{ runs: [0, 1, 2], ignoredKeys: [] }]);
    // train.seed 1 under seed 1 trains as the run without it: one seed, no spread.
    expect(findSeedGroups([base, { ...base, train: { steps: 20, seed: 1 } }])).toEqual([]);
    // Another training length is not a seed.
    expect(findSeedGroups([base, { seed: 1, train: { steps: 40, seed: 2 } }])).toEqual([]);
  });
});

describe('compareRunFolders', () => {
  test('writes the page and a schema-valid compare.json; runs that differ only in the seed form a group', async () => {
    const dir = await tempDir();
    for (const [i, s] of [spec(1, 0), spec(2, 1), spec(1, 2, { model: { levels: 3 } })].entries()) await writeSyntheticRun(join(dir, `run${i}`), s);
    const out = join(dir, 'compare');
    const done = await compareRunFolders({ runDirs: [0, 1, 2].map((i) => join(dir, `run${i}`)), out });
    expect(done.page).toBe(join(out, 'index.html'));
    const json = CompareSchema.parse(JSON.parse(await readFile(done.json, 'utf8')));
    expect(json.runs.map((r) => r.name)).toEqual(['run0', 'run1', 'run2']);
    expect(json.sharedPairs).toBe(3);
    expect(json.notes).toEqual([]);
    expect(json.seedGroups.map((g) => g.runs)).toEqual([['run0', 'run1']]);
    expect(json.configDifferences.map((d) => d.key)).toEqual(['model', 'output.dir', 'seed']);
    const html = await readFile(done.page, 'utf8');
    expect(html).toContain('<title>pconv-bench compare: run0, run1, run2</title>');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/);
  });

  test("a pair scored again (its photo replaced) counts with the file's last line for it, as the evaluation that wrote results.json did", async () => {
    const dir = await tempDir();
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await writeSyntheticRun(a, spec(1, 0));
    await writeSyntheticRun(b, spec(2, 0));
    const file = join(runLayout(b).scoresDir, 'pconv.jsonl');
    const [header, ...lines] = (await readFile(file, 'utf8')).trimEnd().split('\n');
    // An earlier score of pair 0, of another stamp, kept before the one results.json summarises.
    await writeFile(file, `${[header, '[0,"a-before",9,0.9,90,0.9]', ...lines].join('\n')}\n`);
    const done = await compareRunFolders({ runDirs: [a, b], out: join(dir, 'out') });
    expect(done.compare.sharedPairs).toBe(3);
    expect(done.compare.rows.find((r) => r.label === 'b/PConv' && r.binIndex === 0 && r.border === 'no-border')?.metrics.psnr.mean).toBe(20);
  });

  test('bad inputs: a single run, a missing folder, no results.json, no mask set, no scores, stale scores, no shared pairs, --out on a run', async () => {
    const dir = await tempDir();
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await writeSyntheticRun(a, spec(1, 0));
    await writeSyntheticRun(b, spec(2, 0));
    const out = join(dir, 'out');
    const fails = (runDirs: string[], to = out) => userErrorOf(compareRunFolders({ runDirs, out: to }));

    expect((await fails([a])).message).toBe(`compare needs at least two run folders; got only ${a}`);
    expect((await fails([a, a])).message).toBe(`run folder ${a} is named twice`);
    expect((await fails([a, b], b)).message).toBe(`--out ${b} is one of the compared run folders: the page would replace its report`);
    expect((await fails([a, join(dir, 'nowhere')])).message).toBe(`run folder ${join(dir, 'nowhere')} does not exist`);

    const empty = join(dir, 'empty');
    await mkdir(empty);
    const noResults = await fails([a, empty]);
    expect(noResults.code).toBe('COMPARE_NO_RESULTS');
    expect(noResults.message).toBe(`run ${empty} has no results.json: run \`pconv-bench eval\` first`);

    await rm(runLayout(b).maskManifest);
    expect((await fails([a, b])).message).toBe(`run ${b} has no masks/manifest.json: compare reads each pair's bin and border subset from it`);
    await writeSyntheticRun(b, spec(2, 0));
    await writeFile(runLayout(b).maskManifest, `${await readFile(runLayout(b).maskManifest, 'utf8')} `);
    expect((await fails([a, b])).code).toBe('COMPARE_MASKS_CHANGED');

    await writeSyntheticRun(b, spec(2, 0));
    await rm(join(runLayout(b).scoresDir, 'pconv.jsonl'));
    expect((await fails([a, b])).message).toBe(`run ${b} has no per-pair scores of PConv (scores/pconv.jsonl): run \`pconv-bench eval\` again to write them`);

    // Scores of another evaluation than results.json's.
    await writeSyntheticRun(b, spec(2, 0));
    const file = join(runLayout(b).scoresDir, 'pconv.jsonl');
    await writeFile(file, (await readFile(file, 'utf8')).replace('[0,"a",2,0.2,20,0.2]', '[0,"a",2,0.2,25,0.2]'));
    const stale = await fails([a, b]);
    expect(stale.code).toBe('COMPARE_STALE_SCORES');
    expect(stale.message).toContain(`run ${b}: the per-pair scores of PConv in scores/ are not those its results.json summarises ((0.01, 0.3] no-border, psnr`);

    const other = join(dir, 'other');
    await writeSyntheticRun(other, { ...spec(1, 0), pairs: pairs.map((p) => ({ ...p, stamp: `${p.stamp}-elsewhere` })) });
    const none = await fails([a, other]);
    expect(none.code).toBe('COMPARE_NO_SHARED_PAIRS');
    expect(none.message).toBe('the runs a, other share no (image, mask) pairs');
    // Nothing was written by any refused comparison.
    await expect(readFile(join(out, 'index.html'))).rejects.toThrow(/ENOENT/);
  });
});
