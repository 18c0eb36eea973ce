import type { WebviewCspArgs } from '../webview-csp.js';
import { webviewPageHtml } from '../webview-page.js';

export interface InpaintPanelArgs extends WebviewCspArgs {
  /** webview.asWebviewUri(dist/webview/inpaint.js).toString() */
  readonly scriptUri: string;
}

/** This page's rules (webview-page.ts has the body's, the banner's and `hidden`). */
const STYLE = `
.toolbar{display:flex;flex-wrap:wrap;gap:.5rem .9rem;align-items:center;margin-bottom:.6rem}
.toolbar .group{display:flex;gap:.35rem;align-items:center}
button{font:inherit;color:var(--vscode-button-foreground,#fff);background:var(--vscode-button-background,#0e639c);border:1px solid transparent;border-radius:2px;padding:.3rem .8rem;cursor:pointer}
button.secondary,button[aria-pressed]{color:var(--vscode-button-secondaryForeground,#222);background:var(--vscode-button-secondaryBackground,#ddd)}
button[aria-pressed="true"]{outline:2px solid var(--vscode-focusBorder,#0078d4)}
button:disabled{opacity:.45;cursor:default}
button:focus-visible,select:focus-visible,input:focus-visible{outline:2px solid var(--vscode-focusBorder,#0078d4);outline-offset:1px}
select{font:inherit;color:var(--vscode-dropdown-foreground,#222);background:var(--vscode-dropdown-background,#fff);border:1px solid var(--vscode-dropdown-border,#aaa);padding:.2rem}
#status{min-height:1.3em;margin:.2rem 0 .5rem;color:var(--vscode-descriptionForeground,#555)}
.stage{position:relative;display:inline-block;max-width:100%;line-height:0;touch-action:none;cursor:crosshair;border:1px solid var(--vscode-panel-border,#ccc)}
.stage img{display:block;max-width:100%;height:auto;user-select:none;-webkit-user-drag:none}
.stage canvas{position:absolute;inset:0;width:100%;height:100%;opacity:.6}
.results{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:.75rem;align-items:start}
.results figure{margin:0}
.results img{display:block;max-width:100%;height:auto;image-rendering:pixelated;border:1px solid var(--vscode-panel-border,#ccc)}
figcaption{font-weight:600;margin-bottom:.25rem}
`;

/**
 * The inpaint panel's page: the image with a mask overlay to paint on, the brush tools, the
 * checkpoint picker, and the side-by-side result view. Static markup only; main.ts (loaded with the
 * nonce, no inline handlers) wires it up once the host sends 'init'.
 */
export function inpaintPanelHtml(args: InpaintPanelArgs): string {
  return webviewPageHtml({
    ...args,
    title: 'Inpaint image',
    style: STYLE,
    body: `<div id="banner" role="alert" hidden></div>
<section id="editor" aria-label="Paint the mask">
<div class="toolbar" role="toolbar" aria-label="Mask tools">
<div class="group"><label for="brush-size">Brush size</label><input id="brush-size" type="range" min="1" max="64" value="8" aria-describedby="brush-size-value"><output id="brush-size-value" for="brush-size">8 px</output></div>
<button id="eraser" type="button" aria-pressed="false" title="Eraser (E)">Eraser</button>
<button id="undo" type="button" class="secondary" title="Undo (Ctrl+Z)" disabled>Undo</button>
<button id="clear" type="button" class="secondary" disabled>Clear</button>
<div class="group"><label for="checkpoint">Checkpoint</label><select id="checkpoint" disabled><option value="">(waiting for the extension)</option></select></div>
<button id="run" type="button" disabled>Inpaint</button>
<button id="cancel" type="button" class="secondary" hidden>Cancel</button>
</div>
<p id="status" role="status" aria-live="polite">Loading...</p>
<div class="stage" id="stage"><img id="image" alt="" draggable="false"><canvas id="overlay" role="img" aria-label="Mask overlay: painted areas are the holes to fill"></canvas></div>
</section>
<section id="results-view" aria-label="Result" hidden>
<h2>Result</h2>
<div class="results">
<figure><figcaption>Input</figcaption><img id="result-input" alt="Input image"></figure>
<figure><figcaption>Mask (black = hole)</figcaption><img id="result-mask" alt="Mask, black where the model filled in"></figure>
<figure><figcaption id="result-caption">Inpainted</figcaption><img id="result-output" alt="Inpainted result"></figure>
</div>
<p><button id="save" type="button">Save result...</button></p>
</section>`,
    scripts: [args.scriptUri],
  });
}
