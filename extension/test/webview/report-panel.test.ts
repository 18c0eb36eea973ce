import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Drilldown, DrilldownSchema, drilldownPicturePaths } from '../../../src/protocol/drilldown.js';
import { type Results, ResultsSchema } from '../../../src/protocol/results.js';
import { launchChromium } from '../../../test/helpers/browser.js';
import { loadReportData } from '../../src/host/report-data.js';
import { makeNonce } from '../../src/webview/nonce.js';
import { reportPanelHtml } from '../../src/webview/report/report-panel-html.js';
import { reportImagePaths } from '../../src/webview/report/training-curves.js';
import { makeReportedRun } from './helpers/real-run.js';
import { bundle, ORIGIN, openWebview, violations } from './helpers/webview-page.js';

/** Screenshots for people to look at, beside the report test's (test-artifacts/ at the repository root). */
const artifacts = fileURLToPath(new URL('../../../test-artifacts', import.meta.url));
let browser: Browser;
let runDir: string;
let cliHtml: string;
let results: Results;
let drilldown: Drilldown;
let bridge: string;
let chartJsFile: string;

/** What the host does: read the run folder (loadReportData), its pictures served from the webview origin. */
async function panel(nonce = makeNonce(), cspSource = ORIGIN) {
  const data = await loadReportData(runDir, chartJsFile, (file) => `${ORIGIN}/run/${relative(runDir, file)}`);
  const resources: Record<string, string | Buffer> = { '/report-bridge.js': bridge };
  for (const path of Object.keys(data.images)) resources[`/run/${path}`] = await readFile(join(runDir, path));
  const html = reportPanelHtml({ ...data, cspSource, nonce, bridgeScriptUri: `${ORIGIN}/report-bridge.js` });
  return { html, resources, nonce };
}

/** The text from the first `from` up to the next `to`; fails loudly when either is missing. */
function between(html: string, from: string, to: string): string {
  const start = html.indexOf(from);
  const end = html.indexOf(to, start);
  if (start < 0 || end < 0) throw new Error(`${from} ... ${to} not found`);
  return html.slice(start, end);
}

