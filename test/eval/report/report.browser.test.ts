import { mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../../src/core/config/parse-config.js';
import { listImages, splitImages } from '../../../src/core/data/image-list.js';
import { type BackendInfo, setupBackend } from '../../../src/core/engine/backend.js';
import { maskSetSpecOf } from '../../../src/core/masks/mask-plan.js';
import { writeMaskSet } from '../../../src/core/masks/write-mask-set.js';
import { trainModel } from '../../../src/core/train/trainer.js';
import { scoreRun } from '../../../src/eval/evaluate.js';
import { escapeHtml } from '../../../src/eval/report/escape-html.js';
import { writeReport } from '../../../src/eval/report/write-report.js';
import { summariseScores } from '../../../src/eval/summarise-scores.js';
import { writeEvaluation } from '../../../src/eval/write-evaluation.js';
import { DrilldownSchema } from '../../../src/protocol/drilldown.js';
import { launchChromium, openLocalPage } from '../../helpers/browser.js';
import { repoRoot } from '../../helpers/run-cli.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();
let backend: BackendInfo;
let browser: Browser;

const config = parseConfig(
  `name: report-test\nseed: 9\ndata: { root: ${resolve(repoRoot, 'data/photos')}, imageSize: 16, testFraction: 0.2 }\nmasks: { bins: [[0.05, 0.25], [0.25, 0.5]], border: { margin: 1 }, perBin: 2 }\nmodel: { levels: 2, baseChannels: 4, maxChannels: 8 }\nloss: { perceptual: 0, style: 0 }\ntrain: { batchSize: 2, phase1: { learningRate: 0.002, steps: 3, freezeEncoderBatchNorm: false }, phase2: { learningRate: 0.001, steps: 2, freezeEncoderBatchNorm: true }, validateEvery: 2 }\n`,
  'r.yaml',
  repoRoot,
);

async function evaluatedRun(): Promise<string> {
  const run = await tempDir();
  const splits = splitImages(await listImages(config.data), config.data, config.seed);
  await writeMaskSet(maskSetSpecOf(config.masks, 16, config.seed), { outDir: run, workers: 0 });
  for (const kind of ['pconv', 'conv'] as const)
    await trainModel({ config, configHash: 'h', kind, runDir: run, backend, trainFiles: splits.train, validationFiles: splits.validation });
  const scores = await scoreRun({ config, configHash: 'h', runDir: run, backend, testFiles: splits.test, versions: { test: '1' } });
  // results.json and drilldown.json, as the eval stage writes them.
  await writeEvaluation(run, summariseScores(scores), scores.drilldown);
  return run;
}

beforeAll(async () => {
  backend = await setupBackend('wasm');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('HTML report', () => {
  test('opens in a real Chromium without console errors, every image loaded, every bin present, charts drawn', async () => {
    const run = await evaluatedRun();
    const report = await writeReport(run);
    // Four metrics against hole ratio, a loss chart per trained model, three of validation quality.
    expect(report.charts).toHaveLength(4 + 2 + 3);
    expect(report.charts.filter((c) => c.includes('validation-'))).toEqual([
      'assets/validation-psnr.png',
      'assets/validation-ssim.png',
      'assets/validation-l1Hole.png',
    ]);
    const html = await readFile(report.path, 'utf8');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/);
    const { page, errors } = await openLocalPage(browser, report.path);
    expect(errors).toEqual([]);
    // The drill-down's pictures load lazily, as they come into view: all of them now.
    await page.$$eval('img[loading="lazy"]', (imgs) => {
      for (const img of imgs) img.setAttribute('loading', 'eager');
    });
    await expect.poll(() => page.$$eval('img', (imgs) => imgs.every((img) => img.complete))).toBe(true);
    const images = await page.$$eval('img', (imgs) => imgs.map((img) => ({ complete: img.complete, width: img.naturalWidth })));
    expect(images.length).toBeGreaterThan(0);
    expect(images.every((i) => i.complete && i.width > 0)).toBe(true);
    for (const metric of ['l1Hole', 'l1', 'psnr', 'ssim']) {
      const headers = await page.$$eval(`table.metric[data-metric="${metric}"] thead th`, (ths) => ths.map((th) => th.textContent));
      expect(headers).toEqual(expect.arrayContaining(['(0.05, 0.25]', '(0.25, 0.5]']));
      const rows = await page.$$eval(`table.metric[data-metric="${metric}"] tbody tr`, (trs) => trs.length);
      expect(rows).toBe(3);
    }
    // What each model was given and trained with, from its checkpoint.
    const given = await page.$$eval('table.models tbody tr', (trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent)));
    expect(given).toEqual([
      ['PConv', 'the image with holes zeroed + the mask, for its partial convolutions', 'valid 1, hole 6, perceptual 0, style 0, tv 0.1'],
      ['Conv (baseline)', 'the image with holes filled by the ImageNet mean pixel; no mask channel', 'valid 1, hole 6, perceptual 0, style 0, tv 0.1'],
      ['Telea (OpenCV, radius 3)', 'the image with holes and the mask (no training)', '-'],
    ]);
    const samples = await page.$$eval('table.samples tbody tr', (trs) => trs.map((tr) => `${tr.getAttribute('data-bin')} ${tr.getAttribute('data-border')}`));
    expect(samples).toEqual(['(0.05, 0.25] no-border', '(0.05, 0.25] border', '(0.25, 0.5] no-border', '(0.25, 0.5] border']);
    // The drill-down: 2 pairs per group, so each model's worse one is "worst 1" and the other "best 1"; every pair
    // with its masked input, mask, the three models' outputs and the ground truth, each linking to its full-size PNG.
    const drilldown = DrilldownSchema.parse(JSON.parse(await readFile(join(run, 'drilldown.json'), 'utf8')));
    expect(drilldown.pairs.map((p) => p.k)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const rows = await page.$$eval('table.drilldown tbody tr', (trs) =>
      trs.map((tr) => ({ id: tr.id, pictures: [...tr.querySelectorAll('a > img')].map((img) => img.parentElement?.getAttribute('href')) })),
    );
    expect(rows.map((r) => r.id).sort()).toEqual(drilldown.pairs.map((p) => `pair-0000${p.k}`));
    for (const row of rows) {
      const pair = drilldown.pairs.find((p) => `pair-0000${p.k}` === row.id);
      expect(row.pictures).toEqual([pair?.input, pair?.mask, ...drilldown.models.map((m) => pair?.outputs[m]), pair?.target]);
    }
    expect(drilldown.models).toEqual(['PConv', 'Conv (baseline)', 'Telea (OpenCV, radius 3)']);
    expect(await page.getAttribute('#pairs-link', 'href')).toBe('pairs.html');
    // The methods section near the top, with the border margin and the rule it came from.
    expect(await page.$$eval('#methods dt', (dts) => dts.map((dt) => dt.textContent))).toEqual([
      'Data',
      'Test masks',
      'Models',
      'VGG16',
      'Training',
      'Software',
    ]);
    expect(await page.textContent('#methods')).toContain(
      "within 1 px of the edge (set in the config; the paper's rule (50 px at 512 px, scaled) gives 2 px at 16 px)",
    );
    // Chart.js drew into every canvas (a blank canvas has only transparent pixels).
    type Canvas2d = {
      width: number;
      height: number;
      getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
    };
    const drawn = await page.$$eval('canvas', (canvases) =>
      canvases.map((element) => {
        const c = element as unknown as Canvas2d;
        const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? [];
        return Array.prototype.some.call(data, (v: number) => v !== 0);
      }),
    );
    expect(drawn).toHaveLength(9);
    expect(drawn.every(Boolean)).toBe(true);
    // Validation quality against step, a line per trained model, at the validation steps (validateEvery 2 of 5 steps).
    type ChartGlobal = { getChart(el: unknown): { data: { datasets: { label: string; data: { x: number; y: number }[] }[] } } };
    const series = await page.$$eval('#charts ~ figure canvas[id^="chart-validation-"]', (canvases) =>
      canvases.map((el) => {
        const chart = (globalThis as unknown as { Chart: ChartGlobal }).Chart.getChart(el);
        return {
          id: el.id,
          datasets: chart.data.datasets.map((d) => ({ label: d.label, steps: d.data.map((p) => p.x), finite: d.data.every((p) => Number.isFinite(p.y)) })),
        };
      }),
    );
    const lines = [
      { label: 'PConv', steps: [2, 4], finite: true },
      { label: 'Conv (baseline)', steps: [2, 4], finite: true },
    ];
    expect(series).toEqual([
      { id: 'chart-validation-psnr', datasets: lines },
      { id: 'chart-validation-ssim', datasets: lines },
      { id: 'chart-validation-l1Hole', datasets: lines },
    ]);
    expect(await page.textContent('#validation-quality + p')).toContain('on the same 1 validation pair:');
    mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'test-artifacts', 'report.png'), fullPage: true });
    await page.close();
  });

  test('results.json of an older format, or none, is a clear error and nothing is overwritten', async () => {
    const run = await tempDir();
    await expect(writeReport(run)).rejects.toThrow(/no results.json at/);
    await writeFile(join(run, 'index.html'), 'previous report');
    await writeFile(join(run, 'results.json'), JSON.stringify({ format: 'pconv-bench/results@0', rows: [] }));
    await expect(writeReport(run)).rejects.toThrow(
      /has format "pconv-bench\/results@0"; this version reads pconv-bench\/results@4 and pconv-bench\/results@3 and pconv-bench\/results@2 and pconv-bench\/results@1/,
    );
    expect(await readFile(join(run, 'index.html'), 'utf8')).toBe('previous report');
  });

  test('escapes text it shows', () => {
    expect(escapeHtml('<b>"x" & \'y\'</b>')).toBe('&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;');
  });
});
