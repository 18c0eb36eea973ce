import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type PconvEvent, PconvEventSchema } from '../../src/protocol/events.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
const bin = resolve(repoRoot, 'bin/pconv-bench.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node <argv>` as a child process and collects its output; with `limitMs` it is killed
 * (SIGKILL) after that long, so a process that does not end by itself shows up as a signal.
 */
export function runNode(
  argv: readonly string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    limitMs?: number;
    onStderr?: (chunk: string, child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, argv, { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env });
    const timer = options.limitMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.limitMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(chunk.toString(), child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** Runs the real, built CLI (bin/pconv-bench.js -> dist/) as a child process; `env` is added to this process's environment. */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; onStderr?: (chunk: string, child: ReturnType<typeof spawn>) => void } = {},
): Promise<CliRun> {
  if (!existsSync(resolve(repoRoot, 'dist/cli/main.js')))
    throw new Error('dist/ is missing: the CLI tests run the built CLI; run `npm run build` (npm test does)');
  return runNode([bin, ...args], { cwd: options.cwd, env: { ...process.env, FORCE_COLOR: '0', ...options.env }, onStderr: options.onStderr });
}

/** The events a `--json` run printed on stdout, one JSON line each, every one checked against the events schema. */
export function cliEvents(stdout: string): PconvEvent[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => PconvEventSchema.parse(JSON.parse(line)));
}

/** The first event of `type` that a `--json` run printed, if any. */
export function cliEvent<T extends PconvEvent['type']>(stdout: string, type: T): Extract<PconvEvent, { type: T }> | undefined {
  return cliEvents(stdout).find((e): e is Extract<PconvEvent, { type: T }> => e.type === type);
}

/** Starts the built CLI and kill -9s it when its stderr first shows `trigger`; resolves with whether it was killed. */
export function killWhen(args: readonly string[], trigger: string): Promise<boolean> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot });
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => {
      if (!killed && chunk.toString().includes(trigger)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('close', () => done(killed));
  });
}
