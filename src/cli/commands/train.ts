import type { CommandModule } from 'yargs';
import type { CommandContext } from '../command-context.js';
import { backendOption, runDirOf, runOption } from '../common-options.js';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';

interface TrainArgs {
  config: string;
  model: 'pconv' | 'baseline' | 'all';
  phase?: number;
  resume: boolean;
  restart: boolean;
  backend: (typeof backendOption.choices)[number];
  run?: string;
}

export function trainCommand(env: CommandEnv): CommandModule<GlobalArgs, object> {
  return defineCommand({
    ...env,
    name: 'train',
    command: 'train <config>',
    describe: 'Train the PConv UNet and the ordinary-convolution baseline through both phases',
    builder: (y) =>
      y
        .positional('config', { type: 'string', demandOption: true, describe: 'experiment YAML file' })
        .option('model', { choices: ['pconv', 'baseline', 'all'] as const, default: 'all' as const, describe: 'which model to train' })
        .option('phase', { type: 'number', choices: [1, 2], describe: 'run only this phase (default: both)' })
        .option('resume', { type: 'boolean', default: false, describe: 'continue from the latest checkpoint' })
        .option('restart', { type: 'boolean', default: false, describe: "delete the model's checkpoints and start over" })
        .option('backend', backendOption)
        .option('run', runOption),
    run: (args, ctx) => train(args as TrainArgs, ctx),
  }) as CommandModule<GlobalArgs, object>;
}

async function train(args: TrainArgs, ctx: CommandContext): Promise<void> {
  const { UserError } = await import('../../core/errors.js');
  const { loadConfig } = await import('../../core/config/load-config.js');
  const { runStages } = await import('../../pipeline/run-stages.js');
  const { toolVersions } = await import('../version.js');
  if (args.resume && args.restart) throw new UserError('BAD_ARGUMENT', '--resume and --restart contradict each other', { hint: 'Pass one of them.' });
  const { file, config } = await loadConfig(args.config, ctx.cwd);
  if (!config.train)
    throw new UserError('TRAIN_NOT_CONFIGURED', `${file} has no train section`, {
      hint: 'Add train: with batchSize, phase1 and phase2 (see configs/demo.yaml).',
    });
  const runDir = runDirOf(args.run, config, ctx.cwd);
  const stages =
    args.model === 'all' ? (['train-pconv', 'train-conv'] as const) : args.model === 'baseline' ? (['train-conv'] as const) : (['train-pconv'] as const);
  // Without a flag a finished training is up to date and an unfinished one is refused (trainModel
  // says how to go on); --resume, --restart and --phase ask for the work itself.
  const forced = args.resume || args.restart || args.phase !== undefined;
  const outcome = await runStages({
    command: 'train',
    runDir,
    config,
    configFile: file,
    backend: args.backend,
    features: async () => {
      const { featureExtractorFor } = await import('../../core/model/feature-extractor-for.js');
      const features = await featureExtractorFor(config);
      if (features) ctx.output.info(`VGG16 features from ${config.loss.vgg?.weights} (${config.loss.vgg?.preprocessing} preprocessing)`);
      else ctx.output.info('perceptual and style terms off (weights 0): no VGG16 needed');
      return features;
    },
    stages,
    force: forced ? stages : [],
    options: { train: { phases: args.phase === undefined ? undefined : [args.phase as 1 | 2], resume: args.resume, restart: args.restart } },
    versions: await toolVersions(),
    signal: ctx.signal,
    onEvent: ctx.output.onCoreEvent,
  });
  const backend = outcome.backend;
  if (backend)
    ctx.output.info(
      `backend: ${backend.name} (${backend.version}) on ${backend.device}${backend.notes.length ? `; skipped: ${backend.notes.join('; ')}` : ''}`,
    );
  const results = outcome.products.training ?? [];
  for (const s of outcome.stages)
    if (s.status === 'up to date') ctx.output.print(`${s.stage === 'train-conv' ? 'baseline' : 'pconv'}: up to date (trained with this config and data)`);
  for (const result of results) {
    ctx.output.print(
      `${result.kind === 'conv' ? 'baseline' : result.kind}: ${result.step} steps in ${result.seconds.toFixed(1)} s; last loss ${result.lastLosses?.total.toFixed(4) ?? '-'} (valid ${result.lastLosses?.valid.toFixed(4) ?? '-'}, hole ${result.lastLosses?.hole.toFixed(4) ?? '-'}); checkpoint ${result.checkpoint}`,
    );
  }
  ctx.output.event({
    type: 'result',
    command: 'train',
    data: { runDir, backend: backend ? { name: backend.name, version: backend.version, device: backend.device } : null, models: results },
  });
}
