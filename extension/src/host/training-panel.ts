import * as vscode from 'vscode';
import { parseTrainingToHost, type TrainingToWebview } from '../shared/messages.js';
import { makeNonce } from '../webview/nonce.js';
import { trainingPanelHtml } from '../webview/training/training-panel-html.js';
import type { CliActivity, CliRunner } from './cli-runner.js';
import { TrainingMonitor } from './training-monitor.js';

export const SHOW_TRAINING = 'Show Training Curves';

/**
 * The "Training" webview: the loss and validation curves (PSNR, SSIM, hole L1) of the last process
 * the extension ran that trained, drawn with Chart.js and updated as its events arrive. The monitor
 * follows every process whether the panel is open or not, so a panel opened mid-training shows it
 * from the start; the panel is offered once per process, at its first training event, when it is
 * not open.
 */
export class TrainingView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  /** The page said 'ready': messages posted before would be lost, the snapshot covers them. */
  private ready = false;
  private readonly monitor = new TrainingMonitor();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly output: vscode.OutputChannel,
    runner: CliRunner,
  ) {
    this.subscription = runner.onActivity((activity) => this.follow(activity));
  }

  /** Opens the panel, or brings it to the front. */
  show(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'dist', 'media');
    const scripts = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel('pconvBench.training', 'Training', vscode.ViewColumn.Active, {
      enableScripts: true,
      // The curves live in the page: keep it when the tab is hidden rather than redraw from a snapshot.
      retainContextWhenHidden: true,
      localResourceRoots: [scripts, media],
    });
    this.panel = panel;
    this.ready = false;
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
    });
    panel.webview.onDidReceiveMessage((data: unknown) => {
      const parsed = parseTrainingToHost(data);
      if (!parsed.ok) this.output.appendLine(`[training] ${parsed.error}`);
      else if (parsed.message.type === 'webviewError') this.output.appendLine(`[training] ${parsed.message.message}`);
      else {
        this.ready = true;
        this.post(this.monitor.snapshot());
      }
    });
    panel.webview.html = trainingPanelHtml({
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
      chartScriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'chart.umd.min.js')).toString(),
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(scripts, 'training.js')).toString(),
    });
  }

  private follow(activity: CliActivity): void {
    if (activity.kind === 'start') {
      this.monitor.start(activity.title);
      return;
    }
    const { messages, firstTraining } = this.monitor.update(activity.event);
    for (const message of messages) this.post(message);
    if (firstTraining && !this.panel) {
      void vscode.window.showInformationMessage(`PConv Bench: ${activity.title} is training.`, SHOW_TRAINING).then((choice) => {
        if (choice === SHOW_TRAINING) this.show();
      });
    }
  }

  private post(message: TrainingToWebview): void {
    if (this.panel && this.ready) void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    this.subscription.dispose();
    this.panel?.dispose();
  }
}
