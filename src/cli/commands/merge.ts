import type { CommandModule } from 'yargs';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';

export function mergeCommand(env: CommandEnv): CommandModule<GlobalArgs, object> {
  return defineCommand({
    ...env,
    name: 'merge',
    command: 'merge <runDirs..>',
    describe: 'Join the shards of several run folders (masks --shard i/n, eval --shard i/n) into one, identical to an unsharded run',
    builder: (y) =>
      y
        .positional('runDirs', { type: 'string', array: true, demandOption: true, describe: 'run folders, one per shard' })
        .option('out', { type: 'string', demandOption: true, describe: 'run folder that receives the merged set' }),
    run: async (args, ctx) => {
      const { existsSync } = await import('node:fs');
      const { join, resolve } = await import('node:path');
      const { UserError } = await import('../../core/errors.js');
      const { EVAL_SHARD_FILE, mergeEvalShards } = await import('../../eval/eval-shards.js');
      const out = resolve(ctx.cwd, args.out);
      const dirs = (args.runDirs as string[]).map((d) => resolve(ctx.cwd, d));
      const evalShards = dirs.filter((d) => existsSync(join(d, EVAL_SHARD_FILE))).length;
      if (evalShards === dirs.length) {
        const { formatResultsTable } = await import('../results-table.js');
        const results = await mergeEvalShards(dirs, out);
        ctx.output.print(`${formatResultsTable(results)}\nresults: ${join(out, 'results.json')}\nreport: ${join(out, 'index.html')}`);
        ctx.output.event({ type: 'result', command: 'merge', data: { out, results: join(out, 'results.json'), report: join(out, 'index.html') } });
        return;
      }
      if (evalShards > 0) {
        throw new UserError('MERGE_MIXED', 'some folders hold evaluation shards and some do not', {
          hint: 'Merge the evaluation shards of one evaluation, or the mask shards of one set.',
        });
      }
      const { mergeMaskShards } = await import('../../core/masks/merge-mask-shards.js');
      const { formatMaskSummary } = await import('../mask-summary.js');
      const manifest = await mergeMaskShards(dirs, out);
      ctx.output.print(formatMaskSummary(manifest, join(out, 'masks')));
      ctx.output.event({ type: 'result', command: 'merge', data: { out, masks: manifest.masks.length } });
    },
  }) as CommandModule<GlobalArgs, object>;
}
