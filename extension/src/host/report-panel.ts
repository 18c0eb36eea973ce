import { join } from 'node:path';
import * as vscode from 'vscode';
import { RUN_FILES } from '../../../src/protocol/run-layout.js';
import { parseReportToHost } from '../shared/messages.js';
import { makeNonce } from '../webview/nonce.js';
import { reportPanelHtml } from '../webview/report/report-panel-html.js';
import { loadReportData, ReportDataError } from './report-data.js';

const panels = new Map<string, vscode.WebviewPanel>();

/**
 * The run's table of every pair, in the system's browser: the page needs nothing beyond the run
 * folder, which the webview cannot serve it from (relative links do not navigate there).
 */
async function openPairsPage(runDir: string, output: vscode.OutputChannel, title: string): Promise<void> {
  const page = join(runDir, RUN_FILES.pairsPage);
  if (!(await vscode.env.openExternal(vscode.Uri.file(page)))) output.appendLine(`[report ${title}] could not open ${page}`);
}

/**
 * Shows a run's report in a webview: the project's own renderer under a strict CSP (nonce, local
 * resources only). The sample and drill-down pictures load from the run folder through
 * asWebviewUri, so the run folder and the extension's dist/webview are the only local roots. One
 * panel per run folder; opening it again re-reads the files.
 */
export async function openReportPanel(extensionUri: vscode.Uri, runDir: string, output: vscode.OutputChannel, title: string): Promise<void> {
  let panel = panels.get(runDir);
  if (panel) {
    panel.reveal();
  } else {
    panel = vscode.window.createWebviewPanel('pconvBench.report', `Report: ${title}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.file(runDir)],
      retainContextWhenHidden: false,
    });
    const opened = panel;
    panels.set(runDir, opened);
    opened.onDidDispose(() => panels.delete(runDir));
    opened.webview.onDidReceiveMessage((data: unknown) => {
      const parsed = parseReportToHost(data);
      if (!parsed.ok) output.appendLine(`[report ${title}] ${parsed.error}`);
      else if (parsed.message.type === 'webviewError') output.appendLine(`[report ${title}] ${parsed.message.message}`);
      else if (parsed.message.type === 'openPairsPage') void openPairsPage(runDir, output, title);
      else if (parsed.message.charts === 0) output.appendLine(`[report ${title}] no chart was drawn (the chart script failed)`);
    });
  }
  const webview = panel.webview;
  try {
    const data = await loadReportData(runDir, join(extensionUri.fsPath, 'dist', 'media', 'chart.umd.min.js'), (file) =>
      webview.asWebviewUri(vscode.Uri.file(file)).toString(),
    );
    webview.html = reportPanelHtml({
      ...data,
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      bridgeScriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'report-bridge.js')).toString(),
    });
  } catch (error) {
    panel.dispose();
    const hint = error instanceof ReportDataError ? ` ${error.hint}` : '';
    void vscode.window.showErrorMessage(`PConv Bench: cannot show the report of ${title}: ${(error as Error).message}.${hint}`);
  }
}
