import type * as vscode from 'vscode';
import { type CliProcess, startCli } from './cli-process.js';
import { showProblems } from './cli-runner.js';
import { readSettings } from './workspace-settings.js';

/** A config file of the project: YAML under a configs/ folder (what yamlValidation also matches). */
export function isConfigFile(document: vscode.TextDocument): boolean {
  return document.uri.scheme === 'file' && /\.ya?ml$/i.test(document.fileName) && /[\\/]configs[\\/]/.test(document.fileName);
}

/**
 * Checks a saved config with `pconv-bench config <file> --json` (about a second: the CLI loads no
 * model for it) and shows its problems as diagnostics on the right lines; a clean config clears
 * them. The JSON Schema catches types while typing; this catches what only the CLI knows (paths,
 * cross-key rules such as loss weights that need VGG weights).
 */
export class ConfigValidator implements vscode.Disposable {
  private readonly running = new Map<string, CliProcess>();

  constructor(
    private readonly diagnostics: vscode.DiagnosticCollection,
    private readonly output: vscode.OutputChannel,
  ) {}

  async validate(document: vscode.TextDocument): Promise<void> {
    let settings: ReturnType<typeof readSettings>;
    try {
      settings = readSettings(document.uri);
    } catch (error) {
      this.output.appendLine(`[config] ${(error as Error).message}`);
      return;
    }
    if (!settings.validateOnSave) return;
    const file = document.uri.fsPath;
    this.running.get(file)?.cancel();
    const child = startCli({
      cliPath: settings.cliPath,
      ...(settings.node ? { node: settings.node } : {}),
      args: ['config', file],
      cwd: settings.folder,
      graceMs: 1000,
    });
    this.running.set(file, child);
    const outcome = await child.done;
    if (this.running.get(file) !== child) return;
    this.running.delete(file);
    if (outcome.cancelled) return;
    this.diagnostics.delete(document.uri);
    if (outcome.spawnError || outcome.diedWithoutEnd) {
      this.output.appendLine(`[config] could not check ${file}: ${outcome.message}`);
      return;
    }
    for (const error of outcome.errors) {
      if (error.problems?.length) showProblems(this.diagnostics, error, settings.folder);
      else this.output.appendLine(`[config] ${file}: ${error.message}${error.hint ? ` (${error.hint})` : ''}`);
    }
  }

  dispose(): void {
    for (const child of this.running.values()) child.cancel();
  }
}
