import yargs from 'yargs';
import { UserError } from '../core/errors.js';
import { benchCommand } from './commands/bench.js';
import { checkCommand } from './commands/check.js';
import { compareCommand } from './commands/compare.js';
import { configCommand } from './commands/config.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { inpaintCommand } from './commands/inpaint.js';
import { masksCommand } from './commands/masks.js';
import { mergeCommand } from './commands/merge.js';
import { metricsCommand } from './commands/metrics.js';
import { reportCommand } from './commands/report.js';
import { runExperimentCommand } from './commands/run.js';
import { schemaCommand } from './commands/schema.js';
import { trainCommand } from './commands/train.js';
import type { CommandEnv } from './define-command.js';
import { ExitCode } from './exit-codes.js';
import { Output } from './output.js';
import { packageVersion } from './version.js';

/**
 * The pconv-bench CLI. Returns the exit code instead of exiting so tests can call it in-process.
 * Each command lives in its own module under ./commands and imports its heavy dependencies lazily.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const env: CommandEnv = { argv, setExitCode: (code) => (exitCode = code) };
  const json = argv.includes('--json');
  const cli = yargs([...argv])
    .scriptName('pconv-bench')
    .usage('$0 <command> [options]\n\nPaper-style benchmarks for partial-convolution inpainting, from one YAML file.')
    .option('json', { type: 'boolean', default: false, global: true, describe: 'newline-delimited JSON events on stdout (README: "JSON events")' })
    .command(runExperimentCommand(env))
    .command(masksCommand(env))
    .command(configCommand(env))
    .command(schemaCommand(env))
    .command(trainCommand(env))
    .command(inpaintCommand(env))
    .command(metricsCommand(env))
    .command(evalCommand(env))
    .command(reportCommand(env))
    .command(exportCommand(env))
    .command(checkCommand(env))
    .command(mergeCommand(env))
    .command(compareCommand(env))
    .command(benchCommand(env))
    .demandCommand(1, 'Name a command; `pconv-bench --help` lists them.')
    .recommendCommands()
    .strict()
    .help()
    .alias('h', 'help')
    .version(packageVersion())
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .epilogue('Exit codes: 0 ok, 1 user error, 2 internal error (a bug), 130 interrupted.')
    .check((args, options) => valueProblem(args, options, argv) ?? true, true)
    // yargs calls this for every usage problem (unknown option, missing argument, bad choice, conflict)
    // and then carries on to the command's handler unless it throws: so it must throw, and the
    // handler never starts. Errors yargs did not raise itself (a handler's) pass through as they are.
    .fail((message, error) => {
      if (error instanceof Error && error.name !== 'YError') throw error;
      throw new UserError('USAGE', message || (error instanceof Error ? error.message : '') || 'invalid command line', {
        hint: 'Run `pconv-bench --help`, or `pconv-bench <command> --help`.',
      });
    });
  try {
    await cli.parseAsync();
  } catch (error) {
    const { reportError } = await import('./run-command-handler.js');
    exitCode = reportError(new Output({ json }), error);
  }
  return exitCode;
}

/**
 * What yargs lets through: a number option that is not a number (`--workers abc` parses as NaN),
 * an option given without its value (`--out` alone parses as ''), a list option given with none.
 * Each would otherwise fall back to the default without a word.
 */
function valueProblem(
  args: Record<string, unknown>,
  options: { number?: string[]; string?: string[]; array?: string[] },
  argv: readonly string[],
): string | undefined {
  const given = (key: string) => argv.some((a) => a === `--${key}` || a.startsWith(`--${key}=`));
  for (const key of options.number ?? []) {
    const values = ([] as unknown[]).concat(args[key] ?? []);
    if (values.some((v) => typeof v === 'number' && Number.isNaN(v))) return `--${key} needs a number, got "${rawValue(argv, key) ?? ''}"`;
  }
  for (const key of options.string ?? []) {
    const value = args[key];
    if (value === '' || (Array.isArray(value) && value.includes(''))) return given(key) ? `--${key} needs a value` : `<${key}> is empty`;
  }
  for (const key of options.array ?? []) {
    const value = args[key];
    if (Array.isArray(value) && value.length === 0 && given(key)) return `--${key} needs at least one value`;
  }
  return undefined;
}

/** The text given for --key on the command line (`--key text` or `--key=text`), if any. */
function rawValue(argv: readonly string[], key: string): string | undefined {
  for (let i = argv.length - 1; i >= 0; i--) {
    const arg = argv[i] as string;
    if (arg.startsWith(`--${key}=`)) return arg.slice(key.length + 3);
    if (arg === `--${key}`) return argv[i + 1];
  }
  return undefined;
}
