import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { resolveCliPath } from './cli-path.js';

export interface WorkspaceSettings {
  readonly folder: string;
  readonly cliPath: string;
  readonly reportsDir: string;
  readonly backend: string;
  readonly validateOnSave: boolean;
}

/** The workspace folder a file belongs to, else the first one; undefined without a folder open. */
export function workspaceFolderOf(uri?: vscode.Uri): vscode.WorkspaceFolder | undefined {
  return (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
}

/** The settings of one workspace folder; throws a message for people when the CLI setting is wrong or no folder is open. */
export function readSettings(uri?: vscode.Uri): WorkspaceSettings {
  const folder = workspaceFolderOf(uri);
  if (!folder) throw new Error('PConv Bench needs an open folder: open the project that holds configs/ and reports/.');
  const config = vscode.workspace.getConfiguration('pconvBench', folder.uri);
  const cli = resolveCliPath({ setting: config.get<string>('cliPath', ''), workspaceFolder: folder.uri.fsPath });
  if (!cli.ok) throw new Error(`${cli.message}. ${cli.hint}`);
  const reports = config.get<string>('reportsDir', 'reports') || 'reports';
  return {
    folder: folder.uri.fsPath,
    cliPath: cli.cliPath,
    reportsDir: isAbsolute(reports) ? reports : join(folder.uri.fsPath, reports),
    backend: config.get<string>('backend', 'auto'),
    validateOnSave: config.get<boolean>('validateOnSave', true),
  };
}
