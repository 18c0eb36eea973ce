import { mkdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compareRunFolders } from '../../../src/pipeline/compare-run-folders.js';
import type { Compare } from '../../../src/protocol/compare.js';
import { METRIC_NAMES } from '../../../src/protocol/results.js';
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

  describe('charts', () => {
    /** Two seeds of one config and another config, on the same five pairs: every kind of chart, in both subsets. */
    async function comparedSeedsAndConfig(): Promise<{ path: string; compare: Compare; out: string }> {
      const dir = await tempDir();
      await writeSyntheticRun(join(dir, 'seed1'), { seed: 1, pairs, models: models(0) });
      await writeSyntheticRun(join(dir, 'seed2'), { seed: 2, pairs, models: models(0.5) });
      await writeSyntheticRun(join(dir, 'wider'), { seed: 1, config: { model: { baseChannels: 16 } }, pairs, models: models(1) });
      const out = join(dir, 'compare');
      const { page: path, compare } = await compareRunFolders({ runDirs: ['seed1', 'seed2', 'wider'].map((r) => join(dir, r)), out });
      return { path, compare, out };
    }
    const ids = (kind: string) => METRIC_NAMES.flatMap((m) => [`${kind}-${m}-no-border`, `${kind}-${m}-border`]);
    const expectedIds = [...ids('means'), ...ids('between-runs'), ...ids('seeds-1')];

    type ChartLike = {
      data: { labels: string[]; datasets: { label: string; means: (number | null)[]; noise?: (number | null)[] }[] };
      isDatasetVisible(i: number): boolean;
    };
    type Canvas2d = {
      width: number;
      height: number;
      getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
    };

    test("every chart drawn offline, each series a row of its table with that row's numbers, the seed band from the seed SDs", async () => {
      const { path, compare } = await comparedSeedsAndConfig();
      const { page, errors } = await openLocalPage(browser, path);
      expect(errors).toEqual([]);
      expect(await page.$$eval('canvas', (cs) => cs.map((c) => c.id))).toEqual(expectedIds.map((id) => `chart-${id}`));
      // Chart.js drew into every canvas (a blank canvas has only transparent pixels).
      const drawn = await page.$$eval('canvas', (canvases) =>
        canvases.map((element) => {
          const c = element as unknown as Canvas2d;
          const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? [];
          return Array.prototype.some.call(data, (v: number) => v !== 0);
        }),
      );
      expect(drawn).toEqual(expectedIds.map(() => true));

      /** Each dataset of a chart: its label and means, as the page's Chart.js instance holds them. */
      const chartOf = (id: string) =>
        page.$eval(`#chart-${id}`, (el) => {
          const chart = (globalThis as unknown as { Chart: { getChart(el: unknown): ChartLike } }).Chart.getChart(el);
          return { labels: chart.data.labels, datasets: chart.data.datasets.map((d) => ({ label: d.label, means: d.means, noise: d.noise ?? null })) };
        });
      /** A table's rows: header text and each cell's text, by the selector of its rows. */
      const tableOf = (rows: string) =>
        page.$$eval(rows, (trs) =>
          trs.map((tr) => ({ header: tr.querySelector('th')?.textContent ?? '', cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '') })),
        );
      const column = (binIndex: number, border: string) => compare.groups.findIndex((g) => g.binIndex === binIndex && g.border === border);
      const bins = ['(0.01, 0.3]', '(0.3, 0.6]'];
      /** The chart's series are the table's rows, in order, and each point starts its cell as the table prints it. */
      async function matchesTable(id: string, rows: string, border: string, digits: number, sign: boolean) {
        const chart = await chartOf(id);
        const table = await tableOf(rows);
        expect(chart.labels, id).toEqual(bins);
        expect(
          chart.datasets.map((d) => d.label),
          id,
        ).toEqual(table.map((r) => r.header));
        chart.datasets.forEach((dataset, row) => {
          dataset.means.forEach((mean, binIndex) => {
            const cell = table[row]?.cells[column(binIndex, border)];
            if (mean === null) expect(cell ?? '-', `${id} ${dataset.label} ${binIndex}`).toBe('-');
            else
              expect(cell, `${id} ${dataset.label} ${binIndex}`).toMatch(
                new RegExp(`^${sign && mean >= 0 ? '\\+' : ''}${mean.toFixed(digits).replace('.', '\\.')}`),
              );
          });
        });
      }
      const digits = { l1Hole: 3, l1: 3, psnr: 2, ssim: 4 } as const;
      for (const metric of METRIC_NAMES) {
        for (const border of ['no-border', 'border']) {
          await matchesTable(`means-${metric}-${border}`, `table.metric[data-metric="${metric}"] tbody tr`, border, digits[metric], false);
          await matchesTable(`between-runs-${metric}-${border}`, `table.paired[data-metric="${metric}"] tbody tr`, border, digits[metric], true);
          await matchesTable(`seeds-1-${metric}-${border}`, `table.seeds[data-metric="${metric}"] tbody tr.effect`, border, digits[metric], true);
        }
      }
      // seed1/PConv with border: p2 (23) in the first bin, p4 (20) in the second.
      expect((await chartOf('means-psnr-border')).datasets[0]?.means).toEqual([23, 20]);
      // seed2/PConv - seed1/PConv: both of the seed group, so sqrt(2) x PConv's seed SD there; wider is no seed of it.
      const spread = compare.seedGroups[0]?.spread.find((s) => s.model === 'PConv' && s.metric === 'psnr' && s.binIndex === 0 && s.border === 'no-border');
      expect(spread?.sd).toBeGreaterThan(0);
      const between = await chartOf('between-runs-psnr-no-border');
      expect(between.datasets.find((d) => d.label === 'seed2/PConv − seed1/PConv')?.noise?.[0]).toBeCloseTo(Math.SQRT2 * (spread?.sd as number), 12);
      expect(between.datasets.find((d) => d.label === 'wider/PConv − seed1/PConv')?.noise?.[0]).toBeCloseTo(Math.SQRT2 * (spread?.sd as number), 12);

      // A legend item hides its series in both charts of its row, and shows it again.
      const visible = () =>
        page.$$eval('.chart-group[data-kind="means"][data-metric="psnr"] canvas', (cs) =>
          cs.map((el) => (globalThis as unknown as { Chart: { getChart(el: unknown): ChartLike } }).Chart.getChart(el).isDatasetVisible(0)),
        );
      const item = '.chart-group[data-kind="means"][data-metric="psnr"] .legend li[data-series="0"]';
      expect(await page.textContent(item)).toBe('seed1/PConv');
      await page.click(item);
      expect(await visible()).toEqual([false, false]);
      expect(await page.getAttribute(item, 'class')).toBe('off');
      await page.click(item);
      expect(await visible()).toEqual([true, true]);
      expect(errors).toEqual([]);
      mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
      await page.screenshot({ path: join(repoRoot, 'test-artifacts', 'compare-charts.png'), fullPage: true });
      await page.close();
    });

    test('without scripts (the VS Code panel), every chart is its PNG from assets/, without the HTML legend and caption it draws itself', async () => {
      const { path, out } = await comparedSeedsAndConfig();
      expect((await readdir(join(out, 'assets'))).sort()).toEqual(expectedIds.map((id) => `${id}.png`).sort());
      const { page, errors } = await openLocalPage(browser, path, { scripts: false });
      const images = await page.$$eval('figure.chart img', (imgs) =>
        imgs.map((img) => ({ complete: img.complete, width: img.naturalWidth, shown: img.getBoundingClientRect().height })),
      );
      expect(images).toHaveLength(expectedIds.length);
      for (const image of images) expect(image).toMatchObject({ complete: true, width: 560, shown: expect.any(Number) });
      expect(images.every((image) => image.shown > 320)).toBe(true);
      // The PNGs are the files in assets/.
      const first = await page.$eval('figure.chart img', (img) => img.getAttribute('src'));
      expect(first).toBe(`data:image/png;base64,${(await readFile(join(out, 'assets', `${expectedIds[0]}.png`))).toString('base64')}`);
      expect(
        await page.$$eval('.legend, figure.chart figcaption', (els) =>
          els.every((el) => (globalThis as unknown as { getComputedStyle(el: unknown): { display: string } }).getComputedStyle(el).display === 'none'),
        ),
      ).toBe(true);
      expect(errors).toEqual([]);
      mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
      await page.screenshot({ path: join(repoRoot, 'test-artifacts', 'compare-no-scripts.png'), fullPage: true });
      await page.close();
    });
  });
});
