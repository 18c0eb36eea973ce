import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { type Browser, chromium, type Frame } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type CodeServer,
  extensionHostLog,
  type HostDirs,
  hostSuiteDir,
  installCodeServer,
  installExtension,
  makeHostDirs,
  makeWorkspace,
  outputChannelLog,
  packageExtension,
  readIfExists,
  repoRoot,
  startCodeServer,
} from './code-server.js';
import { Workbench } from './workbench.js';

/**
 * The packaged extension in a real VS Code: code-server 4.100.3 (VS Code 1.100.3) with the .vsix
 * installed into a fresh extensions folder, a fresh workspace with the repository's smoke config,
 * and the real CLI of this repository; Chromium drives the web workbench as a person would.
 * Screenshots of every step go to test-host/artifacts/ (PCONV_HOST_ARTIFACTS), with the logs.
 */

const artifacts = process.env.PCONV_HOST_ARTIFACTS ?? join(hostSuiteDir, 'artifacts');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let root: string;
let dirs: HostDirs;
let workspace: string;
let server: CodeServer | undefined;
let browser: Browser | undefined;
let wb: Workbench;
const consoleLines: string[] = [];
const timings: string[] = [];
/** Steps that later ones build on: a later step is skipped (not failed again) when one of these failed. */
const failed = new Set<string>();

