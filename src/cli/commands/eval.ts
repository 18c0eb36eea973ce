import type { CommandModule } from 'yargs';
import { backendOption, inferenceOption, runDirOf, runOption } from '../common-options.js';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';
import { modelOptionProblem, parseModelOption } from '../model-option.js';

export function evalCommand(env: CommandEnv): CommandModule<GlobalArgs, object> {
  return defineCommand({
    ...env,
    name: 'eval',
    command: 'eval <config>',
    describe: 'Score every trained model of a run on the test images x the test masks, per bin and border subset',
    builder: (y) =>
      y
        .positional('config', { type: 'string', demandOption: true, describe: 'experiment YAML file' })
        .option('run', runOption)
        .option('predictions', { type: 'string', array: true, describe: "another tool's outputs for the exported pairs (pconv-bench export); repeatable" })
        .option('name', { type: 'string', array: true, describe: 'label of each --predictions folder in the results, in the same order' })
        .option('model', {
          type: 'string',
          array: true,
          describe: "a published model to score too, NAME=FORMAT:FILE (FORMAT: pconv-keras-h5 or pytorch-pconv); repeatable, adds to the config's models:",
        })
        .option('classical', { type: 'boolean', default: true, describe: "score OpenCV's Telea too (--no-classical to skip)" })
        .option('shard', {
          type: 'string',
          describe:
            'i/n: score only pairs k with k mod n = i into eval-shard.json; auto: take i and n from PCONV_SHARD=i/n, a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, PCONV_SHARD_COUNT) or a Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT); join the shards with pconv-bench merge',
        })
        .option('workers', { type: 'number', describe: 'threads that composite, run Telea and score pairs (default: one per core; 0: the main thread)' })
        .option('batch', { type: 'number', default: 4, describe: 'pairs per inference call (results do not depend on it; memory grows with it)' })
        .option('restart', { type: 'boolean', default: false, describe: 'forget the per-pair scores kept in <run>/scores and score every pair again' })
        .option('backend', backendOption)
        .option('inference', inferenceOption)
        // A malformed --model is a usage error: nothing starts.
        .check((args) => (args.model ?? []).map((value) => modelOptionProblem(value)).find((problem) => problem !== undefined) ?? true),
    run: async (args, ctx) => {
      const { resolve } = await import('node:path');
      const { loadConfig } = await import('../../core/config/load-config.js');
      const { runStages } = await import('../../pipeline/run-stages.js');
      const { runLayout } = await import('../../protocol/run-layout.js');
      const { formatResultsTable } = await import('../results-table.js');
      const { toolVersions } = await import('../version.js');
      const { UserError } = await import('../../core/errors.js');
      const { publishedModelsOf } = await import('../../eval/published-models.js');
      const published = (args.model ?? []).map((value) => parseModelOption(value, ctx.cwd));
      const { file, config } = await loadConfig(args.config, ctx.cwd);
      publishedModelsOf(config, published);
      const predictions = args.predictions ?? [];
      const names = args.name ?? [];
      if (predictions.length !== names.length) {
        throw new UserError('BAD_ARGUMENT', `${predictions.length} --predictions folders but ${names.length} --name labels`, {
          hint: 'Give every --predictions folder a --name, in the same order.',
        });
      }
      for (const [name, value, least] of [
        ['--workers', args.workers, 0],
        ['--batch', args.batch, 1],
      ] as const) {
        if (value !== undefined && !(Number.isInteger(value) && value >= least))
          throw new UserError('BAD_ARGUMENT', `${name} ${value} is not a whole number of at least ${least}`, { hint: `For example ${name} ${least + 1}.` });
      }
      let shard: { index: number; count: number } | undefined;
      if (args.shard !== undefined) shard = (await import('../shard-option.js')).parseShard(args.shard);
      const runDir = runDirOf(args.run, config, ctx.cwd);
      const outcome = await runStages({
        command: 'eval',
        runDir,
        config,
        configFile: file,
        backend: args.backend,
        stages: ['eval'],
        existingRunDir: true,
        // Another tool's outputs, or a shard, are scored whenever asked (kept per-pair scores still count).
        force: args.restart || shard || predictions.length > 0 ? ['eval'] : [],
        options: {
          eval: {
            engine: args.inference,
            workers: args.workers,
            batchSize: args.batch,
            classical: args.classical,
            external: predictions.map((dir, i) => ({ dir: resolve(ctx.cwd, dir), name: names[i] as string })),
            published,
            shard,
            restart: args.restart,
          },
        },
        versions: await toolVersions(),
        signal: ctx.signal,
        onEvent: ctx.output.onCoreEvent,
      });
      const { evalShard } = outcome.products;
      if (shard && evalShard) {
        ctx.output.print(`evaluation shard ${shard.index}/${shard.count}: ${evalShard}; join all shards with pconv-bench merge <run dirs...> --out <dir>`);
        ctx.output.event({ type: 'result', command: 'eval', data: { shard: evalShard } });
        return;
      }
      const path = runLayout(runDir).results;
      const { readResults } = await import('../../eval/report/write-report.js');
      const results = outcome.products.results ?? (await readResults(path));
      ctx.output.print(`${formatResultsTable(results)}\nresults: ${path}`);
      ctx.output.event({ type: 'result', command: 'eval', data: { results: path, models: results.models.map((m) => m.name), pairs: results.images.pairs } });
    },
  }) as CommandModule<GlobalArgs, object>;
}
