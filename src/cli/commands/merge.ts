import type { CommandModule } from 'yargs';
import type { CommandContext } from '../command-context.js';
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
      const { resolve } = await import('node:path');
      const { runLayout } = await import('../../protocol/run-layout.js');
      const out = resolve(ctx.cwd, args.out);
      const dirs = (args.runDirs as string[]).map((d) => resolve(ctx.cwd, d));
      const evalShards = dirs.filter((d) => existsSync(runLayout(d).evalShard)).length;
      // The folder that receives the merge is a run folder like any other: no command may write there meanwhile.
      const { lockRunDir } = await import('../../pipeline/run-lock.js');
      const release = await lockRunDir(out, 'merge', (message) => ctx.output.warn(message));
      try {
        await merge(dirs, out, evalShards, ctx);
      } finally {
        await release();
      }
    },
  }) as CommandModule<GlobalArgs, object>;
}

async function merge(dirs: string[], out: string, evalShards: number, ctx: CommandContext): Promise<void> {
  const { UserError } = await import('../../core/errors.js');
  const { runLayout } = await import('../../protocol/run-layout.js');
  const { mergeEvalShards } = await import('../../eval/eval-shards.js');
  if (evalShards === dirs.length) {
    const { formatResultsTable } = await import('../results-table.js');
    const results = await mergeEvalShards(dirs, out);
    ctx.output.print(`${formatResultsTable(results)}\nresults: ${runLayout(out).results}\nreport: ${runLayout(out).report}`);
    ctx.output.event({ type: 'result', command: 'merge', data: { out, results: runLayout(out).results, report: runLayout(out).report } });
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
  ctx.output.print(formatMaskSummary(manifest, runLayout(out).masksDir));
  ctx.output.event({ type: 'result', command: 'merge', data: { out, masks: manifest.masks.length } });
}
