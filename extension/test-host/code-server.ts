import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, statSync } from 'node:fs';
import { copyFile, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const hostSuiteDir = fileURLToPath(new URL('.', import.meta.url));
export const extensionDir = join(hostSuiteDir, '..');
export const repoRoot = join(extensionDir, '..');

/** Runs a command to its end; resolves with its stdout, rejects with its output when it fails. */
function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; stderr: 'inherit' | 'pipe' }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', options.stderr] });
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      out += text;
    });
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      out += text;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit code ${code}`}):\n${out}`));
    });
  });
}

/**
 * code-server from the npm registry, installed once into the cache folder by install-code-server.sh
 * (PCONV_CODE_SERVER_CACHE, default ~/.cache/pconv-bench/code-server); returns its executable.
 * The script's log goes to this process's stderr (a minute and a half the first time, nothing after).
 */
export async function installCodeServer(): Promise<string> {
  const out = await run('bash', [join(hostSuiteDir, 'install-code-server.sh')], { stderr: 'inherit' });
  const bin = out.trim().split('\n').at(-1) ?? '';
  if (!existsSync(bin)) throw new Error(`install-code-server.sh printed ${JSON.stringify(bin)}, which is not a file`);
  return bin;
}

/** `npm run package`: the .vsix a user installs, copied to `into` (a later build empties extension/dist). */
export async function packageExtension(into: string): Promise<string> {
  await run('npm', ['run', 'package'], { cwd: extensionDir, stderr: 'pipe' });
  const vsix = join(into, 'pconv-bench-vscode.vsix');
  await copyFile(join(extensionDir, 'dist', 'pconv-bench-vscode.vsix'), vsix);
  return vsix;
}

/** The folders of one code-server instance, all under one temp root, none in the user's home. */
export interface HostDirs {
  readonly root: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  /** code-server's --config file (without one it writes ~/.config/code-server/config.yaml). */
  readonly configFile: string;
  /** XDG folders for code-server's own files (heartbeat, coder-logs). */
  readonly xdg: string;
}

/**
 * User settings that keep VS Code quiet and offline: no start page, no telemetry, no update or
 * extension-update checks, no experiments or recommendations (each would try the network and log
 * errors), and no workspace-trust prompt.
 */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.settings.enableNaturalLanguageSearch': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'npm.fetchOnlinePackageInfo': false,
  'typescript.disableAutomaticTypeAcquisition': true,
  'security.workspace.trust.enabled': false,
};

export async function makeHostDirs(root: string): Promise<HostDirs> {
  const dirs: HostDirs = {
    root,
    userDataDir: join(root, 'user-data'),
    extensionsDir: join(root, 'extensions'),
    configFile: join(root, 'code-server.yaml'),
    xdg: join(root, 'xdg'),
  };
  await mkdir(join(dirs.userDataDir, 'User'), { recursive: true });
  await mkdir(dirs.extensionsDir, { recursive: true });
  await mkdir(dirs.xdg, { recursive: true });
  await writeFile(join(dirs.userDataDir, 'User', 'settings.json'), `${JSON.stringify(USER_SETTINGS, null, 2)}\n`);
  // Without a config file of its own code-server writes ~/.config/code-server/config.yaml (with a
  // password); the rest comes as flags.
  await writeFile(dirs.configFile, 'auth: none\n');
  return dirs;
}

function codeServerEnv(dirs: HostDirs): NodeJS.ProcessEnv {
  return { ...process.env, XDG_CONFIG_HOME: join(dirs.xdg, 'config'), XDG_DATA_HOME: join(dirs.xdg, 'data') };
}

/** `code-server --install-extension FILE.vsix` into the fresh --extensions-dir, as a user installs it. */
export async function installExtension(bin: string, dirs: HostDirs, vsix: string): Promise<string> {
  const args = ['--config', dirs.configFile, '--user-data-dir', dirs.userDataDir, '--extensions-dir', dirs.extensionsDir, '--install-extension', vsix];
  const out = await run(bin, args, { env: codeServerEnv(dirs), stderr: 'pipe' });
  if (!/successfully installed/.test(out)) throw new Error(`code-server --install-extension did not report success:\n${out}`);
  return out;
}

/**
 * The test workspace, as a user of pconv-bench would have it: configs/ with the repository's smoke
 * config (verbatim) and the data it names (data.root ../data/photos; reports go to ../reports),
 * two more configs derived from it (`long`, with enough training steps (200 in phase 1, about 10 s
 * here) to be stopped in the middle,
 * and `typo`, which the suite edits), and workspace settings that point pconvBench.cliPath at the
 * CLI of the repository under test (its bin/pconv-bench.js, run with node) on the wasm backend
 * (the backend CI's quality gate uses; the same on every machine).
 */
