import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { useTempDirs } from './helpers/real-cli.js';
import { activateBuilt, extensionDir, type StandIn, vscodeStandIn, WEBVIEW_CSP_SOURCE } from './helpers/vscode-stand-in.js';

const tempDir = useTempDirs();

/**
 * A stand-in for `pconv-bench compare ... --json`: it records its arguments in argv.json next to
 * itself and, as mode.txt next to it says, writes a page with a CSP, a style and a script of its own
 * (ok) or refuses the runs as the CLI does when they share no pair (no-shared-pairs).
 */
const FAKE_CLI = `import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
writeFileSync(join(here, 'argv.json'), JSON.stringify(argv));
const mode = readFileSync(join(here, 'mode.txt'), 'utf8').trim();
const emit = (fields) => process.stdout.write(JSON.stringify({ v: 1, time: new Date().toISOString(), ...fields }) + '\\n');
emit({ type: 'start', command: 'compare', argv, version: '0.0.0' });
if (mode === 'ok') {
  const out = argv[argv.indexOf('--out') + 1];
  mkdirSync(out, { recursive: true });
  const page = join(out, 'index.html');
  writeFileSync(page, '<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src *"><style>h1{color:red}</style></head><body><h1>side by side</h1><script>alert(1)</script></body></html>');
  writeFileSync(join(out, 'compare.json'), '{}');
  emit({ type: 'log', level: 'info', message: 'compared a, b on 24 shared pairs' });
  emit({ type: 'result', command: 'compare', data: { page, json: join(out, 'compare.json'), runs: [], sharedPairs: 24, notes: [] } });
  emit({ type: 'end', exitCode: 0, durationSeconds: 0.1 });
} else {
  emit({ type: 'error', code: 'COMPARE_NO_SHARED_PAIRS', message: 'the runs share no (image, mask) pair: a, b', hint: 'compare runs evaluated on the same test pairs', details: [] });
  emit({ type: 'end', exitCode: 1, durationSeconds: 0.1 });
  process.exitCode = 1;
}
`;

/** A workspace whose reports/ holds these runs: evaluated ones (results.json) and one only masked. */
async function workspaceWith(evaluated: string[]): Promise<{ workspace: string; cli: string; standIn: StandIn }> {
  const workspace = await tempDir();
  for (const name of evaluated) {
    await mkdir(join(workspace, 'reports', name), { recursive: true });
    await writeFile(join(workspace, 'reports', name, 'results.json'), '{"format":"pconv-bench/results@1"}');
  }
  await mkdir(join(workspace, 'reports', 'masked', 'masks'), { recursive: true });
  await writeFile(join(workspace, 'reports', 'masked', 'masks', 'manifest.json'), '{}');
  const cli = join(workspace, 'fake-cli.mjs');
  await writeFile(cli, FAKE_CLI);
  await writeFile(join(workspace, 'mode.txt'), 'ok');
  const standIn = vscodeStandIn({ workspace, settings: { cliPath: cli } });
  activateBuilt(standIn, extensionDir);
  return { workspace, cli, standIn };
}

const run = (standIn: StandIn, id: string, ...args: unknown[]) => (standIn.commands.get(id) as (...a: unknown[]) => Promise<void>)(...args);

