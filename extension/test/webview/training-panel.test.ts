import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium } from '../../../test/helpers/browser.js';
import type { TrainingToWebview } from '../../src/shared/messages.js';
import { makeNonce } from '../../src/webview/nonce.js';
import { trainingPanelHtml } from '../../src/webview/training/training-panel-html.js';
import { bundle, ORIGIN, openWebview, violations, type WebviewPage } from './helpers/webview-page.js';

/** Screenshots for people to look at, beside the report test's (test-artifacts/ at the repository root). */
const artifacts = fileURLToPath(new URL('../../../test-artifacts', import.meta.url));
let browser: Browser;
let script: string;
let chartJs: string;

async function openPanel(): Promise<WebviewPage> {
  const html = trainingPanelHtml({ cspSource: ORIGIN, nonce: makeNonce(), chartScriptUri: `${ORIGIN}/chart.umd.min.js`, scriptUri: `${ORIGIN}/training.js` });
  const view = await openWebview(browser, html, { '/training.js': script, '/chart.umd.min.js': chartJs }, { width: 1100, height: 900 });
  expect(await view.posted()).toEqual([{ type: 'ready' }]);
  return view;
}

/** Each chart's datasets as (label, points), read from Chart.js itself. */
function chartsOf(view: WebviewPage) {
  return view.page.$$eval('canvas', (canvases) =>
    canvases.map((canvas) => {
      type ChartJs = { getChart(c: unknown): { data: { datasets: { label: string; data: { x: number; y: number }[] }[] } } | undefined };
      const chart = (window as unknown as { Chart: ChartJs }).Chart.getChart(canvas);
      const pixels =
        (canvas as HTMLCanvasElement).getContext('2d')?.getImageData(0, 0, (canvas as HTMLCanvasElement).width, (canvas as HTMLCanvasElement).height).data ??
        [];
      return {
        id: canvas.id,
        drawn: Array.prototype.some.call(pixels, (v: number) => v !== 0),
        datasets: chart?.data.datasets.map((d) => [d.label, d.data.map((p) => [p.x, p.y])]),
      };
    }),
  );
}

const validation = (step: number, phase: 1 | 2, psnr: number, ssim: number | null = 0.6) => ({ step, phase, loss: 1 / psnr, psnr, ssim, l1Hole: 40 - psnr });

