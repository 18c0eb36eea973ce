import type { CommandModule } from 'yargs';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';

export function mergeCommand(env: CommandEnv): CommandModule<GlobalArgs, object> {
  return defineCommand({
    ...env,
    name: 'merge',
    command: 'merge <runDirs..>',
    describe: 'Join the mask shards of several run folders (masks --shard i/n) into one set, identical to an unsharded run',
    builder: (y) =>
      y
        .positional('runDirs', { type: 'string', array: true, demandOption: true, describe: 'run folders, one per shard' })
        .option('out', { type: 'string', demandOption: true, describe: 'run folder that receives the merged set' }),
    run: async (args, ctx) => {
      const { join, resolve } = await import('node:path');
      const { mergeMaskShards } = await import('../../core/masks/merge-mask-shards.js');
      const { formatMaskSummary } = await import('../mask-summary.js');
      const out = resolve(ctx.cwd, args.out);
      const manifest = await mergeMaskShards(
        (args.runDirs as string[]).map((d) => resolve(ctx.cwd, d)),
        out,
      );
      ctx.output.print(formatMaskSummary(manifest, join(out, 'masks')));
      ctx.output.event({ type: 'result', command: 'merge', data: { out, masks: manifest.masks.length } });
    },
  }) as CommandModule<GlobalArgs, object>;
}
