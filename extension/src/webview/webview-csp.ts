/** What a webview page needs to build its Content-Security-Policy. */
export interface WebviewCspArgs {
  /**
   * `webview.cspSource`, verbatim: the source list that serves the extension's local resources to
   * the webview. It is a space-separated list of CSP source expressions, not one origin: current
   * VS Code (desktop and web alike) hands over `'self' https://*.vscode-cdn.net`, and puts the extension's
   * own location (`https://host/path/`) in front of it where the extension is served over http(s).
   */
  readonly cspSource: string;
  /** Fresh per rendering (makeNonce); every <script> and <style> of the page carries it. */
  readonly nonce: string;
}

/** The one keyword cspSource may carry ('self', in any case as CSP keywords are case-insensitive). */
const KEYWORD = /^'self'$/i;
/** A scheme-source: `vscode-resource:` (not a network one: those are refused). */
const SCHEME_SOURCE = /^[A-Za-z][A-Za-z0-9+.-]*:$/;
/**
 * A host-source: optional `scheme://`, a host of one or more labels (the first may be `*`, the
 * labels may carry `+` as in `file+.vscode-resource.vscode-cdn.net`), optional `:port` or `:*`,
 * optional path (RFC 3986 path characters less `,` `;` and quotes; no query, no fragment).
 */
const HOST_SOURCE =
  /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/)?(?:\*\.)?[A-Za-z0-9+-]+(?:\.[A-Za-z0-9+-]+)*(?::(?:[0-9]{1,5}|\*))?(?:\/[A-Za-z0-9\-._~%!$&()*+=:@/]*)?$/;

/**
 * The sources of `webview.cspSource`, checked: each must be 'self', a scheme-source or a
 * host-source. Anything that could end the directive or start another (`;`, `,`, quotes, control
 * characters), any other keyword ('none', 'unsafe-*', nonces, hashes: the host never hands them
 * over) and a wildcard for every host (`*`, `https://*`, a bare `https:`) is refused.
 */
function cspSources(cspSource: unknown): string[] {
  const refuse = (why: string): never => {
    throw new Error(`cspSource ${JSON.stringify(cspSource)} is not a CSP source list (${why}): pass webview.cspSource, e.g. "'self' https://*.vscode-cdn.net"`);
  };
  if (typeof cspSource !== 'string') return refuse('not a string');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(cspSource)) return refuse('it has a newline, tab or other control character');
  if (/[;,]/.test(cspSource)) return refuse('";" or "," would end the directive');
  const sources = cspSource.split(' ').filter((s) => s !== '');
  if (!sources.length) return refuse('it is empty');
  for (const source of sources) {
    // A bare network scheme is as broad as `https://*`: the panels promise no network.
    if (/^(?:https?|wss?):$/i.test(source)) return refuse(`${source} would allow every host`);
    if (KEYWORD.test(source) || SCHEME_SOURCE.test(source) || HOST_SOURCE.test(source)) continue;
    if (source.startsWith("'")) return refuse(`${source} is not allowed: only 'self' is`);
    if (/^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/)?\*(?::|\/|$)/.test(source)) return refuse(`${source} would allow every host`);
    return refuse(`${source} is not a scheme-source or host-source`);
  }
  return sources;
}

/**
 * The strict policy of both panels: nothing by default; scripts and style sheets only with the
 * nonce; images and fonts only from the extension's local resources (the sources of
 * webview.cspSource) or data: URIs. No network, no inline event handlers, no eval. Style attributes
 * set through the DOM (element.style, as Chart.js does) are not governed by style-src, so no
 * 'unsafe-inline' is needed.
 */
export function webviewCsp({ cspSource, nonce }: WebviewCspArgs): string {
  if (!/^[A-Za-z0-9+/_=-]{16,}$/.test(nonce))
    throw new Error(`webview nonce ${JSON.stringify(nonce)} is not a random base64 string of 16+ characters: use makeNonce()`);
  const sources = cspSources(cspSource).join(' ');
  return [
    "default-src 'none'",
    `img-src ${sources} data:`,
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${sources}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
