import { createHash } from 'node:crypto';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import * as vscode from 'vscode';
import type { CliRunner } from './cli-runner.js';
import { openComparePanel } from './compare-panel.js';
import { isConfigFile } from './config-validation.js';
import { InpaintPanel } from './inpaint-panel.js';
import { openReportPanel } from './report-panel.js';
import { type RunInfo, resumeArgs } from './runs-model.js';
import type { RunsNode, RunsTreeProvider } from './runs-tree.js';
import { isResumable } from './runs-view-model.js';
import { reportsDirOf, workspaceFolderOf } from './workspace-settings.js';

interface Services {
  readonly extensionUri: vscode.Uri;
  readonly runner: CliRunner;
  readonly runs: RunsTreeProvider;
  readonly output: vscode.OutputChannel;
}

/** The config to run: the one clicked, else the active YAML editor's, else one picked from configs/. */
async function pickConfig(uri: vscode.Uri | undefined): Promise<string | undefined> {
  if (uri?.scheme === 'file') return uri.fsPath;
  const active = vscode.window.activeTextEditor?.document;
  if (active && isConfigFile(active)) {
    if (active.isDirty) await active.save();
    return active.uri.fsPath;
  }
  const files = await vscode.workspace.findFiles('**/configs/**/*.{yaml,yml}', '**/node_modules/**');
  if (!files.length) {
    void vscode.window.showErrorMessage('PConv Bench: no experiment config found (configs/*.yaml). Create one, e.g. from configs/demo.yaml of pconv-bench.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    files.map((f) => ({ label: basename(f.fsPath), description: relative(workspaceFolderOf(f)?.uri.fsPath ?? '', f.fsPath), uri: f })),
    { title: 'PConv Bench: which experiment config?' },
  );
  return picked?.uri.fsPath;
}

/** A run folder's name in the Runs view: relative to its workspace folder's reports folder. */
function runLabel(dir: string, runs: RunsTreeProvider): string {
  const known = runs.current.find((run) => run.dir === dir)?.label;
  if (known) return known;
  const folder = workspaceFolderOf(vscode.Uri.file(dir));
  const label = folder ? relative(reportsDirOf(folder), dir) : '';
  return label && !label.startsWith('..') && !isAbsolute(label) ? label : basename(dir);
}

/** The run an item of the Runs view stands for, else one picked from the runs that match. */
async function pickRun(node: RunsNode | undefined, runs: RunsTreeProvider, filter: (run: RunInfo) => boolean, what: string): Promise<RunInfo | undefined> {
  if (node?.kind === 'run') return node.run;
  const candidates = (await runs.refresh()).filter(filter);
  if (!candidates.length) {
    void vscode.window.showInformationMessage(`PConv Bench: no run ${what} under the reports folder.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    candidates.map((run) => ({ label: run.label, description: [run.workspaceFolder, run.state].filter(Boolean).join(': '), detail: run.dir, run })),
    { title: `PConv Bench: which run ${what}?` },
  );
  return picked?.run;
}

/** The folder `compare` writes into: under the reports folder, named after the runs (so comparing them again replaces it). */
function compareOutDir(reportsDir: string, labels: readonly string[], dirs: readonly string[]): string {
  const name = labels.map((label) => label.replace(/[^A-Za-z0-9._-]+/g, '_')).join('-vs-');
  if (name.length <= 80) return join(reportsDir, `compare-${name}`);
  return join(reportsDir, `compare-${name.slice(0, 64)}-${createHash('sha256').update(dirs.join('\n')).digest('hex').slice(0, 8)}`);
}

/** Two or more evaluated runs (with results.json), picked together; the run clicked in the Runs view comes ticked. */
async function pickRunsToCompare(node: RunsNode | undefined, runs: RunsTreeProvider): Promise<RunInfo[] | undefined> {
  const evaluated = (await runs.refresh()).filter((run) => run.hasResults);
  if (evaluated.length < 2) {
    void vscode.window.showErrorMessage(
      `PConv Bench: Compare Runs needs at least two evaluated runs (with results.json) under the reports folder; found ${evaluated.length}.`,
    );
    return undefined;
  }
  const clicked = node?.kind === 'run' ? node.run.dir : undefined;
  const picked = await vscode.window.showQuickPick(
    evaluated.map((run) => ({
      label: run.label,
      description: [run.workspaceFolder, run.state].filter(Boolean).join(': '),
      detail: run.dir,
      picked: run.dir === clicked,
      run,
    })),
    { title: 'PConv Bench: which runs to compare? (two or more)', canPickMany: true },
  );
  if (!picked) return undefined;
  if (picked.length < 2) {
    void vscode.window.showErrorMessage('PConv Bench: Compare Runs needs two or more runs; pick at least two.');
    return undefined;
  }
  return picked.map((item) => item.run);
}

function guard(name: string, body: (...args: never[]) => Promise<unknown> | unknown): (...args: never[]) => Promise<void> {
  return async (...args) => {
    try {
      await body(...args);
    } catch (error) {
      void vscode.window.showErrorMessage(`PConv Bench: ${name}: ${(error as Error).message}`);
    }
  };
}

/** Registers every command of the extension (ids pconvBench.*, category "PConv Bench" in package.json). */
export function registerCommands({ extensionUri, runner, runs, output }: Services): vscode.Disposable[] {
  const openReport = (run: { dir: string; label: string }) => openReportPanel(extensionUri, run.dir, output, run.label);
  const runConfig = async (args: string[], title: string, configFile: string, runDir?: string) => {
    await runner.start({
      title,
      args,
      configFile,
      ...(runDir ? { runDir } : {}),
      onFinished: (outcome, dir) => {
        if (outcome.exitCode !== 0 || args[0] !== 'run' || !dir) return;
        void vscode.window.showInformationMessage(`PConv Bench: ${title}: ${outcome.message}`, 'Open Report').then((choice) => {
          if (choice) void openReport({ dir, label: runLabel(dir, runs) });
        });
      },
    });
  };
  const commands: Record<string, (...args: never[]) => unknown> = {
    'pconvBench.runExperiment': async (uri?: vscode.Uri) => {
      const config = await pickConfig(uri);
      if (config) await runConfig(['run', config], `run ${basename(config)}`, config);
    },
    'pconvBench.generateMasks': async (uri?: vscode.Uri) => {
      const config = await pickConfig(uri);
      if (config) await runConfig(['masks', config], `masks ${basename(config)}`, config);
    },
    'pconvBench.resumeRun': async (node?: RunsNode) => {
      const run = await pickRun(node, runs, isResumable, 'to resume');
      if (run) await runConfig(resumeArgs(run), `resume ${run.label}`, run.configFile ?? '', run.dir);
    },
    'pconvBench.openReport': async (node?: RunsNode) => {
      const run = await pickRun(node, runs, (r) => r.hasResults, 'with results');
      if (run) await openReport(run);
    },
    'pconvBench.compareRuns': async (node?: RunsNode) => {
      const picked = await pickRunsToCompare(node, runs);
      if (!picked) return;
      const folder = workspaceFolderOf(vscode.Uri.file(picked[0]?.dir ?? ''));
      const dirs = picked.map((run) => run.dir);
      const out = compareOutDir(
        folder ? reportsDirOf(folder) : dirname(dirs[0] ?? ''),
        picked.map((run) => run.label),
        dirs,
      );
      const title = picked.map((run) => run.label).join(', ');
      const outcome = await runner.start({ title: `compare ${title}`, args: ['compare', ...dirs, '--out', out] });
      const page = outcome?.exitCode === 0 ? outcome.results.findLast((r) => r.command === 'compare')?.data.page : undefined;
      if (typeof page === 'string') await openComparePanel(page, title);
      else if (outcome?.exitCode === 0) void vscode.window.showErrorMessage(`PConv Bench: compare ${title}: the CLI reported no page.`);
    },
    'pconvBench.inpaintImage': async (uri?: vscode.Uri) => {
      const image =
        uri?.fsPath ??
        (
          await vscode.window.showOpenDialog({
            title: 'PConv Bench: image to inpaint',
            canSelectMany: false,
            filters: { Images: ['png', 'jpg', 'jpeg', 'webp', 'gif'] },
          })
        )?.[0]?.fsPath;
      if (image) await InpaintPanel.open(extensionUri, image, await runs.refresh(), output);
    },
    'pconvBench.stop': () => runner.stop(),
    'pconvBench.refreshRuns': () => runs.refresh(),
    'pconvBench.revealRun': async (node?: RunsNode) => {
      const run = await pickRun(node, runs, () => true, 'to reveal');
      if (run) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(run.dir));
    },
  };
  return Object.entries(commands).map(([id, body]) => vscode.commands.registerCommand(id, guard(id.replace('pconvBench.', ''), body)));
}
