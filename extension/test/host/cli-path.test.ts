import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { PconvEvent } from '../../../src/protocol/events.js';
import { resolveCliPath, resolveCmdShim } from '../../src/host/cli-path.js';
import { spawnPlan, startCli } from '../../src/host/cli-process.js';
import { useTempDirs } from './helpers/real-cli.js';

const tempDir = useTempDirs();
const fakeCli = fileURLToPath(new URL('./fixtures/fake-cli.mjs', import.meta.url));

const files =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path);

describe('resolveCliPath', () => {
  test.each([
    [
      'the workspace node_modules/.bin first',
      '',
      files('/ws/node_modules/.bin/pconv-bench', '/ws/bin/pconv-bench.js'),
      '/ws/node_modules/.bin/pconv-bench',
      'workspace',
    ],
    ["the repository's own bin when there is no node_modules/.bin entry", '', files('/ws/bin/pconv-bench.js'), '/ws/bin/pconv-bench.js', 'workspace'],
    ['PATH when the workspace has none', '', files(), 'pconv-bench', 'PATH'],
    ['a setting relative to the workspace', 'tools/pconv-bench', files('/ws/tools/pconv-bench'), '/ws/tools/pconv-bench', 'setting'],
    ['an absolute setting', '/opt/pconv/bin/pconv-bench.js', files('/opt/pconv/bin/pconv-bench.js'), '/opt/pconv/bin/pconv-bench.js', 'setting'],
    ['a bare command name as a setting (on PATH)', 'pconv-bench-dev', files(), 'pconv-bench-dev', 'setting'],
  ])('takes %s', (_name, setting, exists, cliPath, source) => {
    expect(resolveCliPath({ setting, workspaceFolder: '/ws', exists, platform: 'linux' })).toEqual({ ok: true, cliPath, source });
  });

  test('on Windows with pconv-bench nowhere to be found: the .cmd name, for cmd.exe to look up (and say it cannot)', () => {
    expect(resolveCliPath({ setting: '', workspaceFolder: 'C:\\ws', exists: () => false, platform: 'win32', env: {} })).toEqual({
      ok: true,
      cliPath: 'pconv-bench.cmd',
      source: 'PATH',
    });
  });

  test("on Windows, the installed package's script (run by node, no cmd.exe) before the .cmd shim", () => {
    const script = join('/ws', 'node_modules', 'pconv-bench', 'bin', 'pconv-bench.js');
    const shim = join('/ws', 'node_modules', '.bin', 'pconv-bench.cmd');
    const exists = (path: string) => path === script || path === shim;
    expect(resolveCliPath({ setting: '', workspaceFolder: '/ws', exists, platform: 'win32' })).toEqual({ ok: true, cliPath: script, source: 'workspace' });
    expect(resolveCliPath({ setting: '', workspaceFolder: '/ws', exists: (p) => p === shim, platform: 'win32' })).toEqual({
      ok: true,
      cliPath: shim,
      source: 'workspace',
    });
  });

  test('a setting naming a missing file is an error naming the setting, not a silent fallback', () => {
    const result = resolveCliPath({
      setting: './nope/pconv-bench',
      workspaceFolder: '/ws',
      exists: files('/ws/node_modules/.bin/pconv-bench'),
      platform: 'linux',
    });
    expect(result).toMatchObject({ ok: false, message: 'pconvBench.cliPath is "./nope/pconv-bench", but /ws/nope/pconv-bench does not exist' });
    expect(result.ok === false && result.hint).toContain('pconvBench.cliPath');
  });
});

/**
 * npm's .cmd shims, as cmd-shim writes them (npm 7+, and before that), for Windows resolution
 * tested here on real files: the platform is passed in, never patched.
 */
