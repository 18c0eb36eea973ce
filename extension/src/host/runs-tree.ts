import { isAbsolute, relative, sep } from 'node:path';
import * as vscode from 'vscode';
import type { CliRunner } from './cli-runner.js';
import { type RunInfo, scanRuns } from './runs-model.js';
import { type RowSpec, runContext, runDetailRows, runRow } from './runs-view-model.js';
import { reportsDirOf } from './workspace-settings.js';

export type RunsNode =
  | { readonly kind: 'folder'; readonly name: string; readonly dir: string; readonly reportsDir: string; readonly runs: readonly RunInfo[] }
  | { readonly kind: 'run'; readonly run: RunInfo }
  | { readonly kind: 'detail'; readonly row: RowSpec };

/** One workspace folder's runs: those under its reports folder. */
interface FolderRuns {
  readonly name: string;
  readonly dir: string;
  readonly reportsDir: string;
  readonly runs: readonly RunInfo[];
}

/**
 * The Runs view: the run folders under the reports folder (pconvBench.reportsDir) of every
 * workspace folder, grouped by workspace folder when there are several, rescanned when files there
 * change (throttled) and when our own CLI process reports progress.
 */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private folders: FolderRuns[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly runner: CliRunner) {
    this.disposables.push(runner.onDidChange(() => this.refreshSoon(200)));
    this.watch();
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pconvBench.reportsDir')) this.watch();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.watch()),
    );
  }

  /** The runs of the last scan, of every workspace folder (for pickers). */
  get current(): readonly RunInfo[] {
    return this.folders.flatMap((f) => f.runs);
  }

  /** The reports folder of each workspace folder, each listed once (two folders may share one). */
  private static reportFolders(): { folder: vscode.WorkspaceFolder; reportsDir: string }[] {
    const seen = new Set<string>();
    const list: { folder: vscode.WorkspaceFolder; reportsDir: string }[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const reportsDir = reportsDirOf(folder);
      if (seen.has(reportsDir)) continue;
      seen.add(reportsDir);
      list.push({ folder, reportsDir });
    }
    return list;
  }

  private watchers: vscode.FileSystemWatcher[] = [];
  /** The watchers' own listeners, disposed with them when the folders or the reports folder setting change. */
  private watcherListeners: vscode.Disposable[] = [];
  /** Bumped by each scan: a slower older scan must not overwrite a newer one. */
  private generation = 0;
  private watch(): void {
    for (const d of [...this.watchers.splice(0), ...this.watcherListeners.splice(0)]) d.dispose();
    for (const { folder, reportsDir } of RunsTreeProvider.reportFolders()) {
      // Inside the workspace folder, a pattern relative to it also sees a reports folder created later.
      const inside = relative(folder.uri.fsPath, reportsDir);
      const pattern =
        inside && !inside.startsWith('..') && !isAbsolute(inside)
          ? new vscode.RelativePattern(folder, `${inside.split(sep).join('/')}/**`)
          : new vscode.RelativePattern(vscode.Uri.file(reportsDir), '**');
      const watcher = vscode.workspace.createFileSystemWatcher(pattern);
      this.watchers.push(watcher);
      for (const on of [watcher.onDidCreate, watcher.onDidChange, watcher.onDidDelete]) this.watcherListeners.push(on(() => this.refreshSoon(1000)));
    }
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

  /** The newest scan: an older one that finishes first answers with it, not with what the view showed before. */
  private scanning: Promise<readonly RunInfo[]> | undefined;

  refresh(): Promise<readonly RunInfo[]> {
    const scan = this.scan(++this.generation);
    this.scanning = scan;
    return scan;
  }

  private async scan(generation: number): Promise<readonly RunInfo[]> {
    const list = RunsTreeProvider.reportFolders();
    const several = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    const outcomes = this.runner.outcomes();
    const folders = await Promise.all(
      list.map(async ({ folder, reportsDir }) => {
        const runs = await scanRuns(reportsDir, { outcomes });
        return {
          name: folder.name,
          dir: folder.uri.fsPath,
          reportsDir,
          runs: several ? runs.map((run) => ({ ...run, workspaceFolder: folder.name })) : runs,
        };
      }),
    );
    if (generation !== this.generation) return (await this.scanning) ?? this.current;
    this.folders = folders;
    for (const run of this.current) if (run.lock?.alive) this.runner.noteRunDir(run.lock.pid, run.dir);
    this.changed.fire(undefined);
    return this.current;
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'folder') {
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `folder:${node.dir}`;
      item.description = node.runs.length === 1 ? '1 run' : `${node.runs.length} runs`;
      item.tooltip = `${node.name}: the runs under ${node.reportsDir}`;
      item.iconPath = new vscode.ThemeIcon('root-folder');
      item.contextValue = 'workspaceFolder';
      return item;
    }
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
    if (!node) {
      // One workspace folder: its runs at the top, as before. Several: a group per folder.
      if ((vscode.workspace.workspaceFolders?.length ?? 0) <= 1) return this.current.map((run) => ({ kind: 'run', run }));
      return this.folders.map((f) => ({ kind: 'folder', ...f }));
    }
    if (node.kind === 'folder') return node.runs.map((run) => ({ kind: 'run', run }));
    if (node.kind === 'run') return runDetailRows(node.run).map((row) => ({ kind: 'detail', row }));
    return [];
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of [...this.watchers, ...this.watcherListeners, ...this.disposables]) d.dispose();
    this.changed.dispose();
  }
}
