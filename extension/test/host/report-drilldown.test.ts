import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, test } from 'vitest';
import { escapeHtml } from '../../../src/eval/report/escape-html.js';
import { type Drilldown, DrilldownSchema, drilldownPicturePaths } from '../../../src/protocol/drilldown.js';
import { loadReportData, ReportDataError } from '../../src/host/report-data.js';
import { makeNonce } from '../../src/webview/nonce.js';
import { reportPanelHtml } from '../../src/webview/report/report-panel-html.js';
import { assertCliBuilt, repoRoot, useTempDirs } from './helpers/real-cli.js';

const tempDir = useTempDirs();
const chartJs = join(repoRoot, 'node_modules', 'chart.js', 'dist', 'chart.umd.min.js');
const webviewUri = (path: string) => `https://webview.test${path}`;
let run: string;
let drilldown: Drilldown;

const panelHtml = (data: Awaited<ReturnType<typeof loadReportData>>) =>
  reportPanelHtml({ ...data, cspSource: 'https://webview.test', nonce: makeNonce(), bridgeScriptUri: 'https://webview.test/bridge.js' });
/** The drill-down section of a report page, up to the footer. */
const section = (html: string) => html.slice(html.indexOf('<h2 id="drilldown">'), html.indexOf('<footer>'));

beforeAll(async () => {
  assertCliBuilt();
  // The finished run the global setup made with the real CLI: `pconv-bench run` wrote its drill-down.
  run = inject('smokeRun');
  drilldown = DrilldownSchema.parse(JSON.parse(await readFile(join(run, 'drilldown.json'), 'utf8')));
});

/** A copy of the smoke run to damage. */
async function copyOfRun(): Promise<string> {
  const copy = join(await tempDir(), 'smoke');
  await cp(run, copy, { recursive: true });
  return copy;
}

describe("the report panel's worst and best pairs", () => {
  test("drilldown.json's pictures are webview URIs of the run folder; the panel shows the CLI's section without links to files", async () => {
    const data = await loadReportData(run, chartJs, webviewUri);
    expect(data.drilldown).toEqual(drilldown);
    expect(data.drilldownUnavailable).toBeUndefined();
    const pictures = drilldownPicturePaths(drilldown);
    expect(pictures.length).toBeGreaterThan(0);
    for (const path of pictures) expect(data.images[path]).toBe(webviewUri(join(run, path)));
    expect(data.pairsPage).toBe('pairs.html');

    const html = panelHtml(data);
    expect(html).toContain('<h2 id="drilldown">Worst and best pairs</h2>');
    expect(html.match(/<table class="drilldown"/g)).toHaveLength(drilldown.groups.length);
    for (const path of pictures) expect(html).toContain(`src="${webviewUri(join(run, path))}"`);
    // No link to a file beside the page (the webview cannot open it) but the one the bridge hands to the host.
    expect(html).not.toContain('href="drilldown/');
    expect(html).not.toContain('Click a picture for its full size');
    expect(html).toContain('<a id="pairs-link" href="pairs.html">');
    // The CLI's own report of this folder has the same section, but for its full-size links and inlined thumbnails.
    const cli = section(await readFile(join(run, 'index.html'), 'utf8'))
      .replace(/<a href="drilldown\/[^"]*" title="full size">(<img [^>]*>)<\/a>/g, '$1')
      .replace(' Click a picture for its full size.', '');
    const srcless = (text: string) => text.replace(/ src="[^"]*"/g, ' src=""');
    expect(cli).not.toContain('href="drilldown/');
    expect(srcless(section(html))).toBe(srcless(cli));
  });

  test("a run evaluated before the drill-down existed: the section says so in the CLI's words, without a link to a table it lacks", async () => {
    const old = await copyOfRun();
    await rm(join(old, 'drilldown.json'));
    await rm(join(old, 'drilldown'), { recursive: true });
    await rm(join(old, 'pairs.html'));
    const data = await loadReportData(old, chartJs, webviewUri);
    expect(data.drilldown).toBeUndefined();
    expect(data.pairsPage).toBeUndefined();
    expect(Object.keys(data.images).filter((path) => path.startsWith('drilldown/'))).toEqual([]);
    expect(data.drilldownUnavailable).toBe(
      'This run was evaluated before pconv-bench chose worst and best pairs: drilldown.json is missing; `pconv-bench eval <config> --run <this folder>` writes it from the kept per-pair scores.',
    );
    const html = panelHtml(data);
    expect(html).toContain(`<p id="drilldown-unavailable">${escapeHtml(data.drilldownUnavailable ?? '')}</p>`);
    expect(html).not.toContain('<table class="drilldown"');
    expect(html).not.toContain('pairs-link');
  });

  test('a damaged, foreign or incomplete drill-down is an error naming the file, with how to make it again', async () => {
    const broken = await copyOfRun();
    const path = join(broken, 'drilldown.json');
    const [first] = drilldown.pairs;
    if (!first) throw new Error('the smoke run chose no pair');
    const cases: [string, () => Promise<void>, string][] = [
      ['not JSON', () => writeFile(path, '{"format": '), `${path} is not valid JSON`],
      ['another schema', () => writeFile(path, JSON.stringify({ ...drilldown, metric: 'lpips' })), `${path} does not match the drill-down schema (metric: `],
      [
        'another mask set',
        () => writeFile(path, JSON.stringify({ ...drilldown, masksSha256: 'other' })),
        `${path} belongs to another evaluation than ${join(broken, 'results.json')}`,
      ],
      ['other models', () => writeFile(path, JSON.stringify({ ...drilldown, models: drilldown.models.slice(1) })), `${path} belongs to another evaluation`],
      [
        'a picture outside the run folder',
        () => writeFile(path, JSON.stringify({ ...drilldown, pairs: [{ ...first, mask: '../smoke/results.json' }, ...drilldown.pairs.slice(1)] })),
        `${path} lists a picture outside the run folder (../smoke/results.json)`,
      ],
      [
        'a picture missing',
        async () => {
          await writeFile(path, JSON.stringify(drilldown));
          await rm(join(broken, first.target));
        },
        `drill-down picture ${join(broken, first.target)} is missing (drilldown.json lists it)`,
      ],
    ];
    for (const [name, damage, message] of cases) {
      await damage();
      const error = await loadReportData(broken, chartJs, webviewUri).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(ReportDataError);
      expect((error as ReportDataError).message, name).toContain(message);
      expect((error as ReportDataError).hint, name).toContain('Evaluate again: `pconv-bench eval <config>`');
    }
  });
});
