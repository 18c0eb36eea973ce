import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';

/** The origin the tests serve webview pages from; it plays the part of `webview.cspSource`. */
export const ORIGIN = 'https://pconv-webview.test';

const bundles = new Map<string, Promise<string>>();

/** Bundles a webview entry point the way the extension build does (browser, IIFE), once per test file. */
export function bundle(entry: string): Promise<string> {
  const path = fileURLToPath(new URL(`../../../src/webview/${entry}`, import.meta.url));
  let text = bundles.get(path);
  if (!text) {
    text = build({ entryPoints: [path], bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2022', logLevel: 'silent' }).then(
      (result) => result.outputFiles[0]?.text ?? '',
    );
    bundles.set(path, text);
  }
  return text;
}

export interface WebviewPage {
  readonly page: Page;
  /** Everything the page posted through the acquireVsCodeApi stand-in, in order. */
  posted(): Promise<{ type: string; [key: string]: unknown }[]>;
  /** Console errors, page errors, CSP violations and requests that left the origin. */
  readonly problems: string[];
  /** Sends a message as the host does (panel.webview.postMessage). */
  fromHost(message: unknown): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = { js: 'text/javascript', png: 'image/png', jpg: 'image/jpeg', html: 'text/html' };

/**
 * Opens `html` as a webview would show it: served from ORIGIN together with the given resources
 * (path -> content: bundled scripts, images as webview.asWebviewUri would serve them), with a
 * stand-in for acquireVsCodeApi that records what the page posts.
 */
export async function openWebview(
  browser: Browser,
  html: string,
  resources: Record<string, string | Buffer>,
  viewport = { width: 900, height: 700 },
): Promise<WebviewPage> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(`${ORIGIN}/`) && !r.url().startsWith('data:')) problems.push(`request outside the webview: ${r.url()}`);
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __posted: unknown[]; __violations: string[]; acquireVsCodeApi: () => unknown };
    w.__posted = [];
    w.__violations = [];
    let acquired = false;
    w.acquireVsCodeApi = () => {
      // VS Code throws on a second call; so does the stand-in.
      if (acquired) throw new Error('acquireVsCodeApi called twice');
      acquired = true;
      return { postMessage: (m: unknown) => w.__posted.push(JSON.parse(JSON.stringify(m))), getState: () => undefined, setState: () => undefined };
    };
    document.addEventListener('securitypolicyviolation', (e) => w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.route(`${ORIGIN}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/index.html') return route.fulfill({ contentType: 'text/html', body: html });
    const body = resources[path];
    if (body !== undefined) return route.fulfill({ contentType: CONTENT_TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream', body });
    return route.fulfill({ status: 404, body: 'not found' });
  });
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForLoadState('load');
  return {
    page,
    problems,
    posted: () => page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted),
    fromHost: async (message) => {
      // VS Code delivers host messages by dispatching a MessageEvent on the webview's window; so do we
      // (synchronously, so the page has handled it when this resolves).
      await page.evaluate((m) => window.dispatchEvent(new MessageEvent('message', { data: m })), message);
    },
  };
}

/** CSP violations the page saw (also reported as console errors; kept separately to say which). */
export function violations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
}
