import type { CommandModule } from 'yargs';
import { runDirOf, runOption } from '../common-options.js';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';

export function exportCommand(env: CommandEnv): CommandModule<GlobalArgs, object> {
  return defineCommand({
    ...env,
    name: 'export',
    command: 'export <config>',
    describe: "Write the evaluation's test pairs as files other inpainting tools read (LaMa's layout or ours)",
    builder: (y) =>
      y
        .positional('config', { type: 'string', demandOption: true, describe: 'experiment YAML file' })
        .option('format', {
          choices: ['plain', 'lama'] as const,
          default: 'lama' as const,
          describe: 'lama: name.png + name_mask000.png, white = hole; plain: name_mask.png, black = hole',
        })
        .option('run', runOption)
        .option('out', { type: 'string', describe: 'output folder (default: <run>/export-<format>)' }),
    run: async (args, ctx) => {
      const { join, resolve } = await import('node:path');
      const { loadConfig } = await import('../../core/config/load-config.js');
      const { discoverSplits, summariseSkipped } = await import('../../core/data/image-list.js');
      const { exportPairs } = await import('../../eval/export-pairs.js');
      const { config } = await loadConfig(args.config, ctx.cwd);
      const runDir = runDirOf(args.run, config, ctx.cwd);
      const out = args.out ? resolve(ctx.cwd, args.out) : join(runDir, `export-${args.format}`);
      const { splits, skipped: notFollowed } = await discoverSplits(config.data, config.seed);
      const skipped = summariseSkipped(notFollowed);
      if (skipped) ctx.output.warn(skipped);
      const result = await exportPairs({ config, runDir, testFiles: splits.test, out, format: args.format, onEvent: ctx.output.onCoreEvent });
      ctx.output.print(
        `${result.count} pairs in ${result.out} (${args.format}); score another tool's outputs with: pconv-bench eval ${args.config} --predictions <its output folder> --name <label>`,
      );
      ctx.output.event({ type: 'result', command: 'export', data: { out: result.out, count: result.count, format: args.format } });
    },
  }) as CommandModule<GlobalArgs, object>;
}