const shimOf = (target: string) =>
  [
    '@ECHO off',
    'GOTO start',
    ':find_dp0',
    'SET dp0=%~dp0',
    'EXIT /b',
    ':start',
    'SETLOCAL',
    'CALL :find_dp0',
    '',
    'IF EXIST "%dp0%\\node.exe" (',
    '  SET "_prog=%dp0%\\node.exe"',
    ') ELSE (',
    '  SET "_prog=node"',
    '  SET PATHEXT=%PATHEXT:;.JS;=;%',
    ')',
    '',
    `endLocal & goto #_undefined_# 2>NUL || title %COMSPEC% & "%_prog%"  "%dp0%\\${target}" %*`,
    '',
  ].join('\r\n');
const oldShimOf = (target: string) =>
  `@IF EXIST "%~dp0\\node.exe" (\r\n  "%~dp0\\node.exe"  "%~dp0\\${target}" %*\r\n) ELSE (\r\n  @SETLOCAL\r\n  @SET PATHEXT=%PATHEXT:;.JS;=;%\r\n  node  "%~dp0\\${target}" %*\r\n)\r\n`;

/** A global npm install as on Windows: <prefix>/pconv-bench.cmd and <prefix>/node_modules/pconv-bench/bin/pconv-bench.js, under a path with spaces. */
async function globalInstall(shim: string | undefined): Promise<{ prefix: string; script: string }> {
  const prefix = join(await tempDir(), 'Program Files', 'npm prefix');
  const script = join(prefix, 'node_modules', 'pconv-bench', 'bin', 'pconv-bench.js');
  await mkdir(dirname(script), { recursive: true });
  // The fake CLI as the package's script (an ES module, as pconv-bench's is).
  await writeFile(join(prefix, 'node_modules', 'pconv-bench', 'package.json'), '{"type":"module"}\n');
  await copyFile(fakeCli, script);
  if (shim !== undefined) await writeFile(join(prefix, 'pconv-bench.cmd'), shim);
  return { prefix, script };
}