export async function makeWorkspace(dir: string): Promise<void> {
  await mkdir(join(dir, 'configs'), { recursive: true });
  await mkdir(join(dir, '.vscode'), { recursive: true });
  const smoke = await readFile(join(repoRoot, 'configs', 'smoke.yaml'), 'utf8');
  await writeFile(join(dir, 'configs', 'smoke.yaml'), smoke);
  // smoke.yaml's first line names it for the YAML extension's completion.
  await copyFile(join(repoRoot, 'configs', 'experiment.schema.json'), join(dir, 'configs', 'experiment.schema.json'));
  const derived = (name: string, phase1Steps: number) => {
    const text = smoke.replace(/^name: smoke$/m, `name: ${name}`).replace(/(phase1: \{[^}]*steps: )20,/, `$1${phase1Steps},`);
    if (!text.includes(`name: ${name}`) || !text.includes(`steps: ${phase1Steps},`))
      throw new Error(`configs/smoke.yaml changed shape: cannot derive ${name}.yaml`);
    return text;
  };
  await writeFile(join(dir, 'configs', 'long.yaml'), derived('long', 200));
  await writeFile(join(dir, 'configs', 'typo.yaml'), derived('typo', 20));
  await cp(join(repoRoot, 'data', 'photos'), join(dir, 'data', 'photos'), { recursive: true });
  const settings = { 'pconvBench.cliPath': join(repoRoot, 'bin', 'pconv-bench.js'), 'pconvBench.backend': 'wasm' };
  await writeFile(join(dir, '.vscode', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface CodeServer {
  readonly url: string;
  /** code-server's own stdout and stderr. */
  readonly logFile: string;
  stop(): Promise<void>;
}

/**
 * Starts code-server on a free port of 127.0.0.1 without authentication, with its own user data,
 * extensions and config, and waits for /healthz. It runs in a process group of its own, so stop()
 * ends it with everything it started (extension host, pty host, the CLI processes of the extension).
 */
export async function startCodeServer(bin: string, dirs: HostDirs, workspace: string): Promise<CodeServer> {
  const port = await freePort();
  const logFile = join(dirs.root, 'code-server.log');
  const log = openSync(logFile, 'a');
  const args = [
    '--config',
    dirs.configFile,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--user-data-dir',
    dirs.userDataDir,
    '--extensions-dir',
    dirs.extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    workspace,
  ];
  const child: ChildProcess = spawn(bin, args, { detached: true, stdio: ['ignore', log, log], env: codeServerEnv(dirs) });
  closeSync(log);
  let exited: string | undefined;
  const done = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `code ${code} signal ${signal}`;
      resolve();
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`code-server exited (${exited}) before it answered: see ${logFile}`);
    const healthy = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) throw new Error(`code-server did not answer ${url}/healthz within 60 s: see ${logFile}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // the group is gone already
    }
  };
  return {
    url,
    logFile,
    async stop() {
      if (exited) return;
      signalGroup('SIGTERM');
      const killed = await Promise.race([done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
      if (!killed) signalGroup('SIGKILL');
      // Children that outlive code-server (a CLI still saving its checkpoint) are in the same group.
      await new Promise((r) => setTimeout(r, 200));
      signalGroup('SIGKILL');
    },
  };
}

/** Files under `dir` (recursively) whose path matches, newest first. */
export function findFiles(dir: string, pattern: RegExp): string[] {
  const found: { path: string; mtime: number }[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (pattern.test(path)) found.push({ path, mtime: statSync(path).mtimeMs });
    }
  };
  walk(dir);
  return found.sort((a, b) => b.mtime - a.mtime).map((f) => f.path);
}

/** The extension host's log (activation events, extension errors) of the newest window. */
export function extensionHostLog(dirs: HostDirs): string | undefined {
  return findFiles(join(dirs.userDataDir, 'logs'), /[\\/]exthost\d*[\\/]remoteexthost\.log$/)[0];
}

/** The "PConv Bench" output channel as VS Code writes it to disk (the CLI's stderr, the extension's notes). */
export function outputChannelLog(dirs: HostDirs): string | undefined {
  return findFiles(join(dirs.userDataDir, 'logs'), /[\\/]output_logging_[^\\/]+[\\/]\d+-PConv Bench\.log$/)[0];
}

export async function readIfExists(file: string | undefined): Promise<string> {
  return file && existsSync(file) ? readFile(file, 'utf8') : '';
}