/** A test that records its time, and is skipped when a step it needs failed. */
function step(name: string, needs: string[], body: () => Promise<void>): void {
  test(name, async (context) => {
    const missing = needs.filter((n) => failed.has(n));
    if (missing.length) {
      failed.add(name);
      context.skip(`needs ${missing.join(', ')}`);
    }
    const started = Date.now();
    try {
      await body();
    } catch (error) {
      failed.add(name);
      await wb?.screenshot(`${name}-FAILED`).catch(() => undefined);
      throw error;
    } finally {
      timings.push(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  });
}

/** Counts a canvas's painted pixels (alpha > 0) and distinct colours, in the page of `frame`. */
function canvasInk(frame: Frame, selector: string): Promise<{ width: number; height: number; painted: number; colours: number }[]> {
  return frame.locator(selector).evaluateAll((canvases) =>
    (canvases as HTMLCanvasElement[]).map((canvas) => {
      const context = canvas.getContext('2d');
      if (!context || !canvas.width || !canvas.height) return { width: canvas.width, height: canvas.height, painted: 0, colours: 0 };
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      let painted = 0;
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4) {
        if ((data[i + 3] ?? 0) === 0) continue;
        painted++;
        if (colours.size < 64) colours.add(((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0));
      }
      return { width: canvas.width, height: canvas.height, painted, colours: colours.size };
    }),
  );
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

beforeAll(async () => {
  if (!existsSync(join(repoRoot, 'dist', 'cli', 'main.js'))) throw new Error(`pconv-bench is not built: run \`npm run build\` in ${repoRoot} first`);
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: apt-get install chromium, or set CHROMIUM_PATH`);
  await rm(artifacts, { recursive: true, force: true });
  await mkdir(join(artifacts, 'logs'), { recursive: true });
  root = await mkdtemp(join(tmpdir(), 'pconv-host-'));
  const started = Date.now();
  const bin = await installCodeServer();
  timings.push(`install code-server (or find it cached): ${((Date.now() - started) / 1000).toFixed(1)} s`);
  dirs = await makeHostDirs(join(root, 'host'));
  const packaged = Date.now();
  const vsix = await packageExtension(root);
  await installExtension(bin, dirs, vsix);
  timings.push(`package the .vsix and install it: ${((Date.now() - packaged) / 1000).toFixed(1)} s`);
  workspace = join(root, 'workspace');
  await makeWorkspace(workspace);
  server = await startCodeServer(bin, dirs, workspace);
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`[pageerror] ${error.message}`));
  wb = new Workbench(page, artifacts);
  await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  if (dirs) {
    const logs: [string | undefined, string][] = [
      [server?.logFile, 'code-server.log'],
      [extensionHostLog(dirs), 'remoteexthost.log'],
      [outputChannelLog(dirs), 'output-PConv-Bench.log'],
    ];
    for (const [from, to] of logs) if (from && existsSync(from)) await copyFile(from, join(artifacts, 'logs', to));
  }
  await writeFile(join(artifacts, 'logs', 'browser-console.log'), `${consoleLines.join('\n')}\n`).catch(() => undefined);
  const listed = [
    ...(wb?.screenshots ?? []),
    ...['code-server.log', 'remoteexthost.log', 'output-PConv-Bench.log', 'browser-console.log'].map((f) => join(artifacts, 'logs', f)),
  ]
    .filter((f) => existsSync(f))
    .map((f) => `  ${relative(process.cwd(), f)}`);
  process.stdout.write(`\nhost suite timings:\n  ${timings.join('\n  ')}\nartifacts:\n${listed.join('\n')}\n`);
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the packaged extension in code-server', () => {
  step('activation', [], async () => {
    // workspaceContains:configs/*.yaml activates it before anyone opens its view.
    await expect
      .poll(async () => readIfExists(extensionHostLog(dirs)), { timeout: 60_000, interval: 500 })
      .toMatch(/_doActivateExtension pconv-bench\.pconv-bench-vscode, startup: \w+, activationEvent: 'workspaceContains:/);
    await wb.page.locator('.activitybar [aria-label="PConv Bench"]').first().click();
    // The only view of its container: its name is the side bar's title.
    await wb.sideBar.locator('.composite.title', { hasText: /PConv Bench: Runs/i }).waitFor();
    await wb.sideBar.getByText('No runs under the reports folder yet.').waitFor();
    await wb.sideBar.locator('.welcome-view-content .monaco-button', { hasText: 'Run Experiment' }).waitFor();
    await wb.screenshot('activation-runs-view');
  });

  step('run-experiment', ['activation'], async () => {
    await wb.runCommand('PConv Bench: Run Experiment');
    // No YAML editor is active: it asks which config.
    await wb.pick('smoke.yaml');
    await wb
      .toast(/PConv Bench: run smoke\.yaml/)
      .first()
      .waitFor({ timeout: 30_000 });
    await wb.screenshot('run-progress');
    expect(await wb.outcome('run smoke.yaml', 170_000)).toMatch(/: finished in [\d.]+ s/);
    const row = await wb.waitForRun('smoke', /^finished · PSNR [\d.]+ dB/);
    expect(row).toContain(join(workspace, 'reports', 'smoke'));
    expect(existsSync(join(workspace, 'reports', 'smoke', 'results.json'))).toBe(true);
    await wb.screenshot('run-finished');
  });

  step('open-report', ['run-experiment'], async () => {
    await wb.runCommand('PConv Bench: Open Report');
    await wb.pick('smoke');
    await wb.page.locator('.tab', { hasText: 'Report: smoke' }).waitFor();
    const frame = await wb.webviewFrame('canvas');
    await frame.locator('h1', { hasText: 'smoke' }).first().waitFor();
    // Chart.js ran under the panel's CSP: it has chart instances, and each one's canvas has ink.
    await frame.waitForFunction(() => Object.keys((window as unknown as { Chart?: { instances?: object } }).Chart?.instances ?? {}).length > 0);
    const charts = await frame.evaluate(() => {
      const instances = Object.values((window as unknown as { Chart: { instances: Record<string, { canvas: HTMLCanvasElement }> } }).Chart.instances);
      for (const chart of instances) chart.canvas.dataset.hostSuiteChart = '';
      return instances.length;
    });
    const canvases = await canvasInk(frame, 'canvas[data-host-suite-chart]');
    expect(canvases.length).toBe(charts);
    for (const canvas of canvases) {
      expect(canvas.painted).toBeGreaterThan(canvas.width * canvas.height * 0.01);
      expect(canvas.colours).toBeGreaterThan(2);
    }
    // The sample and drill-down images come from the run folder through asWebviewUri, allowed by
    // cspSource. The drill-down's are lazy (loading="lazy": below the fold they load when scrolled
    // to): made eager here so that every one of them is fetched and checked.
    await frame.evaluate(() => {
      for (const img of document.images) img.loading = 'eager';
    });
    await frame.waitForFunction(() => [...document.images].every((img) => img.complete));
    const images = await frame.locator('img').evaluateAll((imgs) => (imgs as HTMLImageElement[]).map((img) => ({ src: img.src, ok: img.naturalWidth > 0 })));
    expect(images.length).toBeGreaterThan(0);
    expect(images.filter((i) => !i.ok)).toEqual([]);
    expect(images.filter((i) => i.src.includes('/drilldown/')).length).toBeGreaterThan(0);
    // The page's bridge reports script errors and CSP violations to the output channel.
    expect(await readIfExists(outputChannelLog(dirs))).not.toMatch(/^\[report /m);
    await wb.screenshot('report');
    await frame.locator('canvas[data-host-suite-chart]').first().scrollIntoViewIfNeeded();
    await wb.screenshot('report-charts');
    await wb.closeEditor('Report: smoke');
  });

  step('stop-and-resume', ['activation'], async () => {
    await wb.runCommand('PConv Bench: Run Experiment');
    await wb.pick('long.yaml');
    // Stop in the middle of training: at its first progress event (the CLI sends one a stage every
    // 5 s when stderr is not a terminal, so the first is all there is for a while).
    await wb.toast(/run long\.yaml: train-pconv-phase1: \d+\/200 steps/).waitFor({ timeout: 120_000 });
    await wb.screenshot('stop-training');
    await wb.viewAction('Stop').click();
    expect(await wb.outcome('run long.yaml', 60_000)).toMatch(/: interrupted \(a checkpoint was saved/);
    await wb.waitForRun('long', /^interrupted/);
    await wb.screenshot('stop-interrupted');
    // Run it again: the same run folder, training resumes from the checkpoint Stop saved.
    await wb.runCommand('Notifications: Clear All Notifications');
    await wb.runCommand('PConv Bench: Run Experiment');
    await wb.pick('long.yaml');
    expect(await wb.outcome('run long.yaml', 170_000)).toMatch(/: finished in [\d.]+ s/);
    await wb.waitForRun('long', /^finished · PSNR/);
    const resumed = /pconv: resuming at step (\d+)/.exec(await readIfExists(outputChannelLog(dirs)));
    expect(resumed, 'the output channel says where training resumed').not.toBeNull();
    expect(Number(resumed?.[1])).toBeGreaterThan(0);
    expect(Number(resumed?.[1])).toBeLessThan(200);
    await wb.screenshot('stop-resumed-finished');
  });

  step('config-problems', ['activation'], async () => {
    // Open configs/typo.yaml, add a misspelt key under data:, save: the CLI's check lands in Problems.
    await wb.page.keyboard.press('Control+P');
    await wb.quickInput.locator('input.input').fill('typo.yaml');
    await wb.pick('typo.yaml');
    const editor = wb.page.locator('.editor-instance .monaco-editor').first();
    await editor.waitFor();
    await wb.page.keyboard.press('Control+G');
    await wb.quickInput.locator('input.input').fill(':8');
    await wb.page.keyboard.press('Enter');
    await wb.page.keyboard.press('End');
    await wb.page.keyboard.press('Enter');
    await wb.page.keyboard.type('imageSizee: 32');
    await wb.page.keyboard.press('Escape');
    await wb.page.keyboard.press('Control+S');
    const file = join(workspace, 'configs', 'typo.yaml');
    await expect.poll(async () => readFile(file, 'utf8'), { timeout: 10_000 }).toContain('imageSizee');
    const lines = (await readFile(file, 'utf8')).split('\n');
    const line = lines.findIndex((l) => l.includes('imageSizee')) + 1;
    const column = (lines[line - 1] ?? '').indexOf('imageSizee') + 1;
    expect(lines[line - 2]).toMatch(/^\s+imageSize: 32$/);
    await editor.locator('.squiggly-error').first().waitFor({ timeout: 30_000 });
    await wb.page.keyboard.press('Control+Shift+M');
    const marker = wb.page.locator('.markers-panel .monaco-list-row').filter({ hasText: 'unknown key' }).first();
    await marker.waitFor({ timeout: 30_000 });
    const text = await marker.evaluate((el) => `${el.textContent}\n${el.getAttribute('aria-label') ?? ''}`);
    expect(text).toContain('data.imageSizee');
    expect(text).toContain('pconv-bench');
    expect(text).toContain(`[Ln ${line}, Col ${column}]`);
    await wb.screenshot('config-problems');
  });

  step('inpaint', ['run-experiment'], async () => {
    const image = join(workspace, 'data', 'photos', '001_chelsea.png');
    await wb.runCommand('PConv Bench: Inpaint Image...');
    await wb.answerFileDialog(image);
    const frame = await wb.webviewFrame('#overlay');
    await frame.locator('#checkpoint:enabled').waitFor();
    const options = await frame
      .locator('#checkpoint option')
      .evaluateAll((opts) => (opts as HTMLOptionElement[]).map((o) => ({ value: o.value, label: o.label })));
    const smoke = options.find((o) => o.label.startsWith('smoke / pconv'));
    expect(smoke, JSON.stringify(options)).toBeDefined();
    await frame.locator('#checkpoint').selectOption(smoke?.value ?? '');
    // A stroke across the middle of the picture.
    const box = await frame.locator('#overlay').boundingBox();
    if (!box) throw new Error('the mask overlay has no box');
    await wb.page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
    await wb.page.mouse.down();
    for (let i = 1; i <= 10; i++) await wb.page.mouse.move(box.x + box.width * (0.3 + 0.04 * i), box.y + box.height * 0.5, { steps: 2 });
    await wb.page.mouse.up();
    await frame.locator('#undo:enabled').waitFor();
    const [overlay] = await canvasInk(frame, '#overlay');
    expect(overlay?.painted).toBeGreaterThan(0);
    await wb.screenshot('inpaint-stroke');
    await frame.locator('#run').click();
    await frame.locator('#results-view').waitFor({ state: 'visible', timeout: 120_000 });
    await frame.waitForFunction(() => (document.querySelector('#result-output') as HTMLImageElement | null)?.naturalWidth === 256);
    const shown = await frame.locator('#result-output').getAttribute('src');
    await wb.screenshot('inpaint-result');
    await frame.locator('#save').click();
    const saved = await wb.answerFileDialog();
    expect(basename(saved)).toBe('001_chelsea-inpainted.png');
    await frame.locator('#status', { hasText: `Saved to ${saved}` }).waitFor();
    const bytes = await readFile(saved);
    expect(pngSize(bytes)).toEqual({ width: 256, height: 256 });
    expect(`data:image/png;base64,${bytes.toString('base64')}`).toBe(shown);
    expect(bytes.equals(await readFile(image))).toBe(false);
    await wb.screenshot('inpaint-saved');
    await wb.closeEditor('Inpaint: 001_chelsea.png');
  });

  step('no-extension-errors', ['activation'], async () => {
    const log = await readIfExists(extensionHostLog(dirs));
    const errors = log.split('\n').filter((l) => /\[error\]/.test(l) && /pconv/i.test(l));
    expect(errors).toEqual([]);
  });
});