describe('Windows: a .cmd shim gives way to the script it runs, started with node (no cmd.exe)', () => {
  test('pconv-bench.cmd found on PATH (PATHEXT, a folder with spaces, `Path` spelled as Windows does): its script', async () => {
    const { prefix, script } = await globalInstall(shimOf('node_modules\\pconv-bench\\bin\\pconv-bench.js'));
    const env = { Path: `C:\\Windows\\system32;"${prefix}"`, PATHEXT: '.COM;.EXE;.BAT;.CMD;.VBS' };
    expect(resolveCliPath({ setting: '', workspaceFolder: await tempDir(), platform: 'win32', env })).toEqual({
      ok: true,
      cliPath: script,
      source: 'PATH',
    });
    // A node.exe beside the shim is the one the shim would use: so is it here.
    await writeFile(join(prefix, 'node.exe'), '');
    expect(resolveCliPath({ setting: '', workspaceFolder: undefined, platform: 'win32', env })).toEqual({
      ok: true,
      cliPath: script,
      source: 'PATH',
      node: join(prefix, 'node.exe'),
    });
  });

  test('the shim names the script (older npm: %~dp0, a path up from .bin); a setting naming the shim or a bare command name resolve the same', async () => {
    const project = await tempDir();
    const script = join(project, 'tools', 'pconv bench', 'cli.js');
    await mkdir(dirname(script), { recursive: true });
    await writeFile(script, '');
    const shim = join(project, 'node_modules', '.bin', 'pconv-bench-dev.cmd');
    await mkdir(dirname(shim), { recursive: true });
    await writeFile(shim, oldShimOf('..\\..\\tools\\pconv bench\\cli.js'));
    expect(resolveCliPath({ setting: 'node_modules/.bin/pconv-bench-dev.cmd', workspaceFolder: project, platform: 'win32' })).toEqual({
      ok: true,
      cliPath: script,
      source: 'setting',
    });
    expect(resolveCliPath({ setting: 'pconv-bench-dev', workspaceFolder: project, platform: 'win32', env: { PATH: dirname(shim) } })).toEqual({
      ok: true,
      cliPath: script,
      source: 'setting',
    });
    // Only on Windows: elsewhere a bare name is left to spawn's own PATH lookup.
    expect(resolveCliPath({ setting: 'pconv-bench-dev', workspaceFolder: project, platform: 'linux', env: { PATH: dirname(shim) } })).toEqual({
      ok: true,
      cliPath: 'pconv-bench-dev',
      source: 'setting',
    });
  });

  test('a shim that does not say its script (hand-written): the package beside it, else the shim itself', async () => {
    const handWritten = '@echo off\r\nnode "%APPDATA%\\npm\\node_modules\\pconv-bench\\bin\\pconv-bench.js" %*\r\n';
    const { prefix, script } = await globalInstall(handWritten);
    expect(resolveCmdShim(join(prefix, 'pconv-bench.cmd'), { exists: existsSync, readText: (p) => readFileSync(p, 'utf8') })).toEqual({ script });
    const alone = join(await tempDir(), 'pconv-bench.cmd');
    await writeFile(alone, handWritten);
    expect(resolveCliPath({ setting: '', workspaceFolder: undefined, platform: 'win32', env: { PATH: dirname(alone) } })).toEqual({
      ok: true,
      cliPath: alone,
      source: 'PATH',
    });
    // A shim whose named script is gone is no shim to follow either.
    const stale = join(await tempDir(), 'pconv-bench.cmd');
    await writeFile(stale, shimOf('node_modules\\pconv-bench\\bin\\pconv-bench.js'));
    expect(resolveCliPath({ setting: stale, workspaceFolder: undefined, platform: 'win32' })).toEqual({ ok: true, cliPath: stale, source: 'setting' });
  });

  test('what resolves is spawned as node <script>: arguments with spaces arrive whole, and Stop reaches the CLI itself', async () => {
    const { prefix } = await globalInstall(shimOf('node_modules\\pconv-bench\\bin\\pconv-bench.js'));
    const resolved = resolveCliPath({ setting: '', workspaceFolder: undefined, platform: 'win32', env: { PATH: prefix } });
    if (!resolved.ok) throw new Error(resolved.message);
    expect(spawnPlan(resolved.cliPath, ['run', 'C:\\My Configs\\a b.yaml'], 'node', 'win32')).toEqual({
      command: 'node',
      argv: [resolved.cliPath, 'run', 'C:\\My Configs\\a b.yaml'],
      shell: false,
    });
    const events: PconvEvent[] = [];
    const child = startCli({ ...resolved, platform: 'win32', args: ['wait-sigint', 'an argument with spaces'], cwd: prefix, onEvent: (e) => events.push(e) });
    while (!events.some((e) => e.type === 'stage')) await new Promise((r) => setTimeout(r, 10));
    expect(events[0]?.type === 'start' && events[0].argv).toEqual(['wait-sigint', 'an argument with spaces', '--json']);
    child.cancel();
    // The CLI got the stop itself (its clean stop: end event, exit 130), not a cmd.exe in between.
    expect(await child.done).toMatchObject({ exitCode: 130, cancelled: true, diedWithoutEnd: false });
  });

  test('a .cmd that resolves to no script goes through cmd.exe, each part quoted', () => {
    expect(spawnPlan('C:\\Program Files\\pconv\\pconv-bench.cmd', ['run', 'C:\\my configs\\a.yaml', '--json'], 'node', 'win32')).toEqual({
      command: '"C:\\Program Files\\pconv\\pconv-bench.cmd"',
      argv: ['run', '"C:\\my configs\\a.yaml"', '--json'],
      shell: true,
    });
    expect(spawnPlan('/usr/local/bin/pconv-bench', ['run'], 'node', 'linux')).toEqual({ command: '/usr/local/bin/pconv-bench', argv: ['run'], shell: false });
  });
});
