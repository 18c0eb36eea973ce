import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export interface CliPathInput {
  /** The setting pconvBench.cliPath; empty means "find it". */
  readonly setting: string;
  readonly workspaceFolder: string | undefined;
  readonly platform?: NodeJS.Platform;
  readonly exists?: (path: string) => boolean;
  /** A file's text, or undefined when it cannot be read: how a Windows .cmd shim is read to find its script. */
  readonly readText?: (path: string) => string | undefined;
  /** Where PATH (and on Windows PATHEXT) come from; process.env by default. */
  readonly env?: NodeJS.ProcessEnv;
}

export type CliPathResult =
  | {
      readonly ok: true;
      readonly cliPath: string;
      readonly source: 'setting' | 'workspace' | 'PATH';
      /** The node to run a script cliPath with, when the shim it came from names one (a node.exe beside it). */
      readonly node?: string;
    }
  | { readonly ok: false; readonly message: string; readonly hint: string };

const SCRIPT = /\.(c|m)?js$/i;
/** The script an npm .cmd shim runs: `"%dp0%\<path>" %*` (cmd-shim 4+) or `"%~dp0\<path>" %*` (older). */
const SHIM_TARGET = /"%(?:~dp0|dp0%)\\([^"]+?)"\s+%\*/;

function readTextFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** An environment variable by name, in any case (Windows' are case-insensitive: `Path`, `PATH`). */
function envVar(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const key = Object.keys(env).find((k) => k.toUpperCase() === name);
  return key === undefined ? undefined : env[key];
}

/**
 * What to spawn for a Windows .cmd (or .bat) shim: the script it runs, with `node`, so no cmd.exe
 * stands between the extension and the CLI (cmd.exe splits unquoted paths with spaces, and Stop
 * would end cmd.exe, not the CLI). npm's shims name the script; a shim not read that way is
 * looked beside for the package (global installs keep it in node_modules/ next to the shim, a
 * project's .bin/ one level up). Undefined when neither finds it: then the shim itself it is.
 */
export function resolveCmdShim(
  shim: string,
  io: { exists: (path: string) => boolean; readText: (path: string) => string | undefined },
): { script: string; node?: string } | undefined {
  const dir = dirname(shim);
  // The shim's own node.exe, which it prefers to the one on PATH.
  const nodeExe = join(dir, 'node.exe');
  const node = io.exists(nodeExe) ? { node: nodeExe } : {};
  const target = SHIM_TARGET.exec(io.readText(shim) ?? '')?.[1];
  const named = target ? join(dir, ...target.split(/[\\/]+/)) : undefined;
  if (named && SCRIPT.test(named) && io.exists(named)) return { script: named, ...node };
  for (const script of [join(dir, 'node_modules', 'pconv-bench', 'bin', 'pconv-bench.js'), join(dir, '..', 'pconv-bench', 'bin', 'pconv-bench.js')])
    if (io.exists(script)) return { script, ...node };
  return undefined;
}

/** A command name looked up on PATH as Windows does: each folder, each PATHEXT extension (unless the name has one). */
function findOnWindowsPath(name: string, env: NodeJS.ProcessEnv, exists: (path: string) => boolean): string | undefined {
  const folders = (envVar(env, 'PATH') ?? '').split(';').filter(Boolean);
  const extensions = /\.[^\\/.]+$/.test(name)
    ? ['']
    : (envVar(env, 'PATHEXT') ?? '.COM;.EXE;.BAT;.CMD')
        .split(';')
        .filter(Boolean)
        .map((e) => e.toLowerCase());
  for (const folder of folders) {
    // PATH entries may be quoted ("C:\Program Files\nodejs").
    const unquoted = folder.replace(/^"(.*)"$/, '$1');
    for (const ext of extensions) {
      const path = join(unquoted, name + ext);
      if (exists(path)) return path;
    }
  }
  return undefined;
}

/**
 * Which `pconv-bench` to spawn: the setting (relative to the workspace folder), else the
 * workspace's node_modules/.bin/pconv-bench (the version the project pins), else the one on PATH.
 * A setting that names a missing file is an error rather than a silent fallback to another version.
 * On Windows a .cmd shim (the setting's, the workspace's, the one found on PATH) gives way to the
 * script it runs, which cli-process starts with node.
 */
export function resolveCliPath(input: CliPathInput): CliPathResult {
  const exists = input.exists ?? existsSync;
  const io = { exists, readText: input.readText ?? readTextFile };
  const env = input.env ?? process.env;
  const windows = (input.platform ?? process.platform) === 'win32';
  /** A .cmd/.bat on Windows as the script it runs (the shim itself when that cannot be told). */
  const unshim = (path: string, source: 'setting' | 'workspace' | 'PATH'): CliPathResult => {
    const resolved = windows && /\.(cmd|bat)$/i.test(path) ? resolveCmdShim(path, io) : undefined;
    return resolved ? { ok: true, cliPath: resolved.script, source, ...(resolved.node ? { node: resolved.node } : {}) } : { ok: true, cliPath: path, source };
  };
  const setting = input.setting.trim();
  if (setting) {
    // A bare name ("pconv-bench", "pconv-bench-dev") is a command on PATH; on Windows it is looked
    // up here, since spawning it without a shell finds no .cmd.
    if (!isAbsolute(setting) && !/[\\/]/.test(setting)) {
      const found = windows ? findOnWindowsPath(setting, env, exists) : undefined;
      return found ? unshim(found, 'setting') : { ok: true, cliPath: setting, source: 'setting' };
    }
    const path = isAbsolute(setting) || !input.workspaceFolder ? setting : resolve(input.workspaceFolder, setting);
    if (exists(path)) return unshim(path, 'setting');
    return {
      ok: false,
      message: `pconvBench.cliPath is ${JSON.stringify(input.setting)}, but ${path} does not exist`,
      hint: 'Fix the setting pconvBench.cliPath (a path to pconv-bench or to its bin/pconv-bench.js), or clear it to use the workspace node_modules/.bin or PATH.',
    };
  }
  if (input.workspaceFolder) {
    // On Windows the .bin entry is a .cmd shim: its script, run by node, rather than cmd.exe.
    const script = join(input.workspaceFolder, 'node_modules', 'pconv-bench', 'bin', 'pconv-bench.js');
    if (windows && exists(script)) return { ok: true, cliPath: script, source: 'workspace' };
    const local = join(input.workspaceFolder, 'node_modules', '.bin', windows ? 'pconv-bench.cmd' : 'pconv-bench');
    if (exists(local)) return unshim(local, 'workspace');
    // The pconv-bench repository itself (npm links no package's own bin into its node_modules).
    const own = join(input.workspaceFolder, 'bin', 'pconv-bench.js');
    if (exists(own)) return { ok: true, cliPath: own, source: 'workspace' };
  }
  if (windows) {
    const found = findOnWindowsPath('pconv-bench', env, exists);
    // Not found now: the shim's name, for cmd.exe to look up when it starts (and say so if it cannot).
    return found ? unshim(found, 'PATH') : { ok: true, cliPath: 'pconv-bench.cmd', source: 'PATH' };
  }
  return { ok: true, cliPath: 'pconv-bench', source: 'PATH' };
}
