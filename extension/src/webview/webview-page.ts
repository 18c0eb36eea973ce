import { escapeHtml } from '../../../src/eval/report/escape-html.js';
import { type WebviewCspArgs, webviewCsp } from './webview-csp.js';

/**
 * What every panel page of ours styles alike: the body in VS Code's theme variables with fallbacks
 * (so the page also reads well outside VS Code, in the tests), the error banner, and `hidden`.
 */
const BASE_STYLE = `
body{font-family:var(--vscode-font-family,system-ui,sans-serif);font-size:var(--vscode-font-size,13px);color:var(--vscode-foreground,#222);background:var(--vscode-editor-background,#fff);margin:0;padding:.75rem 1rem}
#banner{border:1px solid var(--vscode-inputValidation-errorBorder,#be1100);background:var(--vscode-inputValidation-errorBackground,#fde7e9);color:inherit;padding:.4rem .6rem;margin-bottom:.6rem;white-space:pre-wrap}
[hidden]{display:none!important}
`;

export interface WebviewPageArgs extends WebviewCspArgs {
  readonly title: string;
  /** The page's own rules, after the shared ones. */
  readonly style: string;
  /** Static markup inside <main>; the scripts build the rest. */
  readonly body: string;
  /** Script URLs (webview.asWebviewUri(...).toString()), loaded in this order with the nonce. */
  readonly scripts: readonly string[];
}

/**
 * A panel's whole page under the webview's CSP (webview-csp.ts): the style and every script carry
 * the nonce, and there is no inline script or handler.
 */
export function webviewPageHtml(args: WebviewPageArgs): string {
  const nonce = escapeHtml(args.nonce);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(webviewCsp(args))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(args.title)}</title>
<style nonce="${nonce}">${BASE_STYLE}${args.style}</style>
</head><body>
<main>
${args.body}
</main>
${args.scripts.map((src) => `<script nonce="${nonce}" src="${escapeHtml(src)}"></script>`).join('\n')}
</body></html>
`;
}
