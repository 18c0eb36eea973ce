import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CompareSchema } from '../../src/protocol/compare.js';
import { ResultsSchema } from '../../src/protocol/results.js';
import { cliEvents, runCli } from '../helpers/run-cli.js';
import { smokeConfigOnSplitFolders } from '../helpers/split-folders.js';
import { writeSyntheticRun } from '../helpers/synthetic-runs.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();
const wasm = ['--backend', 'wasm'];

/**
 * Three real runs of configs/smoke.yaml on a folder per split: A (seed 1) by `run`; B by `run` with
 * train.seed 2 (training's own seed: the same test masks as A, drawn from the master seed); C, A's
 * checkpoints evaluated on a larger mask set (masks.perBin 5), which shares only some pairs with A
 * and B (mask k goes with test image k mod n).
 */
let dir: string;
const run = (name: string) => join(dir, name);

async function folderConfigs(): Promise<void> {
  const smoke = await smokeConfigOnSplitFolders(dir);
  expect(smoke).toContain('seed: 1\n');
  expect(smoke).toContain('  perBin: 4\n');
  await writeFile(join(dir, 'seed1.yaml'), smoke);
  await writeFile(join(dir, 'seed2.yaml'), smoke.replace('train:\n', 'train:\n  seed: 2\n'));
  await writeFile(join(dir, 'more-masks.yaml'), smoke.replace('  perBin: 4\n', '  perBin: 5\n'));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pconv-bench-compare-'));
  await folderConfigs();
  const steps: string[][] = [
    ['run', join(dir, 'seed1.yaml'), '--run', run('A'), ...wasm],
    ['run', join(dir, 'seed2.yaml'), '--run', run('B'), ...wasm],
    ['masks', join(dir, 'more-masks.yaml'), '--out', run('C'), '--force'],
    ['eval', join(dir, 'more-masks.yaml'), '--run', run('C'), ...wasm],
  ];
  for (const args of steps) {
    if (args[0] === 'masks') await cp(run('A'), run('C'), { recursive: true });
    const done = await runCli(args);
    expect(done.code, `${args.join(' ')}: ${done.stderr}`).toBe(0);
  }
}, 400_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const readCompare = async (out: string) => CompareSchema.parse(JSON.parse(await readFile(join(out, 'compare.json'), 'utf8')));

