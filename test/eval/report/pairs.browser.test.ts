import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeReport } from '../../../src/eval/report/write-report.js';
import type { Drilldown } from '../../../src/protocol/drilldown.js';
import { launchChromium, openLocalPage } from '../../helpers/browser.js';
import { writeSyntheticDrilldown } from '../../helpers/synthetic-drilldown.js';
import { type SyntheticRunSpec, writeSyntheticRun } from '../../helpers/synthetic-runs.js';

/**
 * The report's drill-down and the table of every pair in a real Chromium, at the paper's 12,000
 * pairs (synthetic scores: 2 bins x 2 subsets, three models): the pages open without errors or
 * network, the table sorts by any column, pages, filters, and links each drill-down pair to its row
 * of pictures in the report, which shows every model's output for it.
 */
let browser: Browser;
const PAIRS = 12_000;
const MODELS = ['PConv', 'Conv (baseline)', 'Telea'] as const;

/** A deterministic spread of PSNRs, with ties (two decimals) and a few pairs a model did not score. */
function spec(): SyntheticRunSpec {
  let seed = 11;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return {
    name: 'twelve-thousand',
    pairs: Array.from({ length: PAIRS }, (_, k) => ({ stamp: `s${k}`, binIndex: k % 2, border: k % 4 < 2 ? 'no-border' : 'border' })),
    models: MODELS.map((name, m) => ({
      name,
      kind: (['pconv', 'conv', 'classical'] as const)[m] ?? 'classical',
      psnr: Array.from({ length: PAIRS }, (_, k) => (m === 1 && k % 1000 === 7 ? null : Math.round((15 + 20 * next()) * 100) / 100)),
    })),
  };
}

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

type Row = { k: number; cells: string[] };
const rowsOf = (page: Page): Promise<Row[]> =>
  page.$$eval('#pairs tbody tr', (trs) => trs.map((tr) => ({ k: Number(tr.getAttribute('data-k')), cells: [...tr.children].map((c) => c.textContent ?? '') })));

