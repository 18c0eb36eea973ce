import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compareRunFolders } from '../../../src/pipeline/compare-run-folders.js';
import { launchChromium, openLocalPage } from '../../helpers/browser.js';
import { repoRoot } from '../../helpers/run-cli.js';
import { type SyntheticRunSpec, writeSyntheticRun } from '../../helpers/synthetic-runs.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const pairs: SyntheticRunSpec['pairs'] = [
  { stamp: 'p0', binIndex: 0, border: 'no-border' },
  { stamp: 'p1', binIndex: 0, border: 'no-border' },
  { stamp: 'p2', binIndex: 0, border: 'border' },
  { stamp: 'p3', binIndex: 1, border: 'no-border' },
  { stamp: 'p4', binIndex: 1, border: 'border' },
];
const models = (offset: number): SyntheticRunSpec['models'] => [
  { name: 'PConv', kind: 'pconv', psnr: [24 + offset, 25, 23 + offset, 21, 20 + offset] },
  { name: 'Conv (baseline)', kind: 'conv', psnr: [22, 22 + offset, 21, 20 - offset, 18] },
  { name: 'Telea <OpenCV>', kind: 'classical', psnr: [20, 20, 19, 18, 17] },
];

describe('the compare page', () => {
  test('opens in a real Chromium without console errors or network requests, with every table filled', async () => {
    const dir = await tempDir();
    await writeSyntheticRun(join(dir, 'seed1'), { seed: 1, pairs, models: models(0) });
    await writeSyntheticRun(join(dir, 'seed2'), { seed: 2, pairs, models: models(0.5) });
    // Another config on part of the pairs (p4 is not there, p9 is its own), scoring a published model too.
    await writeSyntheticRun(join(dir, 'wider'), {
      seed: 1,
      config: { model: { baseChannels: 16 } },
      pairs: [...pairs.slice(0, 4), { stamp: 'p9', binIndex: 1, border: 'border' }],
      models: [...models(1), { name: 'PConv-Keras', kind: 'published', psnr: [23, 23, 22, 20, 19] }],
    });
    const { page: path } = await compareRunFolders({ runDirs: ['seed1', 'seed2', 'wider'].map((r) => join(dir, r)), out: join(dir, 'compare') });
    const html = await readFile(path, 'utf8');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/);
    const { page, errors } = await openLocalPage(browser, path);
    expect(errors).toEqual([]);

    expect(await page.textContent('h1')).toBe('pconv-bench compare: seed1, seed2, wider');
    const notes = await page.$$eval('#notes .note', (ps) => ps.map((p) => p.textContent));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^The runs did not score the same pairs: mask sets differ \(seed1 and seed2: sha256 \w{12}, wider: sha256 \w{12}\)\. Every number here is on the 4 pairs they share \(seed1: 4 of 5, seed2: 4 of 5, wider: 4 of 5\)\.$/,
    );
    expect(await page.$$eval('table.runs tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-run')))).toEqual(['seed1', 'seed2', 'wider']);
    const labels = ['seed1', 'seed2'].flatMap((r) => ['PConv', 'Conv (baseline)', 'Telea <OpenCV>'].map((m) => `${r}/${m}`));
    labels.push('wider/PConv', 'wider/Conv (baseline)', 'wider/Telea <OpenCV>', 'wider/PConv-Keras');
    for (const metric of ['l1Hole', 'l1', 'psnr', 'ssim']) {
      // Three cells: the shared pairs fill (0.01, 0.3] with and without border and (0.3, 0.6] without.
      const headers = await page.$$eval(`table.metric[data-metric="${metric}"] thead th`, (ths) => ths.map((th) => th.textContent));
      expect(headers).toEqual(['run/model', '(0.01, 0.3]', '(0.3, 0.6]', 'no border', 'border', 'no border']);
      const rows = await page.$$eval(`table.metric[data-metric="${metric}"] tbody tr`, (trs) =>
        trs.map((tr) => [tr.querySelector('th')?.textContent, tr.querySelectorAll('td').length]),
      );
      expect(rows).toEqual(labels.map((label) => [label, 3]));
      // The same model across runs: 3 pairs of runs for the three shared models.
      expect(await page.$$eval(`table.paired[data-metric="${metric}"] tbody tr`, (trs) => trs.length)).toBe(9);
      // One seed group (seed1, seed2): three models' spread, PConv minus the two others.
      const seedRows = await page.$$eval(`table.seeds[data-metric="${metric}"] tbody tr`, (trs) => trs.map((tr) => tr.querySelector('th')?.textContent));
      expect(seedRows).toEqual([
        'PConv: run means',
        'Conv (baseline): run means',
        'Telea <OpenCV>: run means',
        'PConv − Conv (baseline)',
        'PConv − Telea <OpenCV>',
      ]);
    }
    // PSNR of seed1/PConv on p0 and p1 (24 and 25): 24.50.
    expect(await page.textContent('table.metric[data-metric="psnr"] tbody tr:first-child td:first-of-type')).toMatch(/^24\.50±/);
    // Between the seeds, pair by pair on p0, p1: +0.5 and 0.
    expect(await page.textContent('table.paired[data-metric="psnr"] tr[data-run="seed2"][data-against="seed1"][data-model="PConv"] td')).toMatch(/^\+0\.25/);
    expect(await page.$$eval('.seed-group h3', (hs) => hs.map((h) => h.textContent))).toEqual(['seed1 (seed 1), seed2 (seed 2)']);
    expect(await page.$$eval('table.config tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)))).toEqual([
      ['model', 'unset', 'unset', '{"baseChannels":16}'],
      ['seed', '1', '2', '1'],
    ]);
    expect(await page.textContent('footer')).toContain('A pair is shared when every run scored it with every one of its models');
    mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'test-artifacts', 'compare.png'), fullPage: true });
    await page.close();
  });
});
