import yargs from 'yargs';
import { benchCommand } from './commands/bench.js';
import { checkCommand } from './commands/check.js';
import { configCommand } from './commands/config.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { inpaintCommand } from './commands/inpaint.js';
import { masksCommand } from './commands/masks.js';
import { mergeCommand } from './commands/merge.js';
import { metricsCommand } from './commands/metrics.js';
import { reportCommand } from './commands/report.js';
import { runCommand as runExperimentCommand } from './commands/run.js';
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
    .fail((message, error) => {
      if (error) throw error;
      const output = new Output({ json });
      output.event({
        type: 'error',
        code: 'USAGE',
        message: message ?? 'invalid command line',
        details: [],
        hint: 'Run `pconv-bench --help`, or `pconv-bench <command> --help`.',
      });
      exitCode = ExitCode.userError;
    });
  try {
    await cli.parseAsync();
  } catch (error) {
    const { reportError } = await import('./run-command.js');
    exitCode = reportError(new Output({ json }), error);
  }
  return exitCode;
}
