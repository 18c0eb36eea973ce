import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium } from '../../../test/helpers/browser.js';
import { inpaintPanelHtml } from '../../src/webview/inpaint/inpaint-panel-html.js';
import { makeNonce } from '../../src/webview/nonce.js';
import { bundle, ORIGIN, openWebview, violations, type WebviewPage } from './helpers/webview-page.js';

/** Screenshots for people to look at, beside the report test's (test-artifacts/ at the repository root). */
const artifacts = fileURLToPath(new URL('../../../test-artifacts', import.meta.url));
const W = 320;
const H = 200;
let browser: Browser;
let imageUri: string;
let script: string;

async function pngDataUri(width: number, height: number, colour: { r: number; g: number; b: number }): Promise<string> {
  const png = await sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** Decodes a posted mask with sharp (independently of the browser that drew it). */
async function decodeMask(uri: string) {
  expect(uri).toMatch(/^data:image\/png;base64,/);
  const { data, info } = await sharp(Buffer.from(uri.slice(uri.indexOf(',') + 1), 'base64'))
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => data[y * info.width + x] as number;
  let holes = 0;
  let grey = 0;
  const box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  for (let y = 0; y < info.height; y++)
    for (let x = 0; x < info.width; x++) {
      const v = at(x, y);
      if (v !== 0 && v !== 255) grey++;
      if (v === 0) {
        holes++;
        box.x0 = Math.min(box.x0, x);
        box.y0 = Math.min(box.y0, y);
        box.x1 = Math.max(box.x1, x);
        box.y1 = Math.max(box.y1, y);
      }
    }
  return { width: info.width, height: info.height, at, holes, grey, box };
}

const CHECKPOINTS = [
  { id: 'ck-pconv', label: 'demo / PConv / phase2 (step 400)' },
  { id: 'ck-conv', label: 'demo / baseline / phase2 (step 400)' },
];

/** A panel initialised by the host, shown smaller than the image so that pointer mapping is exercised. */
async function openPanel(checkpoints = CHECKPOINTS): Promise<WebviewPage & { toScreen(x: number, y: number): Promise<{ x: number; y: number }> }> {
  const html = inpaintPanelHtml({ cspSource: ORIGIN, nonce: makeNonce(), scriptUri: `${ORIGIN}/inpaint.js` });
  const view = await openWebview(browser, html, { '/inpaint.js': script }, { width: 280, height: 900 });
  expect(await view.posted()).toEqual([{ type: 'ready' }]);
  await view.fromHost({ type: 'init', image: { uri: imageUri, width: W, height: H, name: 'photo.png' }, checkpoints });
  await view.page.waitForFunction(() => (document.getElementById('image') as HTMLImageElement).complete);
  return {
    ...view,
    async toScreen(x, y) {
      const box = await view.page.locator('#overlay').boundingBox();
      if (!box) throw new Error('overlay not shown');
      return { x: box.x + (x * box.width) / W, y: box.y + (y * box.height) / H };
    },
  };
}

async function setBrush(view: WebviewPage, size: number): Promise<void> {
  await view.page.$eval(
    '#brush-size',
    (el, value) => {
      (el as HTMLInputElement).value = String(value);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    },
    size,
  );
  expect(await view.page.locator('#brush-size-value').textContent()).toBe(`${size} px`);
}

/** Drags the mouse from one image point to another (image pixels). */
async function drag(view: Awaited<ReturnType<typeof openPanel>>, from: [number, number], to: [number, number]): Promise<void> {
  const a = await view.toScreen(...from);
  const b = await view.toScreen(...to);
  await view.page.mouse.move(a.x, a.y);
  await view.page.mouse.down();
  await view.page.mouse.move(b.x, b.y, { steps: 12 });
  await view.page.mouse.up();
}

/** Clicks Inpaint and returns the 'run' message it posted. */
async function runMask(view: WebviewPage) {
  const before = (await view.posted()).length;
  await view.page.getByRole('button', { name: 'Inpaint' }).click();
  const posted = await view.posted();
  expect(posted).toHaveLength(before + 1);
  const run = posted[before] as { type: string; maskPngDataUri: string; width: number; height: number; checkpoint: string };
  expect(run.type).toBe('run');
  return run;
}

beforeAll(async () => {
  [script, imageUri, browser] = await Promise.all([bundle('inpaint/main.ts'), pngDataUri(W, H, { r: 40, g: 120, b: 200 }), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
});

describe('inpaint webview in headless Chromium', () => {
  test('a painted stroke is posted as a black-on-white PNG at the image resolution, where it was painted', async () => {
    const view = await openPanel();
    const shown = await view.page.locator('#overlay').boundingBox();
    expect(shown?.width).toBeLessThan(W); // shown scaled down: screen -> image mapping matters
    expect(await view.page.getByRole('button', { name: 'Inpaint' }).isDisabled()).toBe(true); // nothing painted yet
    await setBrush(view, 20);
    await drag(view, [60, 100], [260, 100]);
    await view.page.selectOption('#checkpoint', 'ck-conv');
    const run = await runMask(view);
    expect(run).toMatchObject({ width: W, height: H, checkpoint: 'ck-conv' });
    const mask = await decodeMask(run.maskPngDataUri);
    expect([mask.width, mask.height, mask.grey]).toEqual([W, H, 0]);
    // A 200 px line of width 20 with round caps: x 50..270, y 90..110 (+-2 px of anti-aliasing and pointer rounding).
    expect(mask.box.x0).toBeGreaterThanOrEqual(48);
    expect(mask.box.x0).toBeLessThanOrEqual(52);
    expect(mask.box.x1).toBeGreaterThanOrEqual(268);
    expect(mask.box.x1).toBeLessThanOrEqual(272);
    expect(mask.box.y0).toBeGreaterThanOrEqual(88);
    expect(mask.box.y1).toBeLessThanOrEqual(112);
    const area = 200 * 20 + Math.PI * 10 * 10;
    expect(Math.abs(mask.holes - area) / area).toBeLessThan(0.05);
    expect(mask.at(160, 100)).toBe(0);
    expect(mask.at(160, 40)).toBe(255);
    expect(mask.at(10, 100)).toBe(255);
    expect(await view.page.locator('#status').textContent()).toBe('Inpainting...');
    expect(await view.page.getByRole('button', { name: 'Inpaint' }).isDisabled()).toBe(true); // until the host answers
    expect(await view.page.getByRole('button', { name: 'Cancel' }).isVisible()).toBe(true);
    await view.page.getByRole('button', { name: 'Cancel' }).click();
    expect((await view.posted()).at(-1)).toEqual({ type: 'cancel' });
    expect(view.problems).toEqual([]);
    expect(await violations(view.page)).toEqual([]);
    await view.page.close();
  });

  test('the eraser removes holes, undo brings them back exactly, clear can be undone, keyboard works', async () => {
    const view = await openPanel();
    await setBrush(view, 20);
    await drag(view, [60, 100], [260, 100]);
    const painted = await runMask(view);
    await view.fromHost({ type: 'error', message: 'inpaint was stopped', hint: 'Run it again.' }); // ends the run
    expect(await view.page.getByRole('alert').textContent()).toBe('inpaint was stopped\nRun it again.');

    await view.page.getByRole('button', { name: 'Eraser' }).click();
    expect(await view.page.getByRole('button', { name: 'Eraser' }).getAttribute('aria-pressed')).toBe('true');
    await setBrush(view, 30);
    await drag(view, [160, 60], [160, 140]);
    const erased = await decodeMask((await runMask(view)).maskPngDataUri);
    const before = await decodeMask(painted.maskPngDataUri);
    expect(erased.at(160, 100)).toBe(255);
    expect(erased.at(100, 100)).toBe(0);
    expect(erased.at(220, 100)).toBe(0);
    // About a 30 x 20 block (plus the arcs of the caps) is gone.
    expect(before.holes - erased.holes).toBeGreaterThan(30 * 20 * 0.9);
    expect(before.holes - erased.holes).toBeLessThan(30 * 20 * 1.1);
    await view.fromHost({ type: 'error', message: 'stopped' });

    await view.page.getByRole('button', { name: 'Undo' }).click();
    expect((await runMask(view)).maskPngDataUri).toBe(painted.maskPngDataUri);
    await view.fromHost({ type: 'error', message: 'stopped' });

    await view.page.getByRole('button', { name: 'Clear' }).click();
    expect(await view.page.getByRole('button', { name: 'Inpaint' }).isDisabled()).toBe(true);
    await view.page.keyboard.press('Control+z');
    expect(await view.page.getByRole('button', { name: 'Inpaint' }).isDisabled()).toBe(false);
    expect((await runMask(view)).maskPngDataUri).toBe(painted.maskPngDataUri);
    await view.fromHost({ type: 'error', message: 'stopped' });

    // Keyboard only: Tab to the eraser and toggle it with Space; E toggles it back.
    await view.page.getByLabel('Brush size').focus();
    await view.page.keyboard.press('Tab');
    expect(await view.page.evaluate(() => document.activeElement?.id)).toBe('eraser');
    const pressed = await view.page.getByRole('button', { name: 'Eraser' }).getAttribute('aria-pressed');
    await view.page.keyboard.press('Space');
    expect(await view.page.getByRole('button', { name: 'Eraser' }).getAttribute('aria-pressed')).not.toBe(pressed);
    await view.page.keyboard.press('e');
    expect(await view.page.getByRole('button', { name: 'Eraser' }).getAttribute('aria-pressed')).toBe(pressed);
    // ] and [ change the brush by a fifth of its size.
    await setBrush(view, 20);
    await view.page.keyboard.press(']');
    expect(await view.page.locator('#brush-size-value').textContent()).toBe('24 px');
    await view.page.keyboard.press('[');
    await view.page.keyboard.press('[');
    expect(await view.page.locator('#brush-size-value').textContent()).toBe('15 px');
    expect(view.problems).toEqual([]);
    await view.page.close();
  });

  test("the host's result shows input, mask and result side by side; Save posts 'save'", async () => {
    const view = await openPanel();
    expect(await view.page.locator('#results-view').isVisible()).toBe(false);
    await setBrush(view, 24);
    await drag(view, [100, 50], [200, 150]);
    const run = await runMask(view);
    await view.fromHost({ type: 'progress', message: 'inpainting tiles', done: 2, total: 6 });
    expect(await view.page.locator('#status').textContent()).toBe('inpainting tiles (2/6)');
    const resultUri = await pngDataUri(W, H, { r: 200, g: 60, b: 60 });
    await view.fromHost({ type: 'result', resultUri, checkpoint: run.checkpoint });
    await view.page.waitForFunction(() => [...document.querySelectorAll('#results-view img')].every((i) => (i as HTMLImageElement).complete));
    expect(await view.page.locator('#results-view').isVisible()).toBe(true);
    const shown = await view.page.$$eval('#results-view img', (imgs) =>
      imgs.map((i) => ({ alt: i.getAttribute('alt'), src: (i as HTMLImageElement).src, w: (i as HTMLImageElement).naturalWidth })),
    );
    expect(shown).toEqual([
      { alt: 'Input image', src: imageUri, w: W },
      { alt: 'Mask, black where the model filled in', src: run.maskPngDataUri, w: W },
      { alt: 'Inpainted result', src: resultUri, w: W },
    ]);
    expect(await view.page.locator('#result-caption').textContent()).toBe('Inpainted: demo / PConv / phase2 (step 400)');
    // Side by side: one row.
    const tops = await view.page.$$eval('#results-view figure', (fs) => fs.map((f) => Math.round(f.getBoundingClientRect().top)));
    expect(new Set(tops).size).toBe(1);
    expect(await view.page.getByRole('button', { name: 'Inpaint' }).isDisabled()).toBe(false);
    await view.page.getByRole('button', { name: 'Save result...' }).click();
    expect((await view.posted()).at(-1)).toEqual({ type: 'save' });
    await view.fromHost({ type: 'saved', path: '/home/me/photo-inpainted.png' });
    expect(await view.page.locator('#status').textContent()).toBe('Saved to /home/me/photo-inpainted.png');
    expect(view.problems).toEqual([]);
    expect(await violations(view.page)).toEqual([]);
    mkdirSync(artifacts, { recursive: true });
    await view.page.setViewportSize({ width: 900, height: 800 });
    await view.page.screenshot({ path: join(artifacts, 'inpaint-panel.png'), fullPage: true });

    // A new image starts over: no strokes, no result shown, nothing to run.
    await view.fromHost({ type: 'init', image: { uri: resultUri, width: W, height: H, name: 'other.png' }, checkpoints: CHECKPOINTS });
    expect(await view.page.locator('#results-view').isVisible()).toBe(false);
    expect(await view.page.getByRole('button', { name: 'Inpaint' }).isDisabled()).toBe(true);
    expect(await view.page.getByRole('button', { name: 'Undo' }).isDisabled()).toBe(true);
    await view.page.close();
  });

  test('invalid host messages are rejected visibly and reported back; the page keeps working', async () => {
    const view = await openPanel();
    await view.fromHost({ type: 'init', image: { uri: 'javascript:alert(1)', width: 0, height: H, name: 'x.png' }, checkpoints: [] });
    const alert = view.page.getByRole('alert');
    expect(await alert.isVisible()).toBe(true);
    const text = (await alert.textContent()) ?? '';
    expect(text).toMatch(/^Ignored an invalid message from the extension: invalid message of type "init": /);
    expect(text).toContain('image.uri: expected a data:image/... URI or a webview URI');
    expect(text).toContain('image.width: ');
    expect((await view.posted()).at(-1)).toEqual({ type: 'webviewError', message: text });
    // The rejected init changed nothing: the first image and its checkpoints are still there.
    expect(await view.page.$eval('#image', (i) => (i as HTMLImageElement).src)).toBe(imageUri);
    expect(await view.page.$$eval('#checkpoint option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['ck-pconv', 'ck-conv']);

    await view.fromHost({ type: 'explode' });
    expect(await alert.textContent()).toMatch(/invalid message of type "explode": type: /);
    await view.fromHost('not an object');
    expect(await alert.textContent()).toMatch(/^Ignored an invalid message from the extension: invalid message: \(message\): /);

    // An image the page cannot load is reported, not silently blank.
    await view.fromHost({ type: 'init', image: { uri: 'data:image/png;base64,AAAA', width: W, height: H, name: 'broken.png' }, checkpoints: CHECKPOINTS });
    await view.page.waitForFunction(() => !document.getElementById('banner')?.hidden);
    expect(await alert.textContent()).toBe('Could not show the image broken.png: the extension sent a URI this page cannot load.');
    expect((await view.posted()).at(-1)).toEqual({ type: 'webviewError', message: await alert.textContent() });
    await view.fromHost({ type: 'init', image: { uri: imageUri, width: W, height: H, name: 'photo.png' }, checkpoints: CHECKPOINTS });

    // A result nobody asked for is refused too.
    await view.fromHost({ type: 'result', resultUri: imageUri, checkpoint: 'ck-pconv' });
    expect(await alert.textContent()).toBe('Ignored a result from the extension: no inpaint was requested on this page.');
    expect(await view.page.locator('#results-view').isVisible()).toBe(false);

    // Still usable: paint and run.
    await drag(view, [20, 20], [60, 60]);
    expect((await runMask(view)).checkpoint).toBe('ck-pconv');
    expect(await alert.isVisible()).toBe(false); // a new run clears the old error
    expect(view.problems).toEqual([]);
    await view.page.close();
  });

  test('without checkpoints the panel says what to do and cannot run', async () => {
    const view = await openPanel([]);
    expect(await view.page.locator('#status').textContent()).toBe('No trained checkpoint found: train a model first (PConv Bench: Run Experiment).');
    await drag(view, [20, 20], [120, 120]);
    expect(await view.page.getByRole('button', { name: 'Inpaint' }).isDisabled()).toBe(true);
    expect(await view.page.getByLabel('Checkpoint').isDisabled()).toBe(true);
    expect(view.problems).toEqual([]);
    await view.page.close();
  });

  test('the Content-Security-Policy is in force: no inline script without the nonce, no remote image', async () => {
    const view = await openPanel();
    await view.page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__ran = true';
      document.body.append(s);
      const img = document.createElement('img');
      img.src = 'https://elsewhere.test/x.png';
      document.body.append(img);
    });
    await view.page.waitForFunction(() => (window as unknown as { __violations: string[] }).__violations.length >= 2);
    expect(await view.page.evaluate(() => (window as unknown as { __ran?: boolean }).__ran)).toBeUndefined();
    const seen = await violations(view.page);
    expect(seen).toEqual(expect.arrayContaining(['script-src-elem inline', 'img-src https://elsewhere.test/x.png']));
    await view.page.close();
  });
});
