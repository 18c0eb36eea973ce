import { ConfigError } from '../core/config/config-error.js';
import { InterruptedError, isUserError } from '../core/errors.js';
import { fileSystemUserError } from '../core/io/file-system-error.js';
import type { CommandContext } from './command-context.js';
import { ExitCode } from './exit-codes.js';
import { Output } from './output.js';
import { packageVersion } from './version.js';

/**
 * Runs one command handler with the CLI's contract: a start and an end event, Ctrl-C turned into
 * an abort signal (a second Ctrl-C exits at once), and every error mapped to an exit code.
 */
export async function runCommandHandler(
  command: string,
  argv: readonly string[],
  json: boolean,
  handler: (ctx: CommandContext) => Promise<void>,
): Promise<number> {
  const output = new Output({ json });
  const started = Date.now();
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(ExitCode.interrupted);
    output.warn('interrupted: stopping cleanly (press Ctrl-C again to exit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  output.event({ type: 'start', command, argv: [...argv], version: packageVersion() });
  let exitCode: number = ExitCode.ok;
  try {
    await handler({ output, signal: controller.signal, cwd: process.cwd() });
    if (controller.signal.aborted) throw new InterruptedError();
  } catch (error) {
    exitCode = reportError(output, error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  output.event({ type: 'end', exitCode, durationSeconds: (Date.now() - started) / 1000 });
  return exitCode;
}

export function reportError(output: Output, thrown: unknown): number {
  const error = fileSystemUserError(thrown) ?? thrown;
  if (error instanceof InterruptedError) {
    output.event({
      type: 'error',
      code: 'INTERRUPTED',
      message: error.message,
      details: [],
      hint: 'Run the same command again to continue (train: with --resume).',
    });
    return ExitCode.interrupted;
  }
  if (isUserError(error)) {
    const problems =
      error instanceof ConfigError
        ? error.problems.map((p) => ({
            file: error.file,
            path: p.path,
            message: p.message,
            ...(p.line === undefined ? {} : { line: p.line, column: p.column ?? 1 }),
          }))
        : undefined;
    output.event({
      type: 'error',
      code: error.code,
      message: error.message,
      details: [...error.details],
      ...(error.hint ? { hint: error.hint } : {}),
      ...(problems ? { problems } : {}),
    });
    return ExitCode.userError;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  output.event({
    type: 'error',
    code: 'INTERNAL',
    message: `internal error (a bug in pconv-bench): ${error instanceof Error ? error.message : String(error)}`,
    details: stack
      .split('\n')
      .slice(1, 8)
      .map((line) => line.trim()),
    hint: 'Please report it with the command you ran and this output.',
  });
  return ExitCode.internalError;
}
