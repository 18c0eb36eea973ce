import type { CommandModule } from 'yargs';
import type { BenchResult, VerifyResult } from '../../protocol/bench.js';
import type { CommandContext } from '../command-context.js';
import { backendOption, inferenceOption } from '../common-options.js';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';

interface BenchArgs {
  backend: (typeof backendOption.choices)[number];
  inference: (typeof inferenceOption.choices)[number];
  size: number;
  batch: number;
  loss: 'l1' | 'full';
  warmup: number;
  repeats: number;
  levels?: number;
  baseChannels: number;
  maxChannels: number;
  head: 'none' | 'sigmoid';
  seed: number;
  vggWeights?: string;
  verify: boolean;
}

/** `pconv-bench bench`: training and inference speed of the PConv UNet on one backend (BENCHMARKS.md, issue 7). */
export function benchCommand(env: CommandEnv): CommandModule<GlobalArgs, object> {
  return defineCommand({
    ...env,
    name: 'bench',
    command: 'bench',
    describe: 'Training steps/s, images/s, inference images/s and peak memory of the PConv UNet on a backend',
    builder: (y) =>
      y
        .option('backend', backendOption)
        .option('inference', inferenceOption)
        .option('size', { type: 'number', default: 64, describe: 'image side in px' })
        .option('batch', { type: 'number', default: 4, describe: 'images per training step and per inference batch' })
        .option('loss', {
          choices: ['l1', 'full'] as const,
          default: 'l1' as const,
          describe: 'l1: valid + 6 x hole; full: eq. 7 with VGG16 perceptual and style terms',
        })
        .option('warmup', { type: 'number', default: 2, describe: 'untimed steps first (kernel set-up, allocator growth)' })
        .option('repeats', { type: 'number', default: 5, describe: 'timed steps; figures are their median' })
        .option('levels', { type: 'number', describe: 'UNet depth (default: the paper rule, a 2x2 bottleneck: 5 at 64 px, 8 at 512)' })
        .option('base-channels', { type: 'number', default: 64, describe: 'channels of the first encoder layer (paper: 64)' })
        .option('max-channels', { type: 'number', default: 512, describe: 'channel cap of the deeper layers (paper: 512)' })
        .option('head', { choices: ['none', 'sigmoid'] as const, default: 'none' as const, describe: 'output head (paper: none)' })
        .option('seed', { type: 'number', default: 0, describe: 'seed of the weights and the synthetic batch' })
        .option('vgg-weights', { type: 'string', describe: 'VGG16 weights file for --loss full (default: random weights of the same shapes: same FLOPs)' })
        .option('verify', { type: 'boolean', default: false, describe: 'also compare outputs, losses and gradients with the cpu backend at a small size' }),
    // yargs adds camelCase names (baseChannels) for the kebab-case flags at run time.
    run: (args, ctx) => bench(args as unknown as BenchArgs, ctx),
  }) as CommandModule<GlobalArgs, object>;
}

async function bench(args: BenchArgs, ctx: CommandContext): Promise<void> {
  const { resolve } = await import('node:path');
  const { UserError } = await import('../../core/errors.js');
  const { setupBackend } = await import('../../core/engine/backend.js');
  const { benchConfig, VERIFY_BATCH, verifySize } = await import('../../bench/bench-config.js');
  const { benchFeatures } = await import('../../bench/bench-features.js');
  const { runBenchmark } = await import('../../bench/run-benchmark.js');
  for (const [flag, value, min] of [
    ['--warmup', args.warmup, 0],
    ['--repeats', args.repeats, 1],
    ['--seed', args.seed, 0],
  ] as const) {
    if (!(Number.isInteger(value) && value >= min))
      throw new UserError('BAD_ARGUMENT', `${flag} must be an integer >= ${min}, not ${value}`, { hint: `Pass e.g. ${flag} ${min + 2}.` });
  }
  const modelArgs = {
    size: args.size,
    batch: args.batch,
    loss: args.loss,
    levels: args.levels,
    baseChannels: args.baseChannels,
    maxChannels: args.maxChannels,
    head: args.head,
    seed: args.seed,
    vggWeights: args.vggWeights === undefined ? undefined : resolve(ctx.cwd, args.vggWeights),
  };
  if (args.vggWeights !== undefined && args.loss !== 'full')
    throw new UserError('BAD_ARGUMENT', '--vgg-weights only matters with --loss full', { hint: 'Add --loss full, or drop --vgg-weights.' });
  const config = benchConfig(modelArgs);
  const backend = await setupBackend(args.backend, { model: config.model });
  if (args.verify && backend.reference)
    throw new UserError('BAD_ARGUMENT', '--verify compares a backend with the cpu backend; on cpu it would compare cpu with itself', {
      hint: 'Drop --verify, or bench another backend (--backend wasm).',
    });
  ctx.output.info(`backend: ${backend.name} (${backend.version}) on ${backend.device}`);
  const features = await benchFeatures(config, args.seed);
  if (features.description) ctx.output.info(`full loss: ${features.description}`);
  let result: BenchResult;
  try {
    ctx.output.info(
      `PConv UNet ${config.model.levels} levels, ${config.model.baseChannels}..${config.model.maxChannels} channels, ${args.size}x${args.size}, batch ${args.batch}, loss ${args.loss}: ${args.warmup} warm-up + ${args.repeats} timed steps`,
    );
    result = await runBenchmark({
      config,
      backend,
      warmup: args.warmup,
      repeats: args.repeats,
      features: features.extractor,
      vgg: features.description,
      inference: args.inference,
      signal: ctx.signal,
      onEvent: ctx.output.onCoreEvent,
    });
  } finally {
    features.extractor?.dispose();
  }
  let verify: VerifyResult | undefined;
  if (args.verify) {
    const { verifyAgainstCpu } = await import('../../bench/verify-backend.js');
    const small = benchConfig({ ...modelArgs, size: verifySize(config.model.levels), batch: VERIFY_BATCH });
    verify = await verifyAgainstCpu({
      config: small,
      backend: backend.name,
      makeFeatures: () => benchFeatures(small, args.seed),
      inference: args.inference,
      onEvent: ctx.output.onCoreEvent,
    });
  }
  const { formatBenchResult, formatVerifyResult } = await import('../../bench/format-bench.js');
  ctx.output.print(formatBenchResult(result));
  if (verify) ctx.output.print(formatVerifyResult(verify));
  ctx.output.event({ type: 'result', command: 'bench', data: { ...result, ...(verify ? { verify } : {}) } });
  if (verify && !verify.ok) {
    const failed = verify.checks.filter((c) => !c.ok);
    throw new UserError('VERIFY_FAILED', `backend ${backend.name} disagrees with the cpu backend beyond tolerance`, {
      details: failed.map((c) => `${c.name}: max relative difference ${c.maxRelativeDifference.toExponential(2)} at ${c.worst} (tolerance ${c.tolerance})`),
      hint: `Do not trust ${backend.name}'s figures or training results; train with --backend cpu meanwhile and report this output.`,
    });
  }
}
