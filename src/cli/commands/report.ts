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
      const { runStages } = await import('../../pipeline/run-stages.js');
      const { packageVersion } = await import('../version.js');
      // Always written afresh when asked: cheap, and the way to see a newer pconv-bench's report.
      const outcome = await runStages({
        command: 'report',
        runDir: resolve(ctx.cwd, args.runDir),
        stages: ['report'],
        existingRunDir: true,
        force: ['report'],
        versions: { 'pconv-bench': packageVersion(), node: process.version },
        signal: ctx.signal,
        onEvent: ctx.output.onCoreEvent,
      });
      const report = outcome.products.report;
      if (!report) throw new Error('the report stage ran but wrote no report');
      ctx.output.print(`report: ${report.path}\npairs: ${report.pairs}`);
      ctx.output.event({ type: 'result', command: 'report', data: { report: report.path, pairs: report.pairs, charts: report.charts } });
    },
  }) as CommandModule<GlobalArgs, object>;
}
