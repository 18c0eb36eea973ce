import * as vscode from 'vscode';
import { CliRunner } from './cli-runner.js';
import { registerCommands } from './commands.js';
import { ConfigValidator, isConfigFile } from './config-validation.js';
import { RunsTreeProvider } from './runs-tree.js';
import { TrainingView } from './training-panel.js';

/**
 * Registers the extension's parts and does nothing else: all work happens in `pconv-bench`
 * processes (TensorFlow.js never loads in the editor), which the commands spawn.
 */
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('PConv Bench');
  const diagnostics = vscode.languages.createDiagnosticCollection('pconv-bench');
  const runner = new CliRunner(output, diagnostics, context.workspaceState);
  const runs = new RunsTreeProvider(runner);
  const validator = new ConfigValidator(diagnostics, output);
  const training = new TrainingView(context.extensionUri, output, runner);
  context.subscriptions.push(
    output,
    diagnostics,
    runner,
    runs,
    validator,
    vscode.window.registerTreeDataProvider('pconvBench.runs', runs),
    vscode.workspace.onDidSaveTextDocument((document) => {
      if (isConfigFile(document)) void validator.validate(document);
    }),
    ...registerCommands({ extensionUri: context.extensionUri, runner, runs, output }),
    // The live training view's command lives with it (training-panel.ts follows the runner's processes).
    training,
    vscode.commands.registerCommand('pconvBench.showTraining', () => training.show()),
  );
  void vscode.commands.executeCommand('setContext', 'pconvBench.busy', false);
}

export function deactivate(): void {}
