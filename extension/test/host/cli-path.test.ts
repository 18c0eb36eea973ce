import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { resolveCliPath } from '../../src/host/cli-path.js';

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

  test('uses the .cmd shim on Windows', () => {
    expect(resolveCliPath({ setting: '', workspaceFolder: 'C:\\ws', exists: () => false, platform: 'win32' })).toMatchObject({ cliPath: 'pconv-bench.cmd' });
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
