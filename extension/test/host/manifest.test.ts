import { existsSync, readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const extensionDir = fileURLToPath(new URL('../..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(extensionDir, 'package.json'), 'utf8'));
const bundle = join(extensionDir, 'dist', 'extension.js');

/**
 * Just enough of the 'vscode' module for activate() to run outside VS Code: it records the
 * commands, views and context keys registered. Nothing of the extension's own logic is replaced.
 */
function vscodeStandIn() {
  const registered = { commands: [] as string[], trees: [] as string[], context: {} as Record<string, unknown> };
  const disposable = { dispose() {} };
  const event = () => disposable;
  class EventEmitter {
    event = event;
    fire() {}
    dispose() {}
  }
  const api = {
    EventEmitter,
    window: {
      createOutputChannel: () => ({ append() {}, appendLine() {}, show() {}, dispose() {} }),
      registerTreeDataProvider: (id: string) => {
        registered.trees.push(id);
        return disposable;
      },
    },
    languages: { createDiagnosticCollection: () => ({ set() {}, delete() {}, dispose() {} }) },
    workspace: { workspaceFolders: undefined, onDidSaveTextDocument: event, onDidChangeConfiguration: event },
    commands: {
      registerCommand: (id: string) => {
        registered.commands.push(id);
        return disposable;
      },
      executeCommand: async (id: string, key: string, value: unknown) => {
        if (id === 'setContext') registered.context[key] = value;
      },
    },
  };
  return { api, registered };
}

describe('the built extension and its manifest', () => {
  test('the bundle loads TensorFlow.js nowhere and needs only vscode at run time', () => {
    expect(existsSync(bundle), 'run npm run build in extension/ first').toBe(true);
    const text = readFileSync(bundle, 'utf8');
    expect(text).not.toMatch(/@tensorflow|tfjs-backend/);
    const required = [...text.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]);
    expect([...new Set(required)].filter((name) => !name?.startsWith('node:') && !Module.builtinModules.includes(name ?? '')).sort()).toEqual(['vscode']);
  });

  test('activate() registers exactly the commands and the view that package.json contributes', () => {
    const { api, registered } = vscodeStandIn();
    const load = (Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown })._load;
    (Module as unknown as { _load: typeof load })._load = (request, ...rest) => (request === 'vscode' ? api : load(request, ...rest));
    try {
      const extension = createRequire(import.meta.url)(bundle) as { activate: (context: unknown) => void };
      const subscriptions: unknown[] = [];
      extension.activate({
        subscriptions,
        workspaceState: { get: (_k: string, d: unknown) => d, update: async () => {} },
        extensionUri: { fsPath: extensionDir },
      });
      expect(subscriptions.length).toBeGreaterThan(0);
    } finally {
      (Module as unknown as { _load: typeof load })._load = load;
    }
    const contributed = manifest.contributes.commands.map((c: { command: string; category: string }) => {
      expect(c.category).toBe('PConv Bench');
      return c.command;
    });
    expect([...registered.commands].sort()).toEqual([...contributed].sort());
    expect(registered.trees).toEqual(manifest.contributes.views.pconvBench.map((v: { id: string }) => v.id));
    expect(registered.context).toEqual({ 'pconvBench.busy': false });
  });

  test('every command the menus name exists, and the schema and icon the manifest points at are packaged', () => {
    const ids = new Set(manifest.contributes.commands.map((c: { command: string }) => c.command));
    const menuCommands = Object.values(manifest.contributes.menus as Record<string, { command: string }[]>).flatMap((items) => items.map((i) => i.command));
    for (const id of menuCommands) expect(ids, `menu names ${id}`).toContain(id);
    for (const v of manifest.contributes.yamlValidation) expect(existsSync(join(extensionDir, v.url)), v.url).toBe(true);
    expect(existsSync(join(extensionDir, manifest.contributes.viewsContainers.activitybar[0].icon))).toBe(true);
    // @vscode/vsce refuses an engines.vscode older than the @types/vscode the code was checked against.
    expect(manifest.engines.vscode).toBe(`^${manifest.devDependencies['@types/vscode']}`);
  });
});
