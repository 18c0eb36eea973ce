import { existsSync, readFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { activateBuilt, extensionDir, vscodeStandIn } from './helpers/vscode-stand-in.js';

const manifest = JSON.parse(readFileSync(join(extensionDir, 'package.json'), 'utf8'));
const bundle = join(extensionDir, 'dist', 'extension.js');

describe('the built extension and its manifest', () => {
  test('the bundle loads TensorFlow.js nowhere and needs only vscode at run time', () => {
    expect(existsSync(bundle), 'run npm run build in extension/ first').toBe(true);
    const text = readFileSync(bundle, 'utf8');
    expect(text).not.toMatch(/@tensorflow|tfjs-backend/);
    const required = [...text.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]);
    expect([...new Set(required)].filter((name) => !name?.startsWith('node:') && !Module.builtinModules.includes(name ?? '')).sort()).toEqual(['vscode']);
  });

  test('activate() registers exactly the commands and the view that package.json contributes', () => {
    const standIn = vscodeStandIn();
    const { subscriptions } = activateBuilt(standIn, extensionDir);
    expect(subscriptions.length).toBeGreaterThan(0);
    const contributed = manifest.contributes.commands.map((c: { command: string; category: string }) => {
      expect(c.category).toBe('PConv Bench');
      return c.command;
    });
    expect([...standIn.commands.keys()].sort()).toEqual([...contributed].sort());
    expect([...standIn.trees.keys()]).toEqual(manifest.contributes.views.pconvBench.map((v: { id: string }) => v.id));
    expect(standIn.context).toEqual({ 'pconvBench.busy': false });
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
