import type { CommandModule } from 'yargs';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';

export function reportCommand(env: CommandEnv): CommandModule<GlobalArgs, object> {
  return defineCommand({
    ...env,
    name: 'report',
    command: 'report <runDir>',
    describe: "Write the run's HTML report (index.html, self-contained) from its results.json",
    builder: (y) => y.positional('runDir', { type: 'string', demandOption: true, describe: 'run folder holding results.json' }),
    run: async (args, ctx) => {
      const { resolve } = await import('node:path');
      const { writeReport } = await import('../../eval/report/write-report.js');
      const report = await writeReport(resolve(ctx.cwd, args.runDir));
      ctx.output.print(`report: ${report.path}`);
      ctx.output.event({ type: 'result', command: 'report', data: { report: report.path, charts: report.charts } });
    },
  }) as CommandModule<GlobalArgs, object>;
}
