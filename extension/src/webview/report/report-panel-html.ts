import { escapeHtml } from '../../../../src/eval/report/escape-html.js';
import { type ReportInput, renderReport } from '../../../../src/eval/report/render-report.js';
import { type WebviewCspArgs, webviewCsp } from '../webview-csp.js';

export interface ReportPanelArgs
  extends WebviewCspArgs,
    Pick<ReportInput, 'results' | 'training' | 'images' | 'chartJs' | 'configYaml' | 'trainingRecord' | 'drilldown' | 'drilldownUnavailable' | 'pairsPage'> {
  /** webview.asWebviewUri(dist/webview/report-bridge.js).toString() */
  readonly bridgeScriptUri: string;
}

/**
 * Styles the webview needs beyond the report's own: VS Code's webview intercepts clicks on
 * fragment links (it scrolls instead of navigating), so `:target` never matches there and the
 * bridge script opens the sample lightbox with a class instead.
 */
const PANEL_STYLE =
  '.lightbox.open{display:flex;position:fixed;inset:0;background:rgba(0,0,0,.85);align-items:center;justify-content:center;z-index:10}.lightbox.open img{width:min(90vw,90vh);height:auto;image-rendering:pixelated}';

/**
 * The project's own HTML report (src/eval/report/render-report.ts) for the report webview: under a
 * strict Content-Security-Policy (no network, scripts and styles only with this rendering's
 * nonce), with the bridge script first in <head> so that it also sees errors of the report's own
 * scripts. Chart PNGs are left out: they exist for places where scripts do not run. The
 * drill-down's pictures come, like the samples', as webview URIs of the run folder.
 */
export function reportPanelHtml(args: ReportPanelArgs): string {
  const html = renderReport({
    results: args.results,
    training: args.training,
    images: args.images,
    chartPngs: {},
    chartJs: args.chartJs,
    configYaml: args.configYaml,
    trainingRecord: args.trainingRecord,
    drilldown: args.drilldown,
    drilldownUnavailable: args.drilldownUnavailable,
    // The drill-down's pictures are not links to their files: the webview cannot open a file beside
    // the page. The link to pairs.html stays; the bridge asks the host to open it.
    linkFullSize: false,
    pairsPage: args.pairsPage,
    nonce: args.nonce,
    contentSecurityPolicy: webviewCsp(args),
  });
  const anchor = html.indexOf('<title>');
  if (anchor < 0) throw new Error('the rendered report has no <title>: render-report.ts changed its head; update reportPanelHtml');
  const nonce = escapeHtml(args.nonce);
  const head = `<script nonce="${nonce}" src="${escapeHtml(args.bridgeScriptUri)}"></script>\n<style nonce="${nonce}">${PANEL_STYLE}</style>\n`;
  return html.slice(0, anchor) + head + html.slice(anchor);
}