beforeAll(async () => {
  runDir = await mkdtemp(join(tmpdir(), 'pconv-ext-report-'));
  const made = await makeReportedRun(runDir);
  cliHtml = await readFile(made.indexHtml, 'utf8');
  results = ResultsSchema.parse(JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')));
  drilldown = DrilldownSchema.parse(JSON.parse(await readFile(join(runDir, 'drilldown.json'), 'utf8')));
  const require = createRequire(import.meta.url);
  chartJsFile = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  [bridge, browser] = await Promise.all([bundle('report/bridge.ts'), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  if (runDir) await rm(runDir, { recursive: true, force: true });
});

describe('report webview', () => {
  test('is the CLI report of the run, with a CSP and the nonce on every script and style', async () => {
    const { html, nonce } = await panel();
    // The same tables, paired differences and samples section as `pconv-bench report` writes.
    expect(between(html, '<h2 id="tables">', '<h2 id="charts">')).toBe(between(cliHtml, '<h2 id="tables">', '<h2 id="charts">'));
    expect(between(html, '<footer>', '</footer>')).toBe(between(cliHtml, '<footer>', '</footer>'));
    // The same training curves as the CLI read from the logs.
    const data = (page: string) => JSON.parse(between(page, '<script id="report-data"', '</script>').replace(/^[^>]*>/, '')) as { training: unknown };
    expect(data(html).training).toEqual(data(cliHtml).training);
    expect(Object.keys(data(html).training as object)).toHaveLength(2);
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBe(4); // bridge, report data, Chart.js, chart script
    for (const tag of [...scripts, ...(html.match(/<style\b[^>]*>/g) ?? [])]) expect(tag).toContain(` nonce="${nonce}"`);
    const head = html.slice(0, html.indexOf('</head>'));
    const csp = head.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/);
    expect(csp?.[1]).toBe(
      `default-src 'none'; img-src ${ORIGIN} data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; font-src ${ORIGIN}; base-uri 'none'; form-action 'none'`.replace(
        /'/g,
        '&#39;',
      ),
    );
    expect(head.indexOf('Content-Security-Policy')).toBeLessThan(head.search(/<(script|style)/));
    expect(html).not.toMatch(/\son[a-z]+=/i); // no inline event handlers
  });

  test('renders in headless Chromium under its CSP: charts drawn, images loaded, no errors, no violations', async () => {
    const { html, resources } = await panel();
    const view = await openWebview(browser, html, resources, { width: 1280, height: 900 });
    await view.page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    const posted = await view.posted();
    expect(posted).toEqual([{ type: 'ready', charts: 9 }]); // 4 metrics + 2 training curves + 3 of validation quality; no webviewError
    const drawn = await view.page.$$eval('canvas', (canvases) =>
      canvases.map((c) => {
        const canvas = c as HTMLCanvasElement;
        const pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
        return Array.prototype.some.call(pixels, (v: number) => v !== 0);
      }),
    );
    expect(drawn).toEqual([true, true, true, true, true, true, true, true, true]);
    // The samples' pictures; the drill-down's load lazily (their own test below).
    const images = await view.page.$$eval('table.samples img', (imgs) =>
      imgs.map((i) => ({ src: (i as HTMLImageElement).src, w: (i as HTMLImageElement).naturalWidth })),
    );
    expect(images.length).toBe(reportImagePaths(results).length * 2); // thumbnail + lightbox
    expect(images.every((i) => i.src.startsWith(`${ORIGIN}/run/`) && i.w > 0)).toBe(true);
    const rows = await view.page.$$eval('table.samples tbody tr', (trs) => trs.map((tr) => `${tr.getAttribute('data-bin')} ${tr.getAttribute('data-border')}`));
    expect(rows).toEqual(['(0.05, 0.25] no-border', '(0.05, 0.25] border', '(0.25, 0.5] no-border', '(0.25, 0.5] border']);
    expect(view.problems).toEqual([]);
    expect(await violations(view.page)).toEqual([]);
    mkdirSync(artifacts, { recursive: true });
    await view.page.screenshot({ path: join(artifacts, 'report-panel.png'), fullPage: true });

    // The sample lightbox opens and closes without fragment navigation (which VS Code swallows).
    const first = view.page.locator('table.samples a:not(.lightbox)').first();
    const id = ((await first.getAttribute('href')) ?? '').slice(1);
    await first.click();
    expect(await view.page.locator(`[id="${id}"]`).isVisible()).toBe(true);
    expect(view.page.url()).toBe(`${ORIGIN}/index.html`);
    await view.page.keyboard.press('Escape');
    expect(await view.page.locator(`[id="${id}"]`).isVisible()).toBe(false);

    // The host can scroll to a section; an invalid request is reported, not obeyed.
    await view.fromHost({ type: 'reveal', section: 'config' });
    expect(await view.page.evaluate(() => window.scrollY)).toBeGreaterThan(0);
    await view.fromHost({ type: 'reveal', section: 'x"><img src=y>' });
    expect((await view.posted()).at(-1)).toEqual({
      type: 'webviewError',
      message: expect.stringMatching(/^report webview ignored a message from the extension: invalid message of type "reveal": section: expected an element id/),
    });
    expect(view.problems).toEqual([]);
    await view.page.close();
  });

  test('shows the worst and best pairs, every picture from the run folder under the CSP; the table of every pair opens through the host', async () => {
    const { html, resources } = await panel();
    const view = await openWebview(browser, html, resources, { width: 1280, height: 900 });
    await view.page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    // The pictures load lazily: bring each row into view, then wait for every one.
    const rows = view.page.locator('table.drilldown tbody tr');
    expect(await rows.count()).toBe(drilldown.pairs.length);
    for (const row of await rows.all()) await row.scrollIntoViewIfNeeded();
    await view.page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('table.drilldown img')].every((img) => img.complete));
    const pictures = await view.page.$$eval('table.drilldown img', (imgs) =>
      imgs.map((i) => ({ src: (i as HTMLImageElement).src, w: (i as HTMLImageElement).naturalWidth })),
    );
    expect(pictures.map((p) => p.src).sort()).toEqual(
      drilldownPicturePaths(drilldown)
        .map((path) => `${ORIGIN}/run/${path}`)
        .sort(),
    );
    expect(pictures.every((p) => p.w > 0)).toBe(true);
    expect(await view.page.locator('table.drilldown a').count()).toBe(0); // no link to a file the webview cannot open
    mkdirSync(artifacts, { recursive: true });
    await view.page
      .locator('table.drilldown')
      .first()
      .screenshot({ path: join(artifacts, 'report-panel-drilldown.png') });
    await view.page.locator('#pairs-link').click();
    expect(await view.posted()).toEqual([{ type: 'ready', charts: 9 }, { type: 'openPairsPage' }]);
    expect(view.page.url()).toBe(`${ORIGIN}/index.html`);
    expect(view.problems).toEqual([]);
    expect(await violations(view.page)).toEqual([]);
    await view.page.close();
  });

  test('renders under a source list as webview.cspSource, as VS Code and code-server hand it over (issue 19)', async () => {
    // Shaped as VS Code's `'self' https://*.vscode-cdn.net`: 'self' is the page's origin, which serves the resources here.
    const cspSource = `'self' https://*.${new URL(ORIGIN).hostname}`;
    const { html, resources } = await panel(makeNonce(), cspSource);
    expect(html.replaceAll('&#39;', "'")).toContain(`img-src ${cspSource} data:`);
    const view = await openWebview(browser, html, resources);
    await view.page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    expect(await view.posted()).toEqual([{ type: 'ready', charts: 9 }]);
    const widths = await view.page.$$eval('table.samples img', (imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
    expect(widths.length).toBeGreaterThan(0);
    expect(widths.every((w) => w > 0)).toBe(true);
    expect(view.problems).toEqual([]);
    expect(await violations(view.page)).toEqual([]);
    await view.page.close();
  });

  test('the CSP is in force and the bridge reports what it blocks', async () => {
    const { html, resources } = await panel();
    const view = await openWebview(browser, html, resources);
    await view.page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__ran = true';
      document.body.append(s);
    });
    await view.page.waitForFunction(() => (window as unknown as { __violations: string[] }).__violations.length > 0);
    expect(await view.page.evaluate(() => (window as unknown as { __ran?: boolean }).__ran)).toBeUndefined();
    expect(await view.posted()).toContainEqual({ type: 'webviewError', message: 'report blocked by its Content-Security-Policy: script-src-elem inline' });
    await view.page.close();
  });

  test('a report rendered with another nonce than its scripts carry draws nothing (the nonce is what lets them run)', async () => {
    const { html, resources } = await panel();
    // The meta's content is HTML-escaped: ' is &#39;.
    const stale = html.replace(/script-src &#39;nonce-[^&]+&#39;/, 'script-src &#39;nonce-AAAAAAAAAAAAAAAAAAAAAA&#39;');
    expect(stale).not.toBe(html);
    const view = await openWebview(browser, stale, resources);
    expect(await view.posted()).toEqual([]); // not even the bridge ran
    expect((await violations(view.page)).length).toBeGreaterThan(0);
    await view.page.close();
  });
});
