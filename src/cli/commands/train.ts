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
  const { join } = await import('node:path');
  const { UserError } = await import('../../core/errors.js');
  const { loadConfig } = await import('../../core/config/load-config.js');
  const { trainingConfigHash } = await import('../../core/config/config-hash.js');
  const { discoverImages, splitImages, summariseSkipped } = await import('../../core/data/image-list.js');
  const { setupBackend } = await import('../../core/engine/backend.js');
  const { wasmThreadsForModel } = await import('../../core/engine/wasm-threads.js');
  const { trainModel } = await import('../../core/train/trainer.js');
  const { writeFileAtomic } = await import('../../core/io/atomic.js');
  const { packageVersion } = await import('../version.js');
  if (args.resume && args.restart) throw new UserError('BAD_ARGUMENT', '--resume and --restart contradict each other', { hint: 'Pass one of them.' });
  const { file, config } = await loadConfig(args.config, ctx.cwd);
  if (!config.train)
    throw new UserError('TRAIN_NOT_CONFIGURED', `${file} has no train section`, {
      hint: 'Add train: with batchSize, phase1 and phase2 (see configs/demo.yaml).',
    });
  const runDir = runDirOf(args.run, config, ctx.cwd);
  const backend = await setupBackend(args.backend, { wasmThreads: wasmThreadsForModel(config.model) });
  ctx.output.info(`backend: ${backend.name} (${backend.version}) on ${backend.device}${backend.notes.length ? `; skipped: ${backend.notes.join('; ')}` : ''}`);
  const images = await discoverImages(config.data);
  const skipped = summariseSkipped(images.skipped);
  if (skipped) ctx.output.warn(skipped);
  const splits = splitImages(images.files, config.data, config.seed);
  ctx.output.info(`images: ${splits.train.length} train, ${splits.validation.length} validation, ${splits.test.length} test`);
  const { featureExtractorFor } = await import('../../core/model/feature-extractor-for.js');
  const features = await featureExtractorFor(config);
  if (features) ctx.output.info(`VGG16 features from ${config.loss.vgg?.weights} (${config.loss.vgg?.preprocessing} preprocessing)`);
  else ctx.output.info('perceptual and style terms off (weights 0): no VGG16 needed');
  const kinds = args.model === 'all' ? (['pconv', 'conv'] as const) : args.model === 'baseline' ? (['conv'] as const) : (['pconv'] as const);
  const results = [];
  for (const kind of kinds) {
    const result = await trainModel({
      config,
      configHash: trainingConfigHash(config),
      kind,
      runDir,
      backend,
      trainFiles: splits.train,
      validationFiles: splits.validation,
      phases: args.phase === undefined ? undefined : [args.phase as 1 | 2],
      resume: args.resume,
      restart: args.restart,
      features,
      signal: ctx.signal,
      onEvent: ctx.output.onCoreEvent,
    });
    results.push(result);
    ctx.output.print(
      `${kind === 'conv' ? 'baseline' : kind}: ${result.step} steps in ${result.seconds.toFixed(1)} s; last loss ${result.lastLosses?.total.toFixed(4) ?? '-'} (valid ${result.lastLosses?.valid.toFixed(4) ?? '-'}, hole ${result.lastLosses?.hole.toFixed(4) ?? '-'}); checkpoint ${result.checkpoint}`,
    );
  }
  features?.dispose();
  const { vgg, ...lossWeights } = config.loss;
  const summary = {
    version: packageVersion(),
    config: file,
    backend,
    // Recorded so a report can say when the perceptual and style terms were off (no VGG16 weights).
    loss: { ...lossWeights, vgg: vgg ? { weights: vgg.weights, preprocessing: vgg.preprocessing } : null },
    finishedAt: new Date().toISOString(),
    models: results,
  };
  await writeFileAtomic(join(runDir, 'training.json'), `${JSON.stringify(summary, null, 1)}\n`);
  ctx.output.event({
    type: 'result',
    command: 'train',
    data: { runDir, backend: { name: backend.name, version: backend.version, device: backend.device }, models: results },
  });
}