beforeAll(async () => {
  const require = createRequire(import.meta.url);
  chartJs = await readFile(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
  [script, browser] = await Promise.all([bundle('training/main.ts'), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
});

describe('training webview', () => {
  test('draws the snapshot, then each appended point, loss per model and validation quality per metric, under its CSP', async () => {
    const view = await openPanel();
    expect(await view.page.textContent('#status')).toBe('Loading...');
    const snapshot: TrainingToWebview = {
      type: 'snapshot',
      title: 'run smoke.yaml',
      status: 'train-pconv-phase1: 10/20 steps, loss 1.2000',
      models: [
        {
          model: 'pconv',
          train: [
            { step: 5, loss: 1.5 },
            { step: 10, loss: 1.2 },
          ],
          validation: [validation(10, 1, 15)],
          phaseBoundary: null,
        },
      ],
    };
    await view.fromHost(snapshot);
    expect(await view.page.textContent('#title')).toBe('Training: run smoke.yaml');
    expect(await view.page.textContent('#status')).toBe('train-pconv-phase1: 10/20 steps, loss 1.2000');
    expect(await chartsOf(view)).toEqual([
      {
        id: 'chart-loss-pconv',
        drawn: true,
        datasets: [
          [
            'training loss',
            [
              [5, 1.5],
              [10, 1.2],
            ],
          ],
          ['validation loss', [[10, 1 / 15]]],
        ],
      },
      { id: 'chart-validation-psnr', drawn: true, datasets: [['PConv', [[10, 15]]]] },
      { id: 'chart-validation-ssim', drawn: true, datasets: [['PConv', [[10, 0.6]]]] },
      { id: 'chart-validation-l1Hole', drawn: true, datasets: [['PConv', [[10, 25]]]] },
    ]);

    // Points arrive as the process trains: phase 2 of PConv, then the baseline.
    const appends: TrainingToWebview[] = [
      { type: 'append', model: 'pconv', train: [{ step: 20, loss: 1.1 }], validation: [validation(20, 1, 16)], phaseBoundary: null },
      { type: 'append', model: 'pconv', train: [{ step: 25, loss: 1.0 }], validation: [validation(30, 2, 17)], phaseBoundary: 20 },
      { type: 'append', model: 'conv', train: [{ step: 10, loss: 2.0 }], validation: [validation(10, 1, 12, null)], phaseBoundary: null },
      { type: 'status', status: 'train-conv-phase1: 10/20 steps, loss 2.0000' },
    ];
    for (const message of appends) await view.fromHost(message);
    expect(await view.page.textContent('#status')).toBe('train-conv-phase1: 10/20 steps, loss 2.0000');
    expect(await chartsOf(view)).toEqual([
      {
        id: 'chart-loss-pconv',
        drawn: true,
        datasets: [
          [
            'training loss',
            [
              [5, 1.5],
              [10, 1.2],
              [20, 1.1],
              [25, 1.0],
            ],
          ],
          [
            'validation loss',
            [
              [10, 1 / 15],
              [20, 1 / 16],
              [30, 1 / 17],
            ],
          ],
        ],
      },
      // The loss charts come first, then the validation quality.
      {
        id: 'chart-loss-conv',
        drawn: true,
        datasets: [
          ['training loss', [[10, 2]]],
          ['validation loss', [[10, 1 / 12]]],
        ],
      },
      {
        id: 'chart-validation-psnr',
        drawn: true,
        datasets: [
          [
            'PConv',
            [
              [10, 15],
              [20, 16],
              [30, 17],
            ],
          ],
          ['Conv (baseline)', [[10, 12]]],
        ],
      },
      // SSIM null (images under 11 px) is no point.
      {
        id: 'chart-validation-ssim',
        drawn: true,
        datasets: [
          [
            'PConv',
            [
              [10, 0.6],
              [20, 0.6],
              [30, 0.6],
            ],
          ],
        ],
      },
      {
        id: 'chart-validation-l1Hole',
        drawn: true,
        datasets: [
          [
            'PConv',
            [
              [10, 25],
              [20, 24],
              [30, 23],
            ],
          ],
          ['Conv (baseline)', [[10, 28]]],
        ],
      },
    ]);
    // The phase-2 line: dashed, grey, at step 20 of PConv's loss chart: many more grey pixels in that column than in one without it.
    const greyPixelsAt = (step: number) =>
      view.page.$eval(
        '#chart-loss-pconv',
        (canvas, at) => {
          type Scale = { getPixelForValue(v: number): number };
          const chart = (
            window as unknown as { Chart: { getChart(c: unknown): { scales: { x: Scale }; chartArea: { top: number; bottom: number } } } }
          ).Chart.getChart(canvas);
          const ctx = (canvas as HTMLCanvasElement).getContext('2d');
          if (!chart || !ctx) return -1;
          const x = Math.floor(chart.scales.x.getPixelForValue(at));
          const { top, bottom } = chart.chartArea;
          const pixels = ctx.getImageData(x - 1, top, 3, bottom - top).data;
          let grey = 0;
          for (let i = 0; i < pixels.length; i += 4) {
            const [r, g, b] = [pixels[i] as number, pixels[i + 1] as number, pixels[i + 2] as number];
            if (r === g && g === b && r < 180 && (pixels[i + 3] as number) > 0) grey++;
          }
          return grey;
        },
        step,
      );
    // (Every column has a few: the grid's horizontal lines.)
    expect(await greyPixelsAt(20)).toBeGreaterThan(4 * (await greyPixelsAt(17.5)));

    // A new process: its snapshot replaces everything.
    await view.fromHost({ type: 'snapshot', title: 'run demo.yaml', status: 'starting', models: [] });
    expect(await chartsOf(view)).toEqual([]);
    expect(await view.page.isVisible('#loss-section')).toBe(false);
    await view.fromHost(snapshot);
    for (const message of appends) await view.fromHost(message);
    expect(await view.posted()).toEqual([{ type: 'ready' }]);
    expect(view.problems).toEqual([]);
    expect(await violations(view.page)).toEqual([]);
    mkdirSync(artifacts, { recursive: true });
    await view.page.screenshot({ path: join(artifacts, 'training-panel.png'), fullPage: true });
    await view.page.close();
  });

  test('an invalid host message is reported, not drawn; a page without Chart.js says so', async () => {
    const view = await openPanel();
    await view.fromHost({ type: 'append', model: 'pconv', train: [{ step: 0, loss: 1 }], validation: [], phaseBoundary: null });
    expect((await view.posted()).at(-1)).toEqual({
      type: 'webviewError',
      message: expect.stringMatching(/^training panel ignored a message from the extension: invalid message of type "append": train\.0\.step: /),
    });
    expect(await chartsOf(view)).toEqual([]);
    await view.page.close();

    const html = trainingPanelHtml({ cspSource: ORIGIN, nonce: makeNonce(), chartScriptUri: `${ORIGIN}/missing.js`, scriptUri: `${ORIGIN}/training.js` });
    const bare = await openWebview(browser, html, { '/training.js': script });
    expect(await bare.posted()).toEqual([
      { type: 'webviewError', message: 'training panel: Chart.js did not load (dist/media/chart.umd.min.js)' },
      { type: 'ready' },
    ]);
    expect(await bare.page.textContent('#banner')).toContain('Chart.js did not load');
    await bare.page.close();
  });
});
