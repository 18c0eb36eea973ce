/** What a webview page needs to build its Content-Security-Policy. */
export interface WebviewCspArgs {
  /** `webview.cspSource`: the origin that serves the extension's local resources to the webview. */
  readonly cspSource: string;
  /** Fresh per rendering (makeNonce); every <script> and <style> of the page carries it. */
  readonly nonce: string;
}

/**
 * The strict policy of both panels: nothing by default; scripts and style sheets only with the
 * nonce; images only from the extension's local resources or data: URIs. No network, no inline
 * event handlers, no eval. Style attributes set through the DOM (element.style, as Chart.js does)
 * are not governed by style-src, so no 'unsafe-inline' is needed.
 */
export function webviewCsp({ cspSource, nonce }: WebviewCspArgs): string {
  if (!/^[A-Za-z0-9+/_=-]{16,}$/.test(nonce))
    throw new Error(`webview nonce ${JSON.stringify(nonce)} is not a random base64 string of 16+ characters: use makeNonce()`);
  if (/[;'"\s]/.test(cspSource) || cspSource === '') throw new Error(`cspSource ${JSON.stringify(cspSource)} is not an origin: pass webview.cspSource`);
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
