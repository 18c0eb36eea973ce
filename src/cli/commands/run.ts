import type { CommandModule } from 'yargs';
import { RUN_STAGES } from '../../protocol/run-layout.js';
import { backendOption, inferenceOption, runDirOf, runOption } from '../common-options.js';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';

/** The `run` command: the whole experiment, stage by stage (src/pipeline/run-experiment.ts). */
export function runExperimentCommand(env: CommandEnv): CommandModule<GlobalArgs, object> {
  return defineCommand({
    ...env,
    name: 'run',
    command: 'run <config>',
    describe: 'The whole experiment: test masks, train PConv and the baseline (both phases), evaluate, report; resumable',
    builder: (y) =>
      y
        .positional('config', { type: 'string', demandOption: true, describe: 'experiment YAML file' })
        .option('run', runOption)
        .option('backend', backendOption)
        .option('inference', inferenceOption)
        .option('from', { choices: RUN_STAGES, describe: 'redo this stage and all later ones' })
        .option('only', { choices: RUN_STAGES, describe: 'run only this stage' })
        .option('workers', { type: 'number', describe: 'threads that score pairs in the eval stage (default: one per core; 0: the main thread)' })
        .conflicts('from', 'only'),
    run: async (args, ctx) => {
      const { loadConfig } = await import('../../core/config/load-config.js');
      const { UserError } = await import('../../core/errors.js');
      const { runExperiment } = await import('../../pipeline/run-experiment.js');
      const { runLayout } = await import('../../protocol/run-layout.js');
      const { formatResultsTable } = await import('../results-table.js');
      const { toolVersions } = await import('../version.js');
      const { file, config } = await loadConfig(args.config, ctx.cwd);
      if (!config.train)
        throw new UserError('TRAIN_NOT_CONFIGURED', `${file} has no train section`, {
          hint: 'Add train: with batchSize, phase1 and phase2 (see configs/demo.yaml).',
        });
      if (args.workers !== undefined && !(Number.isInteger(args.workers) && args.workers >= 0))
        throw new UserError('BAD_ARGUMENT', `--workers ${args.workers} is not a whole number of at least 0`, { hint: 'For example --workers 2.' });
      const runDir = runDirOf(args.run, config, ctx.cwd);
      const started = performance.now();
      const outcome = await runExperiment({
        config,
        configFile: file,
        runDir,
        backend: args.backend,
        inference: args.inference,
        from: args.from,
        only: args.only,
        evalWorkers: args.workers,
        versions: await toolVersions(),
        features: async () => (await import('../../core/model/feature-extractor-for.js')).featureExtractorFor(config),
        signal: ctx.signal,
        onEvent: ctx.output.onCoreEvent,
      });
      const seconds = (performance.now() - started) / 1000;
      ctx.output.info(`stages: ${outcome.stages.map((s) => `${s.stage} ${s.status}`).join(', ')} (${seconds.toFixed(0)} s)`);
      if (outcome.results) for (const line of formatResultsTable(outcome.results).split('\n')) ctx.output.info(line);
      if (outcome.report) ctx.output.info(`report: ${outcome.report}`);
      ctx.output.print(outcome.report ?? runDir);
      ctx.output.event({
        type: 'result',
        command: 'run',
        data: { runDir, stages: outcome.stages, report: outcome.report ?? null, results: runLayout(runDir).results, seconds },
      });
    },
  }) as CommandModule<GlobalArgs, object>;
}
