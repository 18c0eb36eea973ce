import { isAbsolute, relative, sep } from 'node:path';
import * as vscode from 'vscode';
import type { CliRunner } from './cli-runner.js';
import { type RunInfo, scanRuns } from './runs-model.js';
import { type RowSpec, runContext, runDetailRows, runRow } from './runs-view-model.js';
import { readSettings } from './workspace-settings.js';

export type RunsNode = { readonly kind: 'run'; readonly run: RunInfo } | { readonly kind: 'detail'; readonly row: RowSpec };

/**
 * The Runs view: the run folders under the reports folder (pconvBench.reportsDir), rescanned when
 * files there change (debounced) and when our own CLI process reports progress.
 */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private runs: RunInfo[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly runner: CliRunner) {
    this.disposables.push(runner.onDidChange(() => this.refreshSoon(200)));
    this.watch();
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pconvBench.reportsDir')) this.watch();
      }),
    );
  }

  /** The runs of the last scan (for pickers). */
  get current(): readonly RunInfo[] {
    return this.runs;
  }

  private watcher: vscode.FileSystemWatcher | undefined;
  /** The watcher's own listeners, disposed with it when the reports folder setting changes. */
  private watcherListeners: vscode.Disposable[] = [];
  /** Bumped by each scan: a slower older scan must not overwrite a newer one. */
  private generation = 0;
  private watch(): void {
    this.watcher?.dispose();
    for (const d of this.watcherListeners.splice(0)) d.dispose();
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return;
    let reports: string;
    try {
      reports = readSettings(folder.uri).reportsDir;
    } catch {
      return;
    }
    // Inside the workspace, a pattern relative to the folder also sees a reports folder created later.
    const inside = relative(folder.uri.fsPath, reports);
    const pattern =
      inside && !inside.startsWith('..') && !isAbsolute(inside)
        ? new vscode.RelativePattern(folder, `${inside.split(sep).join('/')}/**`)
        : new vscode.RelativePattern(vscode.Uri.file(reports), '**');
    this.watcher = vscode.workspace.createFileSystemWatcher(pattern);
    for (const on of [this.watcher.onDidCreate, this.watcher.onDidChange, this.watcher.onDidDelete])
      this.watcherListeners.push(on(() => this.refreshSoon(1000)));
    this.refreshSoon(0);
  }

  /** Throttled, not debounced: training writes files every step, and a debounce would never fire. */
  refreshSoon(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, delayMs);
  }

  async refresh(): Promise<readonly RunInfo[]> {
    const generation = ++this.generation;
    let reports: string;
    try {
      reports = readSettings().reportsDir;
    } catch {
      this.runs = [];
      this.changed.fire(undefined);
      return this.runs;
    }
    const runs = await scanRuns(reports, { outcomes: this.runner.outcomes() });
    if (generation !== this.generation) return this.runs;
    this.runs = runs;
    for (const run of this.runs) if (run.lock?.alive) this.runner.noteRunDir(run.lock.pid, run.dir);
    this.changed.fire(undefined);
    return this.runs;
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'detail') {
      const item = new vscode.TreeItem(node.row.label, vscode.TreeItemCollapsibleState.None);
      item.description = node.row.description;
      item.iconPath = new vscode.ThemeIcon(node.row.icon);
      item.tooltip = node.row.tooltip;
      return item;
    }
    const row = runRow(node.run, this.runner.liveMessage(node.run.lock?.pid));
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.run.dir;
    item.description = row.description;
    item.tooltip = row.tooltip;
    item.iconPath = new vscode.ThemeIcon(row.icon);
    item.contextValue = runContext(node.run);
    item.resourceUri = vscode.Uri.file(node.run.dir);
    if (node.run.hasResults) item.command = { command: 'pconvBench.openReport', title: 'Open Report', arguments: [node] };
    return item;
  }

  getChildren(node?: RunsNode): RunsNode[] {
    if (!node) return this.runs.map((run) => ({ kind: 'run', run }));
    if (node.kind === 'run') return runDetailRows(node.run).map((row) => ({ kind: 'detail', row }));
    return [];
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.dispose();
    for (const d of [...this.watcherListeners, ...this.disposables]) d.dispose();
    this.changed.dispose();
  }
}
