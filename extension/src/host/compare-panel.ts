import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { makeNonce } from '../webview/nonce.js';
import { webviewCsp } from '../webview/webview-csp.js';

const panels = new Map<string, vscode.WebviewPanel>();

/**
 * The page `pconv-bench compare` wrote, for a webview: any CSP meta of its own and any script
 * removed (the page has none), the webviews' strict CSP put first in <head>, and the nonce on its
 * <style> elements (the only thing the policy lets through besides data: images).
 */
export function comparePageHtml(html: string, csp: { cspSource: string; nonce: string }): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${webviewCsp(csp).replaceAll("'", '&#39;')}">`;
  const cleaned = html
    .replace(/<meta\s+http-equiv=["']?Content-Security-Policy["']?[^>]*>/gi, '')
    .replace(/<script\b[\s\S]*?<\/script\s*>/gi, '')
    .replace(/<style\b/gi, `<style nonce="${csp.nonce}"`);
  const head = /<head\b[^>]*>/i.exec(cleaned);
  if (!head) return `${meta}\n${cleaned}`;
  const at = head.index + head[0].length;
  return `${cleaned.slice(0, at)}${meta}${cleaned.slice(at)}`;
}

/**
 * Shows a comparison page (DIR/index.html of `pconv-bench compare`) in a webview without scripts
 * and without local resources: the page is self-contained. One panel per page; showing it again
 * re-reads the file.
 */
export async function openComparePanel(page: string, title: string): Promise<void> {
  let panel = panels.get(page);
  if (panel) {
    panel.reveal();
  } else {
    panel = vscode.window.createWebviewPanel('pconvBench.compare', `Compare: ${title}`, vscode.ViewColumn.Active, {
      enableScripts: false,
      localResourceRoots: [],
    });
    panels.set(page, panel);
    panel.onDidDispose(() => panels.delete(page));
  }
  try {
    panel.webview.html = comparePageHtml(await readFile(page, 'utf8'), { cspSource: panel.webview.cspSource, nonce: makeNonce() });
  } catch (error) {
    panel.dispose();
    void vscode.window.showErrorMessage(`PConv Bench: cannot show the comparison ${page}: ${(error as Error).message}`);
  }
}