describe('the table of pairs and the drill-down (12,000 pairs)', () => {
  let run: string;
  let drilldown: Drilldown;
  const s = spec();

  beforeAll(async () => {
    // One run for every test here (useTempDirs would remove it after the first).
    run = await mkdtemp(join(tmpdir(), 'pconv-bench-pairs-'));
    const results = await writeSyntheticRun(run, s);
    drilldown = await writeSyntheticDrilldown(run, s, results, { masks: true });
    const written = await writeReport(run);
    expect(written.notes).toEqual([]);
  });
  afterAll(async () => {
    await rm(run, { recursive: true, force: true });
  });

  test('pairs.html opens with the first 100 of 12,000 pairs; sorts by any column, either way; pages; filters by group and drill-down', async () => {
    const { page, errors } = await openLocalPage(browser, `${run}/pairs.html`);
    expect(await page.textContent('#status')).toBe('pairs 1\u2013100 of 12000 (page 1 of 120)');
    let rows = await rowsOf(page);
    expect(rows.map((r) => r.k)).toEqual(Array.from({ length: 100 }, (_, k) => k));
    // pair, group, hole ratio, mask, drill-down, then 4 metrics per model.
    expect(rows[0]?.cells).toHaveLength(5 + 4 * MODELS.length);
    expect(rows[0]?.cells[1]).toBe('(0.01, 0.3] no border');

    // PConv's PSNR is the 3rd metric column of the first model: data-col 5 + 2.
    const psnr = (m: number) => `#pairs th[data-col="${5 + 4 * m + 2}"]`;
    const byPsnr = (m: number, direction: 1 | -1) =>
      Array.from({ length: PAIRS }, (_, k) => k)
        .filter((k) => s.models[m]?.psnr[k] !== null)
        .sort((a, b) => ((s.models[m]?.psnr[a] as number) - (s.models[m]?.psnr[b] as number)) * direction || a - b)
        .concat(Array.from({ length: PAIRS }, (_, k) => k).filter((k) => s.models[m]?.psnr[k] === null));
    await page.click(psnr(0));
    expect(await page.getAttribute(psnr(0), 'aria-sort')).toBe('ascending');
    expect((await rowsOf(page)).map((r) => r.k)).toEqual(byPsnr(0, 1).slice(0, 100));
    await page.click(psnr(0));
    expect(await page.getAttribute(psnr(0), 'aria-sort')).toBe('descending');
    expect((await rowsOf(page)).map((r) => r.k)).toEqual(byPsnr(0, -1).slice(0, 100));
    // Unscored pairs (shown "-") come last either way.
    await page.click(psnr(1));
    await page.click('#last');
    rows = await rowsOf(page);
    expect(rows.map((r) => r.k)).toEqual(byPsnr(1, 1).slice(11_900));
    expect(rows.at(-1)?.cells[5 + 4 + 2]).toBe('-');
    expect(await page.textContent('#status')).toBe('pairs 11901\u201312000 of 12000 (page 120 of 120)');
    await page.click('#prev');
    expect((await rowsOf(page)).map((r) => r.k)).toEqual(byPsnr(1, 1).slice(11_800, 11_900));
    await page.click('#first');
    await page.click('#next');
    expect((await rowsOf(page)).map((r) => r.k)).toEqual(byPsnr(1, 1).slice(100, 200));
    await page.selectOption('#page-size', '1000');
    expect(await page.textContent('#status')).toBe('pairs 1\u20131000 of 12000 (page 1 of 12)');
    expect(await page.$$eval('#pairs tbody tr', (trs) => trs.length)).toBe(1000);

    // Sorting by pair again; one group; then the drill-down pairs alone, each linking to its pictures.
    await page.click('#pairs th[data-col="0"]');
    await page.selectOption('#group', '3');
    expect(await page.textContent('#status')).toBe('pairs 1\u20131000 of 3000 (page 1 of 3)');
    expect((await rowsOf(page)).every((r) => r.cells[1] === '(0.3, 0.6] border')).toBe(true);
    await page.selectOption('#group', '-1');
    await page.check('#drilldown-only');
    rows = await rowsOf(page);
    expect(rows.map((r) => r.k)).toEqual(drilldown.pairs.map((p) => p.k));
    const links = await page.$$eval('#pairs tbody a', (as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual(drilldown.pairs.map((p) => `index.html#pair-${String(p.k).padStart(5, '0')}`));

    // Mask thumbnails: the run's mask files, lazily; those in view load.
    const first = await page.$eval('#pairs tbody img', (img) => ({ src: img.getAttribute('src'), loading: img.getAttribute('loading') }));
    expect(first).toEqual({ src: `masks/m${drilldown.pairs[0]?.k}.png`, loading: 'lazy' });
    await expect.poll(() => page.$eval('#pairs tbody img', (img) => (img as unknown as { complete: boolean; naturalWidth: number }).naturalWidth)).toBe(16);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the report's drill-down: every chosen pair once, in its group, with its masked input, mask, every model's output and metrics, and the ground truth", async () => {
    const { page, errors } = await openLocalPage(browser, `${run}/index.html`);
    expect(await page.getAttribute('#pairs-link', 'href')).toBe('pairs.html');
    const tables = await page.$$eval('table.drilldown', (ts) => ts.map((t) => `${t.getAttribute('data-bin')} ${t.getAttribute('data-border')}`));
    expect(tables).toEqual(['(0.01, 0.3] no-border', '(0.01, 0.3] border', '(0.3, 0.6] no-border', '(0.3, 0.6] border']);
    expect(await page.$$eval('table.drilldown thead tr:first-child th', (ths) => ths.slice(0, 7).map((th) => th.textContent))).toEqual([
      'pair',
      'masked input',
      'mask',
      ...MODELS,
      'ground truth',
    ]);
    // The pictures load lazily, as they come into view: all of them now, to look at each.
    await page.$$eval('table.drilldown img', (imgs) => {
      for (const img of imgs) img.setAttribute('loading', 'eager');
    });
    await expect.poll(() => page.$$eval('table.drilldown img', (imgs) => imgs.every((img) => (img as unknown as { complete: boolean }).complete))).toBe(true);
    const shown = await page.$$eval('table.drilldown tbody tr', (trs) =>
      trs.map((tr) => ({
        id: tr.id,
        images: [...tr.querySelectorAll('img')].map((img) => ({ ok: img.complete && img.naturalWidth === 16, href: img.parentElement?.getAttribute('href') })),
        metrics: tr.querySelectorAll('td .m').length,
        tags: [...tr.querySelectorAll('.pick')].map((t) => t.textContent),
      })),
    );
    expect(shown.map((r) => r.id).sort()).toEqual(drilldown.pairs.map((p) => `pair-${String(p.k).padStart(5, '0')}`).sort());
    for (const row of shown) {
      const pair = drilldown.pairs.find((p) => `pair-${String(p.k).padStart(5, '0')}` === row.id) as Drilldown['pairs'][number];
      // Masked input, mask, three outputs, ground truth, each a thumbnail linking to its full-size file.
      expect(row.images.map((i) => i.href)).toEqual([pair.input, pair.mask, ...MODELS.map((m) => pair.outputs[m]), pair.target]);
      expect(row.images.every((i) => i.ok)).toBe(true);
      expect(row.metrics).toBe(MODELS.length);
    }
    // Each model's picks, worst and best, each tagged once in its group.
    const tags = shown.flatMap((r) => r.tags);
    for (const group of drilldown.groups)
      for (const picks of group.picks)
        for (const [side, ks] of [
          ['worst', picks.worst],
          ['best', picks.best],
        ] as const)
          for (const i of ks.keys()) expect(tags).toContain(`${picks.model}: ${side} ${i + 1}`);
    expect(tags).toHaveLength(drilldown.groups.flatMap((g) => g.picks.flatMap((p) => [...p.worst, ...p.best])).length);
    expect(drilldown.groups.every((g) => g.picks.length === MODELS.length && g.picks.every((p) => p.worst.length === 3 && p.best.length === 3))).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a drill-down link of the table opens the report at that pair's row", async () => {
    const { page, errors } = await openLocalPage(browser, `${run}/pairs.html`);
    await page.check('#drilldown-only');
    const k = drilldown.pairs[5]?.k as number;
    await page.click(`#pairs tbody tr[data-k="${k}"] a`);
    await page.waitForURL(/index\.html#pair-\d+$/);
    const target = await page.$eval(':target', (el) => el.id);
    expect(target).toBe(`pair-${String(k).padStart(5, '0')}`);
    expect(errors).toEqual([]);
    await page.close();
  });
});
