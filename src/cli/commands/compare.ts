import type { CommandModule } from 'yargs';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';

/** The `compare` command: several evaluated runs on the pairs they share (src/pipeline/compare-run-folders.ts). */
export function compareCommand(env: CommandEnv): CommandModule<GlobalArgs, object> {
  return defineCommand({
    ...env,
    name: 'compare',
    command: 'compare <runDirs..>',
    describe: 'Compare evaluated runs (configs, seeds, published models) on the pairs they share: one HTML page and compare.json',
    builder: (y) =>
      y
        .positional('runDirs', { type: 'string', array: true, demandOption: true, describe: 'evaluated run folders (two or more)' })
        .option('out', { type: 'string', demandOption: true, describe: 'folder that receives index.html and compare.json' }),
    run: async (args, ctx) => {
      const { resolve } = await import('node:path');
      const { compareRunFolders } = await import('../../pipeline/compare-run-folders.js');
      const runDirs = (args.runDirs as string[]).map((d) => resolve(ctx.cwd, d));
      const { compare, page, json } = await compareRunFolders({ runDirs, out: resolve(ctx.cwd, args.out) });
      for (const note of compare.notes) ctx.output.info(`note: ${note}`);
      const seeds = compare.seedGroups.map((g) => `seeds: ${g.runs.join(', ')} differ only in their seed`);
      ctx.output.info(
        `compared ${compare.runs.map((r) => r.name).join(', ')} on ${compare.sharedPairs} shared pairs${seeds.length > 0 ? `; ${seeds.join('; ')}` : ''}`,
      );
      ctx.output.print(`compare: ${page}\ncompare.json: ${json}`);
      ctx.output.event({
        type: 'result',
        command: 'compare',
        data: { page, json, runs: compare.runs.map((r) => ({ name: r.name, dir: r.dir })), sharedPairs: compare.sharedPairs, notes: compare.notes },
      });
    },
  }) as CommandModule<GlobalArgs, object>;
}
