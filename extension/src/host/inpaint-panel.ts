import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import * as vscode from 'vscode';
import { type InpaintToWebview, parseInpaintToHost } from '../shared/messages.js';
import { inpaintPanelHtml } from '../webview/inpaint/inpaint-panel-html.js';
import { makeNonce } from '../webview/nonce.js';
import { checkpointChoices } from './checkpoint-choices.js';
import { type CliProcess, startCli } from './cli-process.js';
import { imageSize } from './image-size.js';
import { type InpaintFiles, inpaintArgs, writeMaskFiles } from './inpaint-job.js';
import type { RunInfo } from './runs-model.js';
import { readSettings } from './workspace-settings.js';

/**
 * The inpaint webview for one image: the user paints a mask, picks a checkpoint (only ids offered
 * here are accepted, never a path from the webview), and `pconv-bench inpaint` fills the holes in a
 * temp folder; the result comes back as a data: URI and can be saved anywhere.
 */
export class InpaintPanel implements vscode.Disposable {
  private job: CliProcess | undefined;
  /** Set before the first await of a run, so two quick 'run' messages cannot both start one. */
  private busy = false;
  private disposed = false;
  private files: InpaintFiles | undefined;
  /** The bytes shown as the result: a later run deletes its temp files, Save still works. */
  private lastResult: Buffer | undefined;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly image: string,
    private readonly size: { width: number; height: number },
    private readonly choices: ReturnType<typeof checkpointChoices>,
    private readonly output: vscode.OutputChannel,
  ) {
    panel.webview.onDidReceiveMessage((data: unknown) => {
      this.receive(data).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.output.appendLine(`[inpaint] ${message}`);
        this.post({ type: 'error', message });
      });
    });
    panel.onDidDispose(() => this.dispose());
  }

  static async open(extensionUri: vscode.Uri, image: string, runs: readonly RunInfo[], output: vscode.OutputChannel): Promise<void> {
    const header = imageSize(await readFile(image));
    if (!header) throw new Error(`${image} is not a PNG, JPEG, GIF or WebP image`);
    // Only the fields the 'init' message has: its schema is strict.
    const size = { width: header.width, height: header.height };
    const choices = checkpointChoices(runs);
    if (!choices.length) throw new Error('no trained checkpoint under the reports folder: run an experiment first (PConv Bench: Run Experiment)');
    const panel = vscode.window.createWebviewPanel('pconvBench.inpaint', `Inpaint: ${basename(image)}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.file(dirname(image))],
    });
    new InpaintPanel(panel, image, size, choices, output);
    panel.webview.html = inpaintPanelHtml({
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'inpaint.js')).toString(),
    });
  }

  private post(message: InpaintToWebview): void {
    // A job can finish after the user closed the panel; its webview is gone then.
    if (this.disposed) return;
    void this.panel.webview.postMessage(message);
  }

  private async receive(data: unknown): Promise<void> {
    const parsed = parseInpaintToHost(data);
    if (!parsed.ok) {
      this.output.appendLine(`[inpaint] ${parsed.error}`);
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'ready':
        this.post({
          type: 'init',
          image: { uri: this.panel.webview.asWebviewUri(vscode.Uri.file(this.image)).toString(), ...this.size, name: basename(this.image) },
          checkpoints: this.choices.map((c) => c.choice),
        });
        return;
      case 'run':
        await this.run(message.maskPngDataUri, message.width, message.height, message.checkpoint);
        return;
      case 'cancel':
        this.job?.cancel();
        return;
      case 'save':
        await this.save();
        return;
      case 'webviewError':
        this.output.appendLine(`[inpaint] ${message.message}`);
        return;
    }
  }

  private async run(maskPngDataUri: string, width: number, height: number, id: string): Promise<void> {
    const chosen = this.choices.find((c) => c.choice.id === id);
    if (!chosen) return this.post({ type: 'error', message: `unknown checkpoint ${id}`, hint: 'Pick one of the listed checkpoints.' });
    if (this.busy) return this.post({ type: 'error', message: 'an inpaint is already running', hint: 'Wait for it or cancel it.' });
    if (width !== this.size.width || height !== this.size.height) {
      return this.post({ type: 'error', message: `the mask is ${width}x${height}, the image ${this.size.width}x${this.size.height}` });
    }
    this.busy = true;
    try {
      await this.runJob(maskPngDataUri, chosen, id);
    } finally {
      this.busy = false;
      this.job = undefined;
    }
  }

  private async runJob(maskPngDataUri: string, chosen: ReturnType<typeof checkpointChoices>[number], id: string): Promise<void> {
    let settings: ReturnType<typeof readSettings>;
    try {
      settings = readSettings(vscode.Uri.file(this.image));
      await this.files?.dispose();
      this.files = await writeMaskFiles(maskPngDataUri, this.size);
    } catch (error) {
      return this.post({ type: 'error', message: (error as Error).message });
    }
    const files = this.files;
    const args = inpaintArgs({ checkpoint: chosen.checkpoint.dir, image: this.image, mask: files.mask, out: files.out, backend: settings.backend });
    this.output.appendLine(`\n[pconv-bench] ${settings.cliPath} ${args.join(' ')} --json`);
    this.post({ type: 'progress', message: `inpainting with ${chosen.choice.label}` });
    this.job = startCli({
      cliPath: settings.cliPath,
      ...(settings.node ? { node: settings.node } : {}),
      args,
      cwd: settings.folder,
      onStderr: (text) => this.output.append(text),
      onEvent: (event) => {
        if (event.type === 'progress')
          this.post({ type: 'progress', message: `${event.stage}: ${event.done}/${event.total} ${event.unit}`, done: event.done, total: event.total });
      },
    });
    const outcome = await this.job.done;
    if (outcome.exitCode !== 0) {
      const error = outcome.errors.at(-1);
      return this.post({ type: 'error', message: outcome.message, ...(error?.hint ? { hint: error.hint } : {}) });
    }
    const png = await readFile(files.out);
    this.lastResult = png;
    this.post({ type: 'result', resultUri: `data:image/png;base64,${png.toString('base64')}`, checkpoint: id });
  }

  private async save(): Promise<void> {
    if (!this.lastResult) return this.post({ type: 'error', message: 'nothing to save yet: inpaint first' });
    const suggested = join(dirname(this.image), `${basename(this.image, extname(this.image))}-inpainted.png`);
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(suggested), filters: { 'PNG image': ['png'] } });
    if (!target) return;
    try {
      await writeFile(target.fsPath, this.lastResult);
      this.post({ type: 'saved', path: target.fsPath });
    } catch (error) {
      this.post({ type: 'error', message: `could not save ${target.fsPath}: ${(error as Error).message}` });
    }
  }

  dispose(): void {
    this.disposed = true;
    this.job?.cancel();
    void this.files?.dispose();
  }
}
