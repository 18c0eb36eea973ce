import type { CommandModule } from 'yargs';
import { backendOption, inferenceOption, runDirOf, runOption } from '../common-options.js';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';

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
        .option('inference', inferenceOption),
    run: async (args, ctx) => {
      const { join, resolve } = await import('node:path');
      const tf = await import('@tensorflow/tfjs');
      const { loadConfig } = await import('../../core/config/load-config.js');
      const { trainingConfigHash } = await import('../../core/config/config-hash.js');
      const { discoverImages, splitImages, summariseSkipped } = await import('../../core/data/image-list.js');
      const { setupBackend } = await import('../../core/engine/backend.js');
      const { wasmThreadsForModel } = await import('../../core/engine/wasm-threads.js');
      const { writeFileAtomic } = await import('../../core/io/atomic.js');
      const { evaluateRun } = await import('../../eval/evaluate.js');
      const { ResultsSchema } = await import('../../protocol/results.js');
      const { formatResultsTable } = await import('../results-table.js');
      const { packageVersion } = await import('../version.js');
      const { UserError } = await import('../../core/errors.js');
      const { config } = await loadConfig(args.config, ctx.cwd);
      const predictions = args.predictions ?? [];
      const names = args.name ?? [];
      if (predictions.length !== names.length) {
        throw new UserError('BAD_ARGUMENT', `${predictions.length} --predictions folders but ${names.length} --name labels`, {
          hint: 'Give every --predictions folder a --name, in the same order.',
        });
      }
      const runDir = runDirOf(args.run, config, ctx.cwd);
      const backend = await setupBackend(args.backend, { wasmThreads: wasmThreadsForModel(config.model) });
      const images = await discoverImages(config.data);
      const skipped = summariseSkipped(images.skipped);
      if (skipped) ctx.output.warn(skipped);
      const splits = splitImages(images.files, config.data, config.seed);
      for (const [name, value, least] of [
        ['--workers', args.workers, 0],
        ['--batch', args.batch, 1],
      ] as const) {
        if (value !== undefined && !(Number.isInteger(value) && value >= least))
          throw new UserError('BAD_ARGUMENT', `${name} ${value} is not a whole number of at least ${least}`, { hint: `For example ${name} ${least + 1}.` });
      }
      const evalOptions = {
        config,
        configHash: trainingConfigHash(config),
        runDir,
        backend,
        testFiles: splits.test,
        versions: { 'pconv-bench': packageVersion(), tfjs: tf.version.tfjs, node: process.version },
        external: predictions.map((dir, i) => ({ dir: resolve(ctx.cwd, dir), name: names[i] as string })),
        classical: args.classical,
        engine: args.inference,
        workers: args.workers,
        batchSize: args.batch,
        restart: args.restart,
        signal: ctx.signal,
        onEvent: ctx.output.onCoreEvent,
      };
      if (args.shard !== undefined) {
        const { parseShard } = await import('../shard-option.js');
        const { scoreRun } = await import('../../eval/evaluate.js');
        const { writeEvalShard } = await import('../../eval/eval-shards.js');
        const shard = parseShard(args.shard);
        const shardPath = await writeEvalShard(runDir, await scoreRun({ ...evalOptions, shard }), shard);
        ctx.output.print(`evaluation shard ${shard.index}/${shard.count}: ${shardPath}; join all shards with pconv-bench merge <run dirs...> --out <dir>`);
        ctx.output.event({ type: 'result', command: 'eval', data: { shard: shardPath } });
        return;
      }
      const results = ResultsSchema.parse(await evaluateRun(evalOptions));
      const path = join(runDir, 'results.json');
      await writeFileAtomic(path, `${JSON.stringify(results, null, 1)}\n`);
      ctx.output.print(`${formatResultsTable(results)}\nresults: ${path}`);
      ctx.output.event({ type: 'result', command: 'eval', data: { results: path, models: results.models.map((m) => m.name), pairs: results.images.pairs } });
    },
  }) as CommandModule<GlobalArgs, object>;
}
