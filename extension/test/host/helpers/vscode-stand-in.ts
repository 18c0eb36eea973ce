import Module, { createRequire } from 'node:module';
import { basename, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Enough of the 'vscode' module to load the built extension (dist/extension.js) in plain Node and
 * drive its commands: VS Code cannot be downloaded on these machines. It records what the
 * extension asks of the editor (commands, notifications, diagnostics, output, progress) and
 * answers dialogs from a script. None of the extension's own code is replaced.
 */
export interface StandIn {
  readonly api: Record<string, unknown>;
  readonly commands: Map<string, (...args: unknown[]) => unknown>;
  readonly trees: Map<string, { getChildren(node?: unknown): unknown[]; getTreeItem(node: unknown): Record<string, unknown> }>;
  readonly messages: { level: 'info' | 'warning' | 'error'; text: string; buttons: string[] }[];
  readonly progress: { title: string; reports: { message?: string; increment?: number }[] }[];
  readonly diagnostics: Map<string, { range: RangeLike; message: string; code?: unknown; source?: string }[]>;
  readonly context: Record<string, unknown>;
  readonly panels: PanelStandIn[];
  /** What the next save dialog answers (a path), undefined cancels it. */
  savePath: string | undefined;
  /** The quick picks shown: their items and options. */
  readonly quickPicks: { items: Record<string, unknown>[]; options: Record<string, unknown> }[];
  /** What the extension asked the system to open (env.openExternal), as file paths or URIs. */
  readonly opened: string[];
  /** What a quick pick answers: an item, items (canPickMany) or undefined (dismissed, the default). */
  pick: (items: Record<string, unknown>[], options: Record<string, unknown>) => unknown;
  output(): string;
  /** The button a notification with this text will answer; undefined dismisses it. */
  answer: (text: string, buttons: string[]) => string | undefined;
  /** Cancels the running progress notification, as the user's click on Cancel does. */
  cancelProgress(): void;
  /** Tells the extension a file was saved (workspace.onDidSaveTextDocument). */
  saved(path: string): void;
}

/** A webview panel: its HTML, what the host posted to it, and a way to post as the webview does. */
export interface PanelStandIn {
  readonly viewType: string;
  readonly title: string;
  readonly options: { enableScripts?: boolean; localResourceRoots?: { fsPath: string }[] };
  readonly html: () => string;
  readonly posted: unknown[];
  fromWebview(message: unknown): Promise<void>;
  disposed: boolean;
}

/** The origin the stand-in's webviews serve local resources from (what asWebviewUri puts in front of a path). */
export const WEBVIEW_ORIGIN = 'https://file+.vscode-resource.stand-in.test';
/**
 * The stand-in's webview.cspSource: a source list, as VS Code's is (`'self' https://*.vscode-cdn.net`,
 * with asWebviewUri giving `https://file+.vscode-resource.vscode-cdn.net/...`), not one origin.
 */
export const WEBVIEW_CSP_SOURCE = "'self' https://*.stand-in.test";

interface RangeLike {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export function vscodeStandIn(
  options: {
    workspace?: string;
    /** Several workspace folders (a multi-root workspace), named by their base names; instead of `workspace`. */
    workspaces?: string[];
    settings?: Record<string, unknown>;
    /** Settings of one workspace folder (by its path), over `settings`. */
    folderSettings?: Record<string, Record<string, unknown>>;
  } = {},
): StandIn {
  const disposable = { dispose() {} };
  const listeners = <T>() => {
    const list: ((value: T) => void)[] = [];
    const event = (listener: (value: T) => void) => {
      list.push(listener);
      return disposable;
    };
    return { list, event };
  };
  class EventEmitter<T> {
    private readonly l = listeners<T>();
    event = this.l.event;
    fire(value: T) {
      for (const listener of this.l.list) listener(value);
    }
    dispose() {}
  }
  class Uri {
    constructor(
      readonly scheme: string,
      readonly fsPath: string,
    ) {}
    static file(path: string) {
      return new Uri('file', path);
    }
    static joinPath(base: Uri, ...parts: string[]) {
      return new Uri(base.scheme, join(base.fsPath, ...parts));
    }
    toString() {
      return `${this.scheme}://${this.fsPath}`;
    }
  }
  class Position {
    constructor(
      readonly line: number,
      readonly character: number,
    ) {}
  }
  class Range {
    readonly start: Position;
    readonly end: Position;
    constructor(l1: number, c1: number, l2: number, c2: number) {
      this.start = new Position(l1, c1);
      this.end = new Position(l2, c2);
    }
  }
  class Diagnostic {
    code?: unknown;
    source?: string;
    constructor(
      readonly range: Range,
      readonly message: string,
      readonly severity: number,
    ) {}
  }
  class TreeItem {
    constructor(
      readonly label: string,
      readonly collapsibleState: number,
    ) {}
  }
  class ThemeIcon {
    constructor(readonly id: string) {}
  }
  class RelativePattern {
    constructor(
      readonly base: unknown,
      readonly pattern: string,
    ) {}
  }
  let out = '';
  let cancel: (() => void) | undefined;
  const saves = listeners<unknown>();
  const state: StandIn = {
    api: {},
    commands: new Map(),
    trees: new Map(),
    messages: [],
    progress: [],
    diagnostics: new Map(),
    context: {},
    panels: [],
    savePath: undefined,
    quickPicks: [],
    opened: [],
    pick: () => undefined,
    output: () => out,
    answer: () => undefined,
    cancelProgress: () => cancel?.(),
    saved: (path) => {
      for (const listener of saves.list) listener({ uri: Uri.file(path), fileName: path });
    },
  };
  const notify =
    (level: 'info' | 'warning' | 'error') =>
    async (text: string, ...buttons: string[]) => {
      state.messages.push({ level, text, buttons });
      return state.answer(text, buttons);
    };
  const folders = options.workspaces
    ? options.workspaces.map((path, index) => ({ uri: Uri.file(path), name: basename(path), index }))
    : options.workspace
      ? [{ uri: Uri.file(options.workspace), name: 'ws', index: 0 }]
      : undefined;
  // The folder that holds a file; with one folder, that folder for any file (as before).
  const folderOf = (uri: Uri) =>
    folders?.length === 1 ? folders[0] : folders?.find((f) => uri.fsPath === f.uri.fsPath || uri.fsPath.startsWith(`${f.uri.fsPath}${sep}`));
  Object.assign(state.api, {
    EventEmitter,
    Uri,
    Range,
    Position,
    Diagnostic,
    DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
    TreeItem,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    ThemeIcon,
    RelativePattern,
    ProgressLocation: { Notification: 15 },
    ViewColumn: { Active: -1 },
    window: {
      createOutputChannel: () => ({
        append: (text: string) => {
          out += text;
        },
        appendLine: (text: string) => {
          out += `${text}\n`;
        },
        show() {},
        dispose() {},
      }),
      registerTreeDataProvider: (id: string, provider: StandIn['trees'] extends Map<string, infer P> ? P : never) => {
        state.trees.set(id, provider);
        return disposable;
      },
      showInformationMessage: notify('info'),
      showWarningMessage: notify('warning'),
      showErrorMessage: notify('error'),
      activeTextEditor: undefined,
      showQuickPick: async (items: Record<string, unknown>[] | Promise<Record<string, unknown>[]>, pickOptions: Record<string, unknown> = {}) => {
        const list = await items;
        state.quickPicks.push({ items: list, options: pickOptions });
        return state.pick(list, pickOptions);
      },
      showSaveDialog: async () => (state.savePath ? Uri.file(state.savePath) : undefined),
      createWebviewPanel: (viewType: string, title: string, _column: unknown, panelOptions: PanelStandIn['options']) => {
        let html = '';
        const received = listeners<unknown>();
        const disposed = listeners<void>();
        const record: PanelStandIn = {
          viewType,
          title,
          options: panelOptions,
          html: () => html,
          posted: [],
          disposed: false,
          fromWebview: async (message) => {
            for (const listener of received.list) await listener(message);
          },
        };
        state.panels.push(record);
        return {
          webview: {
            cspSource: WEBVIEW_CSP_SOURCE,
            get html() {
              return html;
            },
            set html(value: string) {
              html = value;
            },
            asWebviewUri: (uri: Uri) => ({ toString: () => `${WEBVIEW_ORIGIN}${uri.fsPath}` }),
            postMessage: async (message: unknown) => {
              record.posted.push(message);
              return true;
            },
            onDidReceiveMessage: received.event,
          },
          reveal() {},
          onDidDispose: disposed.event,
          dispose() {
            record.disposed = true;
            for (const listener of disposed.list) listener();
          },
        };
      },
      withProgress: async (
        opts: { title: string },
        task: (
          progress: { report(u: { message?: string; increment?: number }): void },
          token: { onCancellationRequested(l: () => void): unknown },
        ) => Promise<unknown>,
      ) => {
        const record = { title: opts.title, reports: [] as { message?: string; increment?: number }[] };
        state.progress.push(record);
        const cancelled = listeners<void>();
        cancel = () => {
          for (const listener of cancelled.list) listener();
        };
        try {
          return await task({ report: (u) => record.reports.push(u) }, { onCancellationRequested: (l) => cancelled.event(l) });
        } finally {
          cancel = undefined;
        }
      },
    },
    env: {
      openExternal: async (uri: Uri) => {
        state.opened.push(uri.scheme === 'file' ? uri.fsPath : String(uri));
        return true;
      },
    },
    languages: {
      createDiagnosticCollection: () => ({
        set: (uri: Uri, list: Diagnostic[]) => state.diagnostics.set(uri.fsPath, list),
        delete: (uri: Uri) => state.diagnostics.delete(uri.fsPath),
        dispose() {},
      }),
    },
    workspace: {
      workspaceFolders: folders,
      getWorkspaceFolder: folderOf,
      getConfiguration: (_section?: string, scope?: Uri) => ({
        get: <T>(key: string, fallback: T) =>
          ((scope && options.folderSettings?.[scope.fsPath]?.[key]) as T | undefined) ?? (options.settings?.[key] as T | undefined) ?? fallback,
      }),
      onDidChangeWorkspaceFolders: listeners().event,
      textDocuments: [],
      onDidSaveTextDocument: saves.event,
      onDidChangeConfiguration: listeners().event,
      createFileSystemWatcher: () => ({ onDidCreate: listeners().event, onDidChange: listeners().event, onDidDelete: listeners().event, dispose() {} }),
      findFiles: async () => [],
    },
    commands: {
      registerCommand: (id: string, body: (...args: unknown[]) => unknown) => {
        state.commands.set(id, body);
        return disposable;
      },
      executeCommand: async (id: string, ...args: unknown[]) => {
        if (id === 'setContext') state.context[args[0] as string] = args[1];
        else return state.commands.get(id)?.(...args);
      },
    },
  });
  return state;
}

/** Loads dist/extension.js against the stand-in and activates it. */
export function activateBuilt(standIn: StandIn, extensionDir: string): { subscriptions: unknown[]; workspaceState: Map<string, unknown> } {
  const load = (Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown })._load;
  const bundle = join(extensionDir, 'dist', 'extension.js');
  (Module as unknown as { _load: typeof load })._load = (request, ...rest) => (request === 'vscode' ? standIn.api : load(request, ...rest));
  const workspaceState = new Map<string, unknown>();
  const subscriptions: unknown[] = [];
  try {
    const require = createRequire(import.meta.url);
    // A fresh module instance per activation: the bundle keeps per-process state (open panels).
    delete require.cache[bundle];
    const extension = require(bundle) as { activate: (context: unknown) => void };
    extension.activate({
      subscriptions,
      workspaceState: {
        get: (key: string, fallback: unknown) => workspaceState.get(key) ?? fallback,
        update: async (key: string, value: unknown) => void workspaceState.set(key, value),
      },
      extensionUri: { scheme: 'file', fsPath: extensionDir },
    });
  } finally {
    (Module as unknown as { _load: typeof load })._load = load;
  }
  return { subscriptions, workspaceState };
}

export const extensionDir = fileURLToPath(new URL('../../..', import.meta.url));
