import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { resolveCliPath } from './cli-path.js';

export interface WorkspaceSettings {
  readonly folder: string;
  readonly cliPath: string;
  /** The node to run a script cliPath with, when the Windows shim it came from names one. */
  readonly node?: string;
  readonly reportsDir: string;
  readonly backend: string;
  readonly validateOnSave: boolean;
}

/** The workspace folder a file belongs to, else the first one; undefined without a folder open. */
export function workspaceFolderOf(uri?: vscode.Uri): vscode.WorkspaceFolder | undefined {
  return (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
}

/** The reports folder (pconvBench.reportsDir) of one workspace folder: absolute, the setting taken from the folder. */
export function reportsDirOf(folder: vscode.WorkspaceFolder): string {
  const reports = vscode.workspace.getConfiguration('pconvBench', folder.uri).get<string>('reportsDir', 'reports') || 'reports';
  return isAbsolute(reports) ? reports : join(folder.uri.fsPath, reports);
}

/** The settings of one workspace folder; throws a message for people when the CLI setting is wrong or no folder is open. */
export function readSettings(uri?: vscode.Uri): WorkspaceSettings {
  const folder = workspaceFolderOf(uri);
  if (!folder) throw new Error('PConv Bench needs an open folder: open the project that holds configs/ and reports/.');
  const config = vscode.workspace.getConfiguration('pconvBench', folder.uri);
  const cli = resolveCliPath({ setting: config.get<string>('cliPath', ''), workspaceFolder: folder.uri.fsPath });
  if (!cli.ok) throw new Error(`${cli.message}. ${cli.hint}`);
  return {
    folder: folder.uri.fsPath,
    cliPath: cli.cliPath,
    ...(cli.node ? { node: cli.node } : {}),
    reportsDir: reportsDirOf(folder),
    backend: config.get<string>('backend', 'auto'),
    validateOnSave: config.get<boolean>('validateOnSave', true),
  };
}