describe('Compare Runs... (the built extension, VS Code replaced by a recording stand-in, a fake CLI)', () => {
  let ws: Awaited<ReturnType<typeof workspaceWith>>;
  beforeAll(async () => {
    ws = await workspaceWith(['a', 'b']);
  });

  test('two runs picked from the evaluated ones: the CLI compares them into the reports folder, and the page opens under a strict CSP without scripts', async () => {
    const { workspace, standIn } = ws;
    await run(standIn, 'pconvBench.refreshRuns');
    const tree = standIn.trees.get('pconvBench.runs');
    const nodeB = tree?.getChildren().find((node) => tree.getTreeItem(node).label === 'b');
    standIn.pick = (items) => items;
    // From the context menu of run b: the pick offers the evaluated runs, b ticked.
    await run(standIn, 'pconvBench.compareRuns', nodeB);
    const pick = standIn.quickPicks.at(-1);
    expect(pick?.options).toMatchObject({ canPickMany: true });
    expect(pick?.items.map((i) => [i.label, i.picked])).toEqual([
      ['a', false],
      ['b', true],
    ]);
    const a = join(workspace, 'reports', 'a');
    const b = join(workspace, 'reports', 'b');
    const out = join(workspace, 'reports', 'compare-a-vs-b');
    expect(JSON.parse(await readFile(join(workspace, 'argv.json'), 'utf8'))).toEqual(['compare', a, b, '--out', out, '--json']);
    expect(standIn.progress.at(-1)?.title).toBe('PConv Bench: compare a, b');
    expect(standIn.messages.filter((m) => m.level === 'error')).toEqual([]);

    const panel = standIn.panels.at(-1);
    expect(panel).toMatchObject({ viewType: 'pconvBench.compare', title: 'Compare: a, b', options: { enableScripts: false, localResourceRoots: [] } });
    const html = panel?.html() ?? '';
    const metas = [...html.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/g)].map((m) => (m[1] ?? '').replaceAll('&#39;', "'"));
    expect(metas).toHaveLength(1);
    const csp = metas[0] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`img-src ${WEBVIEW_CSP_SOURCE} data:`);
    const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(html).toContain(`<style nonce="${nonce}">h1{color:red}</style>`);
    expect(html).toContain('<h1>side by side</h1>');
    expect(html).not.toMatch(/<script|default-src \*/);
    // The Runs view does not take the comparison folder for a run.
    await run(standIn, 'pconvBench.refreshRuns');
    expect(tree?.getChildren().map((node) => tree.getTreeItem(node).label)).toEqual(['a', 'b', 'masked']);

    // Again, from the title bar: the same folder and the same panel, re-read.
    await run(standIn, 'pconvBench.compareRuns');
    expect(standIn.quickPicks.at(-1)?.items.map((i) => i.picked)).toEqual([false, false]);
    expect(standIn.panels.filter((p) => p.viewType === 'pconvBench.compare')).toHaveLength(1);
  });

  test("the CLI's refusal (no shared pairs) is an error message with its message and hint; no panel opens", async () => {
    const { workspace, standIn } = ws;
    await writeFile(join(workspace, 'mode.txt'), 'no-shared-pairs');
    const panels = standIn.panels.length;
    standIn.pick = (items) => items;
    await run(standIn, 'pconvBench.compareRuns');
    const error = standIn.messages.filter((m) => m.level === 'error').at(-1);
    expect(error?.text).toBe('PConv Bench: compare a, b: failed: the runs share no (image, mask) pair: a, b compare runs evaluated on the same test pairs');
    expect(standIn.panels.length).toBe(panels);
    await writeFile(join(workspace, 'mode.txt'), 'ok');
  });

  test('one run picked, or the pick dismissed: nothing runs', async () => {
    const { workspace, standIn } = ws;
    await writeFile(join(workspace, 'argv.json'), '"untouched"');
    standIn.pick = (items) => items.slice(0, 1);
    await run(standIn, 'pconvBench.compareRuns');
    expect(standIn.messages.at(-1)).toMatchObject({ level: 'error', text: 'PConv Bench: Compare Runs needs two or more runs; pick at least two.' });
    standIn.pick = () => undefined;
    const messages = standIn.messages.length;
    await run(standIn, 'pconvBench.compareRuns');
    expect(standIn.messages.length).toBe(messages);
    expect(await readFile(join(workspace, 'argv.json'), 'utf8')).toBe('"untouched"');
  });

  test('fewer than two evaluated runs: refused before any pick, and the CLI is not started', async () => {
    const { workspace, standIn } = await workspaceWith(['a']);
    standIn.pick = (items) => items;
    await run(standIn, 'pconvBench.compareRuns');
    expect(standIn.quickPicks).toEqual([]);
    expect(standIn.messages).toEqual([
      {
        level: 'error',
        text: 'PConv Bench: Compare Runs needs at least two evaluated runs (with results.json) under the reports folder; found 1.',
        buttons: [],
      },
    ]);
    expect(existsSync(join(workspace, 'argv.json'))).toBe(false);
    expect(standIn.progress).toEqual([]);
  });
});
