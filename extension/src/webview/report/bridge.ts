import '../zod-jitless.js';
import { parseReportToWebview, type ReportToHost } from '../../shared/messages.js';
import { vscodeApi } from '../vscode-api.js';

/**
 * Runs first in the report webview's <head>: reports script errors and CSP violations of the page
 * to the host's output channel, tells the host how many charts Chart.js drew once the page has
 * loaded, opens the sample lightbox (VS Code swallows fragment navigation), asks the host to open
 * the table of every pair, and scrolls to a section on the host's request.
 */
const vscode = vscodeApi<ReportToHost>();

window.addEventListener('error', (event) => {
  vscode.post({ type: 'webviewError', message: `report script error: ${event.message || String(event.error)}` });
});
document.addEventListener('securitypolicyviolation', (event) => {
  vscode.post({ type: 'webviewError', message: `report blocked by its Content-Security-Policy: ${event.violatedDirective} ${event.blockedURI || '(inline)'}` });
});

window.addEventListener('load', () => {
  const chart = (window as unknown as { Chart?: { instances?: Record<string, unknown> } }).Chart;
  vscode.post({ type: 'ready', charts: chart?.instances ? Object.keys(chart.instances).length : 0 });
});

function closeLightboxes(): void {
  for (const open of document.querySelectorAll('.lightbox.open')) open.classList.remove('open');
}

document.addEventListener(
  'click',
  (event) => {
    const link = event.target instanceof Element ? event.target.closest('a') : null;
    if (!link) return;
    if (link.classList.contains('lightbox')) {
      event.preventDefault();
      closeLightboxes();
      return;
    }
    if (link.id === 'pairs-link') {
      // pairs.html is a file beside the report: the webview cannot navigate to it, the host opens it.
      event.preventDefault();
      vscode.post({ type: 'openPairsPage' });
      return;
    }
    const href = link.getAttribute('href') ?? '';
    if (!href.startsWith('#img-')) return;
    const box = document.getElementById(href.slice(1));
    if (!box?.classList.contains('lightbox')) return;
    event.preventDefault();
    closeLightboxes();
    box.classList.add('open');
  },
  true,
);
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') closeLightboxes();
});

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = parseReportToWebview(event.data);
  if (!parsed.ok) {
    vscode.post({ type: 'webviewError', message: `report webview ignored a message from the extension: ${parsed.error}` });
    return;
  }
  const target = document.getElementById(parsed.message.section);
  if (target) target.scrollIntoView();
  else vscode.post({ type: 'webviewError', message: `report has no section #${parsed.message.section}` });
});
