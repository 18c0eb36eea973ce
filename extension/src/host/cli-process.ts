import { type ChildProcess, spawn } from 'node:child_process';
import type { PconvEvent } from '../../../src/protocol/events.js';
import { EventLineParser, type StreamItem } from './event-stream.js';

type EventOf<T extends PconvEvent['type']> = Extract<PconvEvent, { type: T }>;

export interface CliStartOptions {
  /** The CLI: an executable, or a .js/.mjs/.cjs script run with `node`. */
  readonly cliPath: string;
  /** Arguments before `--json`, which is always added. */
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The `node` that runs a script cliPath. Inside VS Code process.execPath is Electron, so the default there is `node` on PATH. */
  readonly node?: string;
  /** The platform to spawn for (process.platform): on Windows a .cmd/.bat cliPath goes through cmd.exe. */
  readonly platform?: NodeJS.Platform;
  /** How long SIGINT (the CLI saves a checkpoint) may take before SIGTERM, and SIGTERM before SIGKILL. */
  readonly graceMs?: number;
  readonly onEvent?: (event: PconvEvent) => void;
  /** stderr as it arrives: the CLI's log for people. */
  readonly onStderr?: (text: string) => void;
  /** A stdout line that is not an event (a stray console.log of a dependency, a torn line). */
  readonly onInvalidLine?: (line: string, reason: string) => void;
}

export interface CliOutcome {
  /** The exit code: the `end` event's, else the process's; null when a signal killed it. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly end?: EventOf<'end'>;
  readonly errors: readonly EventOf<'error'>[];
  readonly results: readonly EventOf<'result'>[];
  /** The process ended without its `end` event: it crashed or was killed. `message` says how. */
  readonly diedWithoutEnd: boolean;
  readonly cancelled: boolean;
  /** The CLI could not be started at all (not found, not executable). */
  readonly spawnError?: Error;
  /** One line for people: what happened. */
  readonly message: string;
}

export interface CliProcess {
  readonly pid: number | undefined;
  readonly done: Promise<CliOutcome>;
  /** Graceful stop: SIGINT (checkpoint, exit 130), then SIGTERM, then SIGKILL, each after graceMs. */
  cancel(): void;
}

const SCRIPT = /\.(c|m)?js$/i;

/** One argument as cmd.exe reads it: quoted unless plainly safe, so a path with spaces stays one argument. */
export function cmdQuote(arg: string): string {
  return /^[\w\-.:\\/=@+,]+$/.test(arg) ? arg : `"${arg.replace(/"/g, '""')}"`;
}

/**
 * What to spawn: a script with node; on Windows a .cmd/.bat through cmd.exe, each part quoted
 * (spawn's `shell` joins them unquoted). cli-path resolves npm's shims to their scripts, so a
 * .cmd gets here only when that failed.
 */
export function spawnPlan(
  cliPath: string,
  args: readonly string[],
  node: string,
  platform: NodeJS.Platform,
): { command: string; argv: string[]; shell: boolean } {
  if (SCRIPT.test(cliPath)) return { command: node, argv: [cliPath, ...args], shell: false };
  if (platform === 'win32' && /\.(cmd|bat)$/i.test(cliPath)) return { command: cmdQuote(cliPath), argv: args.map(cmdQuote), shell: true };
  return { command: cliPath, argv: [...args], shell: false };
}

function describeOutcome(o: Omit<CliOutcome, 'message'>, cliPath: string): string {
  if (o.spawnError) return `could not start ${cliPath}: ${o.spawnError.message}`;
  const failure = o.errors.at(-1);
  if (o.end) {
    if (o.end.exitCode === 0) return `finished in ${o.end.durationSeconds.toFixed(1)} s`;
    if (o.end.exitCode === 130) return 'interrupted (a checkpoint was saved; run again to continue)';
    return failure ? `failed: ${failure.message}` : `failed with exit code ${o.end.exitCode}`;
  }
  const how = o.signal ? `was killed by ${o.signal}` : `exited with code ${o.exitCode}`;
  return `pconv-bench ${how} before finishing its event stream${failure ? ` (last error: ${failure.message})` : ''}`;
}

/** Spawns `pconv-bench <args> --json` and turns its stdout into validated events. */
export function startCli(options: CliStartOptions): CliProcess {
  const args = options.args.includes('--json') ? [...options.args] : [...options.args, '--json'];
  const node = options.node ?? (process.versions.electron ? 'node' : process.execPath);
  const platform = options.platform ?? process.platform;
  const { command, argv, shell } = spawnPlan(options.cliPath, args, node, platform);
  const graceMs = options.graceMs ?? 10_000;

  const errors: EventOf<'error'>[] = [];
  const results: EventOf<'result'>[] = [];
  let end: EventOf<'end'> | undefined;
  let cancelled = false;
  const timers: NodeJS.Timeout[] = [];
  const parser = new EventLineParser();
  const deliver = (items: StreamItem[]) => {
    for (const item of items) {
      if (item.kind === 'invalid') {
        options.onInvalidLine?.(item.line, item.reason);
        continue;
      }
      const event = item.event;
      if (event.type === 'error') errors.push(event);
      else if (event.type === 'result') results.push(event);
      else if (event.type === 'end') end = event;
      options.onEvent?.(event);
    }
  };

  let child: ChildProcess;
  const done = new Promise<CliOutcome>((resolve) => {
    let settled = false;
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      deliver(parser.end());
      const outcome = {
        exitCode: end?.exitCode ?? exitCode,
        signal,
        end,
        errors,
        results,
        diedWithoutEnd: end === undefined,
        cancelled,
        ...(spawnError ? { spawnError } : {}),
      };
      resolve({ ...outcome, message: describeOutcome(outcome, options.cliPath) });
    };
    try {
      child = spawn(command, argv, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], shell });
    } catch (error) {
      finish(null, null, error as Error);
      return;
    }
    let spawnError: Error | undefined;
    child.stdout?.on('data', (chunk: Buffer) => deliver(parser.push(chunk)));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => options.onStderr?.(text));
    child.on('error', (error) => {
      spawnError = error;
      // A child that never started may emit no 'close'; finish here (a later 'close' is ignored).
      if (child.pid === undefined) finish(null, null, error);
    });
    child.on('close', (code, signal) => finish(code, signal, spawnError));
  });

  return {
    get pid() {
      return child?.pid;
    },
    done,
    cancel() {
      if (cancelled || child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      cancelled = true;
      if (shell && platform === 'win32' && child.pid !== undefined) {
        // A signal would end cmd.exe and leave the CLI running: end the whole tree.
        spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore' }).on('error', () => child.kill());
        return;
      }
      child.kill('SIGINT');
      timers.push(
        setTimeout(() => child.kill('SIGTERM'), graceMs),
        setTimeout(() => child.kill('SIGKILL'), 2 * graceMs),
      );
    },
  };
}
