import { describe, expect, test } from 'vitest';
import { escapeHtml } from '../../../src/eval/report/escape-html.js';
import { inpaintPanelHtml } from '../../src/webview/inpaint/inpaint-panel-html.js';
import { makeNonce } from '../../src/webview/nonce.js';
import { webviewCsp } from '../../src/webview/webview-csp.js';

const nonce = makeNonce();

/** The directives of a policy by name, each with its sources as written. */
function directives(csp: string): Record<string, string> {
  return Object.fromEntries(
    csp.split('; ').map((d) => {
      const space = d.indexOf(' ');
      return [d.slice(0, space), d.slice(space + 1)];
    }),
  );
}

describe('webviewCsp: webview.cspSource is a source list (issue 19)', () => {
  test.each([
    // VS Code 1.7x+ (desktop and web, code-server 1.100.3 included): the shared extension host's value.
    ["'self' https://*.vscode-cdn.net"],
    // VS Code for the web serving the extension from a CDN: its location, as a directory, comes first.
    ["https://main.vscode-cdn.net/extensions/pconv.pconv-bench-0.1.0/ 'self' https://*.vscode-cdn.net"],
    // Older desktop releases: one wildcard host-source.
    ['https://*.vscode-cdn.net'],
    ['https://*.vscode-webview.net'],
    // What asWebviewUri puts in front of a path, vscode-webview: origins, the legacy scheme-source.
    ['https://file+.vscode-resource.vscode-cdn.net'],
    ['vscode-webview://abc123'],
    ['vscode-resource:'],
    ['http://localhost:8080 http://127.0.0.1:*'],
    ["'SELF'"],
  ])('%s goes verbatim into img-src and font-src, nowhere else', (cspSource) => {
    const csp = webviewCsp({ cspSource, nonce });
    expect(directives(csp)).toEqual({
      'default-src': "'none'",
      'img-src': `${cspSource} data:`,
      'style-src': `'nonce-${nonce}'`,
      'script-src': `'nonce-${nonce}'`,
      'font-src': cspSource,
      'base-uri': "'none'",
      'form-action': "'none'",
    });
  });

  test("code-server's value makes the whole policy, and the inpaint page's meta carries it", () => {
    const cspSource = "'self' https://*.vscode-cdn.net";
    const csp = webviewCsp({ cspSource, nonce });
    expect(csp).toBe(
      `default-src 'none'; img-src 'self' https://*.vscode-cdn.net data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; font-src 'self' https://*.vscode-cdn.net; base-uri 'none'; form-action 'none'`,
    );
    const html = inpaintPanelHtml({ cspSource, nonce, scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/inpaint.js' });
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`);
  });

  test('extra spaces between or around the sources are dropped', () => {
    expect(directives(webviewCsp({ cspSource: "  'self'   https://*.vscode-cdn.net ", nonce }))['font-src']).toBe("'self' https://*.vscode-cdn.net");
  });

  test.each([
    ['', /it is empty/],
    ['   ', /it is empty/],
    ["https://x.test; script-src 'unsafe-inline'", /";" or "," would end the directive/],
    ['https://x.test,https://y.test', /";" or "," would end the directive/],
    ["'self'\nhttps://*.vscode-cdn.net", /control character/],
    ["'self'\thttps://*.vscode-cdn.net", /control character/],
    ["'self'\rscript-src", /control character/],
    ['https://x.test\u0000', /control character/],
    ["'unsafe-inline'", /'unsafe-inline' is not allowed: only 'self' is/],
    ["'self' 'unsafe-eval'", /'unsafe-eval' is not allowed/],
    ["'wasm-unsafe-eval'", /is not allowed/],
    ["'strict-dynamic'", /is not allowed/],
    ["'none'", /'none' is not allowed/],
    [`'nonce-${nonce}'`, /is not allowed/],
    ["'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='", /is not allowed/],
    ["'self", /is not allowed/],
    ['"self"', /is not a scheme-source or host-source/],
    ["https://x.test/a'b", /is not a scheme-source or host-source/],
    ['*', /\* would allow every host/],
    ['https://*', /https:\/\/\* would allow every host/],
    ['*:443', /would allow every host/],
    ['https:', /https: would allow every host/],
    ["'self' wss:", /wss: would allow every host/],
    ['https://x.test/?q=1', /is not a scheme-source or host-source/],
    ['https://x.test/#top', /is not a scheme-source or host-source/],
    ['https://x.test/"><script>', /is not a scheme-source or host-source/],
    ['https://*.*.x.test', /is not a scheme-source or host-source/],
  ])('%j is refused, with the fix', (cspSource, why) => {
    expect(() => webviewCsp({ cspSource, nonce })).toThrow(why);
    expect(() => webviewCsp({ cspSource, nonce })).toThrow(
      /is not a CSP source list .*: pass webview\.cspSource, e\.g\. "'self' https:\/\/\*\.vscode-cdn\.net"/,
    );
  });

  test('a value that is not a string is refused', () => {
    expect(() => webviewCsp({ cspSource: undefined as unknown as string, nonce })).toThrow(/not a string.*pass webview\.cspSource/);
  });
});
