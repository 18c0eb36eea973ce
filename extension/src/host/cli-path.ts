import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export interface CliPathInput {
  /** The setting pconvBench.cliPath; empty means "find it". */
  readonly setting: string;
  readonly workspaceFolder: string | undefined;
  readonly platform?: NodeJS.Platform;
  readonly exists?: (path: string) => boolean;
}

export type CliPathResult =
  | { readonly ok: true; readonly cliPath: string; readonly source: 'setting' | 'workspace' | 'PATH' }
  | { readonly ok: false; readonly message: string; readonly hint: string };

/**
 * Which `pconv-bench` to spawn: the setting (relative to the workspace folder), else the
 * workspace's node_modules/.bin/pconv-bench (the version the project pins), else the one on PATH.
 * A setting that names a missing file is an error rather than a silent fallback to another version.
 */
export function resolveCliPath(input: CliPathInput): CliPathResult {
  const exists = input.exists ?? existsSync;
  const windows = (input.platform ?? process.platform) === 'win32';
  const setting = input.setting.trim();
  if (setting) {
    // A bare name ("pconv-bench", "pconv-bench-dev") is a command on PATH.
    if (!isAbsolute(setting) && !/[\\/]/.test(setting)) return { ok: true, cliPath: setting, source: 'setting' };
    const path = isAbsolute(setting) || !input.workspaceFolder ? setting : resolve(input.workspaceFolder, setting);
    if (exists(path)) return { ok: true, cliPath: path, source: 'setting' };
    return {
      ok: false,
      message: `pconvBench.cliPath is ${JSON.stringify(input.setting)}, but ${path} does not exist`,
      hint: 'Fix the setting pconvBench.cliPath (a path to pconv-bench or to its bin/pconv-bench.js), or clear it to use the workspace node_modules/.bin or PATH.',
    };
  }
  if (input.workspaceFolder) {
    // On Windows the .bin entry is a .cmd shim that only starts through cmd.exe: unquoted paths
    // with spaces break, and a signal reaches cmd.exe, not the CLI. Its script, run by node, has
    // neither problem.
    const script = join(input.workspaceFolder, 'node_modules', 'pconv-bench', 'bin', 'pconv-bench.js');
    if (windows && exists(script)) return { ok: true, cliPath: script, source: 'workspace' };
    const local = join(input.workspaceFolder, 'node_modules', '.bin', windows ? 'pconv-bench.cmd' : 'pconv-bench');
    if (exists(local)) return { ok: true, cliPath: local, source: 'workspace' };
    // The pconv-bench repository itself (npm links no package's own bin into its node_modules).
    const own = join(input.workspaceFolder, 'bin', 'pconv-bench.js');
    if (exists(own)) return { ok: true, cliPath: own, source: 'workspace' };
  }
  return { ok: true, cliPath: windows ? 'pconv-bench.cmd' : 'pconv-bench', source: 'PATH' };
}
