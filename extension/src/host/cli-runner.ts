import { existsSync, readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { PconvEvent } from '../../../src/protocol/events.js';
import { type CliOutcome, type CliProcess, startCli } from './cli-process.js';
import { problemsToDiagnostics } from './config-diagnostics.js';
import { ProgressTracker } from './progress-tracker.js';
import { type RunOutcome, runOutcomeOf } from './runs-model.js';
import { readSettings } from './workspace-settings.js';

const OUTCOMES_KEY = 'pconvBench.outcomes';

export interface CliRequest {
  /** Shown as the notification's title, e.g. "run smoke.yaml". */
  readonly title: string;
  readonly args: readonly string[];
  /** The config the command reads: its diagnostics are replaced by this run's. */
  readonly configFile?: string;
  /** The run folder, when known before the CLI reports it (resume passes --run). */
  readonly runDir?: string;
  /** Offered when the command finishes: a button label and what it does. */
  readonly onFinished?: (outcome: CliOutcome, runDir: string | undefined) => void;
}

/** What a CLI process does, as the runner sees it: its start (with the request's title), then each of its events. */
export type CliActivity = { readonly kind: 'start'; readonly title: string } | { readonly kind: 'event'; readonly title: string; readonly event: PconvEvent };

/** The text of a file as the editor has it (unsaved edits included), else from disk. */
export function currentText(file: string): string | undefined {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (open) return open.getText();
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** Shows `problems[]` of an error event as diagnostics on the config's lines. */
export function showProblems(diagnostics: vscode.DiagnosticCollection, event: Extract<PconvEvent, { type: 'error' }>, cwd: string): void {
  for (const [file, specs] of problemsToDiagnostics(event.problems ?? [], cwd, currentText)) {
    diagnostics.set(
      vscode.Uri.file(file),
      specs.map((s) => {
        const d = new vscode.Diagnostic(new vscode.Range(s.startLine, s.startColumn, s.endLine, s.endColumn), s.message, vscode.DiagnosticSeverity.Error);
        d.source = 'pconv-bench';
        if (s.path) d.code = s.path;
        return d;
      }),
    );
  }
}

/**
 * Runs the long CLI commands (run, masks), one at a time: a cancellable progress notification
 * with stage and step, stderr to the output channel, config problems as diagnostics, and the way
 * each process ended remembered per run folder (the Runs view's account of a process that run.json
 * does not cover: one killed before the CLI could write it).
 */
export class CliRunner implements vscode.Disposable {
  private active: { process: CliProcess; request: CliRequest; runDir?: string; message: string } | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a process starts, reports progress or ends. */
  readonly onDidChange = this.changed.event;
  private readonly activity = new vscode.EventEmitter<CliActivity>();
  /** Each process as it starts and each event it sends (the training view follows these). */
  readonly onActivity = this.activity.event;

  constructor(
    private readonly output: vscode.OutputChannel,
    private readonly diagnostics: vscode.DiagnosticCollection,
    private readonly state: vscode.Memento,
  ) {}

  get busy(): boolean {
    return this.active !== undefined;
  }

  /** The live stage/step line of the process holding this pid, for the Runs view. */
  liveMessage(pid: number | undefined): string | undefined {
    return pid !== undefined && this.active?.process.pid === pid ? this.active.message : undefined;
  }

  /** The Runs view found the folder our process locked: remember it for the outcome. */
  noteRunDir(pid: number, runDir: string): void {
    if (this.active && this.active.process.pid === pid) this.active.runDir ??= runDir;
  }

  outcomes(): Record<string, RunOutcome> {
    return this.state.get<Record<string, RunOutcome>>(OUTCOMES_KEY, {});
  }

  stop(): void {
    if (!this.active) return;
    this.output.appendLine('[pconv-bench] stopping: SIGINT (the CLI saves a checkpoint and exits)');
    this.active.process.cancel();
  }

  async start(request: CliRequest): Promise<CliOutcome | undefined> {
    if (this.active) {
      void vscode.window.showWarningMessage(`PConv Bench is busy with "${this.active.request.title}". Stop it first (PConv Bench: Stop).`);
      return undefined;
    }
    const settings = readSettings(request.configFile ? vscode.Uri.file(request.configFile) : undefined);
    const args = [...request.args, ...(request.args[0] === 'run' ? ['--backend', settings.backend] : [])];
    this.output.appendLine(`\n[pconv-bench] ${settings.cliPath} ${args.join(' ')}  (in ${settings.folder})`);
    if (request.configFile) this.diagnostics.delete(vscode.Uri.file(request.configFile));
    const tracker = new ProgressTracker(request.args[0] ?? '');
    this.activity.fire({ kind: 'start', title: request.title });
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `PConv Bench: ${request.title}`, cancellable: true },
      async (progress, token) => {
        const startedAt = Date.now();
        const child = startCli({
          cliPath: settings.cliPath,
          ...(settings.node ? { node: settings.node } : {}),
          args,
          cwd: settings.folder,
          onStderr: (text) => this.output.append(text),
          onInvalidLine: (line, reason) => this.output.appendLine(`[pconv-bench] stdout line ignored (${reason}): ${line}`),
          onEvent: (event) => {
            this.activity.fire({ kind: 'event', title: request.title, event });
            if (event.type === 'error' && event.problems?.length) showProblems(this.diagnostics, event, settings.folder);
            if (event.type === 'result' && typeof event.data.runDir === 'string' && this.active) this.active.runDir ??= event.data.runDir;
            const update = tracker.update(event);
            if (update && this.active) {
              progress.report(update);
              this.active.message = update.message;
              this.changed.fire();
            }
          },
        });
        this.active = { process: child, request, ...(request.runDir ? { runDir: request.runDir } : {}), message: 'starting' };
        void vscode.commands.executeCommand('setContext', 'pconvBench.busy', true);
        this.changed.fire();
        const cancel = token.onCancellationRequested(() => this.stop());
        const outcome = await child.done;
        cancel.dispose();
        const runDir = this.active?.runDir;
        this.active = undefined;
        void vscode.commands.executeCommand('setContext', 'pconvBench.busy', false);
        if (runDir) await this.state.update(OUTCOMES_KEY, { ...this.outcomes(), [runDir]: runOutcomeOf(outcome, Date.now(), startedAt) });
        this.output.appendLine(`[pconv-bench] ${request.title}: ${outcome.message}`);
        this.changed.fire();
        this.report(request, outcome, runDir);
        return outcome;
      },
    );
  }

  private report(request: CliRequest, outcome: CliOutcome, runDir: string | undefined): void {
    request.onFinished?.(outcome, runDir);
    if (outcome.exitCode === 0) return;
    const error = outcome.errors.at(-1);
    const text = `PConv Bench: ${request.title}: ${outcome.message}${error?.hint ? ` ${error.hint}` : ''}`;
    if (outcome.cancelled || outcome.exitCode === 130) {
      void vscode.window.showWarningMessage(text);
      return;
    }
    void vscode.window.showErrorMessage(text, 'Show Log').then((choice) => {
      if (choice === 'Show Log') this.output.show(true);
    });
  }

  dispose(): void {
    this.active?.process.cancel();
    this.changed.dispose();
    this.activity.dispose();
  }
}