describe('pconv-bench compare (end to end)', () => {
  test('two seeds on the same pairs: the same numbers as each run reports, the seeds found, and a page and compare.json written', async () => {
    const out = join(await tempDir(), 'a-vs-b');
    const done = await runCli(['compare', run('A'), run('B'), '--out', out]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toBe(`compare: ${join(out, 'index.html')}\ncompare.json: ${join(out, 'compare.json')}\n`);
    expect(done.stderr).toContain('compared A, B on 24 shared pairs; seeds: A, B differ only in their seed');
    expect(done.stderr).not.toContain('note:');
    // The page, compare.json and a PNG per chart: nothing temporary left beside them.
    expect((await readdir(out)).sort()).toEqual(['assets', 'compare.json', 'index.html']);
    // Per metric and subset: each run's means, the differences between the runs, the seed group's.
    const charts = ['means', 'between-runs', 'seeds-1'].flatMap((kind) =>
      ['l1Hole', 'l1', 'psnr', 'ssim'].flatMap((metric) => [`${kind}-${metric}-no-border.png`, `${kind}-${metric}-border.png`]),
    );
    expect((await readdir(join(out, 'assets'))).sort()).toEqual(charts.sort());
    const compare = await readCompare(out);
    expect(compare.sharedPairs).toBe(24);
    expect(compare.notes).toEqual([]);
    expect(compare.configDifferences).toEqual([{ key: 'train.seed', values: [null, '2'], ignoredForSeeds: false }]);
    // Every pair shared: each run's rows are its own results.json's, number for number.
    for (const name of ['A', 'B']) {
      const results = ResultsSchema.parse(JSON.parse(await readFile(join(run(name), 'results.json'), 'utf8')));
      const rows = compare.rows.filter((r) => r.run === name).map(({ model, bin, binIndex, border, metrics }) => ({ model, bin, binIndex, border, metrics }));
      expect(rows).toEqual(results.rows);
    }
    const [seeds] = compare.seedGroups;
    expect(seeds?.runs).toEqual(['A', 'B']);
    expect(seeds?.seeds).toEqual([1, 2]);
    expect(seeds?.models).toEqual(['PConv', 'Conv (baseline)', 'Telea (OpenCV, radius 3)']);
    // Per bin and subset: each model's spread across the seeds, and PConv minus each other model in each seed.
    expect(seeds?.spread).toHaveLength(6 * 4 * 3);
    expect(seeds?.effects).toHaveLength(6 * 4 * 2);
    const pconv = seeds?.spread.find((s) => s.model === 'PConv' && s.metric === 'psnr' && s.binIndex === 0 && s.border === 'no-border');
    const a = compare.rows.find((r) => r.label === 'A/PConv' && r.binIndex === 0 && r.border === 'no-border')?.metrics.psnr.mean;
    const b = compare.rows.find((r) => r.label === 'B/PConv' && r.binIndex === 0 && r.border === 'no-border')?.metrics.psnr.mean;
    expect(pconv?.runMeans).toEqual([a, b]);
    expect(pconv?.sd).toBeCloseTo(Math.abs((a as number) - (b as number)) / Math.SQRT2, 12);
    // Telea does not depend on the seed.
    expect(seeds?.spread.filter((s) => s.model === 'Telea (OpenCV, radius 3)').every((s) => s.sd === 0)).toBe(true);
    const html = await readFile(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<h2 id="seeds">Seeds</h2>');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/);
  });

  test('runs on other pairs: restricted to the shared ones, said on stderr and on the page; --json gives start, result, end', async () => {
    const out = join(await tempDir(), 'abc');
    const done = await runCli(['compare', run('A'), run('B'), run('C'), '--out', out, '--json']);
    expect(done.code, done.stderr).toBe(0);
    const events = cliEvents(done.stdout);
    expect(events.map((e) => e.type)).toEqual(['start', 'log', 'log', 'result', 'end']);
    const result = events.find((e) => e.type === 'result');
    expect(result).toMatchObject({ command: 'compare', data: { page: join(out, 'index.html'), json: join(out, 'compare.json') } });
    const compare = await readCompare(out);
    expect(compare.runs.map((r) => r.pairs)).toEqual([24, 24, 30]);
    expect(compare.sharedPairs).toBeGreaterThan(0);
    expect(compare.sharedPairs).toBeLessThan(24);
    expect(result?.type === 'result' && result.data.sharedPairs).toBe(compare.sharedPairs);
    const note = `The runs did not score the same pairs: mask sets differ (A and B: sha256 ${compare.runs[0]?.manifestSha256.slice(0, 12)}, C: sha256 ${compare.runs[2]?.manifestSha256.slice(0, 12)}). Every number here is on the ${compare.sharedPairs} pairs they share (A: ${compare.sharedPairs} of 24, B: ${compare.sharedPairs} of 24, C: ${compare.sharedPairs} of 30).`;
    expect(compare.notes).toEqual([note]);
    expect(done.stderr).toContain(`note: ${note}`);
    expect(await readFile(join(out, 'index.html'), 'utf8')).toContain(`<p class="note">${note}</p>`);
    // C has another masks.perBin: not a seed of A and B.
    expect(compare.seedGroups.map((g) => g.runs)).toEqual([['A', 'B']]);
    expect(compare.configDifferences.map((d) => [d.key, d.values])).toEqual([
      ['masks.perBin', ['4', '4', '5']],
      ['train.seed', [null, '2', null]],
    ]);
    // The same checkpoints on the same pairs: C/PConv minus A/PConv is 0 on every pair.
    const same = compare.paired.filter((p) => p.model === 'PConv' && p.run === 'C' && p.against === 'A');
    expect(same.length).toBeGreaterThan(0);
    expect(same.every((p) => p.difference.mean === 0 && p.difference.std === 0)).toBe(true);
  });

  test('bad inputs: one run, a missing folder, no results.json, no shared pairs; each names the run folder', async () => {
    const scratch = await tempDir();
    const out = join(scratch, 'out');
    const one = await runCli(['compare', run('A'), '--out', out]);
    expect(one.code).toBe(1);
    expect(one.stderr).toContain(`error: compare needs at least two run folders; got only ${run('A')}`);

    const missing = await runCli(['compare', run('A'), join(scratch, 'nowhere'), '--out', out]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`error: run folder ${join(scratch, 'nowhere')} does not exist`);

    const unevaluated = join(scratch, 'unevaluated');
    await cp(join(run('A'), 'masks'), join(unevaluated, 'masks'), { recursive: true });
    const noResults = await runCli(['compare', run('A'), unevaluated, '--out', out, '--json']);
    expect(noResults.code).toBe(1);
    expect(cliEvents(noResults.stdout).find((e) => e.type === 'error')).toMatchObject({
      code: 'COMPARE_NO_RESULTS',
      message: `run ${unevaluated} has no results.json: run \`pconv-bench eval\` first`,
    });

    // A run of other pairs altogether (schema-valid files, no training).
    const elsewhere = join(scratch, 'elsewhere');
    await writeSyntheticRun(elsewhere, {
      pairs: [{ stamp: 'not-a-pair-of-A', binIndex: 0, border: 'no-border' }],
      models: [{ name: 'PConv', kind: 'pconv', psnr: [20] }],
    });
    const none = await runCli(['compare', run('A'), elsewhere, '--out', out]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('error: the runs A, elsewhere share no (image, mask) pairs');
    expect(none.stderr).toContain(`A (${run('A')}): 24 pairs scored, 10 test images`);

    const noOut = await runCli(['compare', run('A'), run('B')]);
    expect(noOut.code).toBe(1);
    expect(noOut.stderr).toContain('Missing required argument: out');
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });
});
