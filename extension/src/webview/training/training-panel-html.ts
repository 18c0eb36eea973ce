import type { WebviewCspArgs } from '../webview-csp.js';
import { webviewPageHtml } from '../webview-page.js';

export interface TrainingPanelArgs extends WebviewCspArgs {
  /** webview.asWebviewUri(dist/media/chart.umd.min.js).toString(): the Chart.js the report panel uses too. */
  readonly chartScriptUri: string;
  /** webview.asWebviewUri(dist/webview/training.js).toString() */
  readonly scriptUri: string;
}

/** This page's rules (webview-page.ts has the body's, the banner's and `hidden`). */
const STYLE = `
h1{font-size:1.2rem;margin:.2rem 0}h2{font-size:1rem;margin:1rem 0 .3rem}
#status{min-height:1.3em;margin:.2rem 0 .5rem;color:var(--vscode-descriptionForeground,#555);font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:.5rem 1rem}
figure{margin:0;padding:.4rem;background:#fff;border:1px solid var(--vscode-panel-border,#ccc);border-radius:2px}
figcaption{font-weight:600;color:#222;margin-bottom:.2rem}
canvas{display:block}
`;

/**
 * The training panel's page: a status line and two groups of charts that main.ts creates as the
 * data comes (a loss chart per model; PSNR, SSIM and hole L1 of the validation passes, a line per
 * model). Static markup only; Chart.js and main.ts load with the nonce, no inline script.
 */
export function trainingPanelHtml(args: TrainingPanelArgs): string {
  return webviewPageHtml({
    ...args,
    title: 'Training',
    style: STYLE,
    body: `<div id="banner" role="alert" hidden></div>
<h1 id="title">Training</h1>
<p id="status" role="status" aria-live="polite">Loading...</p>
<section aria-labelledby="loss-heading" id="loss-section" hidden><h2 id="loss-heading">Loss</h2><div class="charts" id="loss-charts"></div></section>
<section aria-labelledby="quality-heading" id="quality-section" hidden><h2 id="quality-heading">Validation quality</h2>
<p>PSNR, SSIM and L1 in the holes of each model's composited predictions on the same validation pairs at every validation step, scored as evaluation scores the test pairs.</p>
<div class="charts" id="quality-charts"></div></section>`,
    scripts: [args.chartScriptUri, args.scriptUri],
  });
}
