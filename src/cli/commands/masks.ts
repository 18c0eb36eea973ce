import type { CommandModule } from 'yargs';
import type { CommandContext } from '../command-context.js';
import { runDirOf } from '../common-options.js';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';

export function masksCommand(env: CommandEnv): CommandModule<GlobalArgs, object> {
  return {
    command: 'masks',
    describe: 'Make the test mask set of a config, or import an external one',
    builder: (y) =>
      y
        .command(
          defineCommand({
            ...env,
            name: 'masks',
            command: '$0 <config>',
            describe: 'Generate the binned test masks of a config under <out>/masks/',
            builder: (y) =>
              y
                .positional('config', { type: 'string', demandOption: true, describe: 'experiment YAML file' })
                .option('out', { type: 'string', describe: 'output folder (default: <output.dir>/<name>)' })
                .option('force', { type: 'boolean', default: false, describe: 'replace a mask set made with other settings' })
                .option('workers', { type: 'number', describe: 'worker threads (default: one per core; 0 = none)' })
                .option('shard', {
                  type: 'string',
                  describe:
                    'i/n: draw only shard i of n (0-based), e.g. one job of a CI matrix; auto: take i and n from PCONV_SHARD=i/n, a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, PCONV_SHARD_COUNT) or a Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT); join the shards with pconv-bench merge',
                }),
            run: (args, ctx) => generate(args, ctx),
          }),
        )
        .command(
          defineCommand({
            ...env,
            name: 'masks import',
            command: 'import <dir>',
            describe: "Import an external mask set (e.g. NVIDIA's irregular masks) with its bins and border subsets",
            builder: (y) =>
              y
                .positional('dir', { type: 'string', demandOption: true, describe: 'folder of mask images' })
                .option('polarity', {
                  choices: ['hole-white', 'hole-black'] as const,
                  demandOption: true,
                  describe: 'which colour is the hole in these files (NVIDIA and LaMa: hole-white)',
                })
                .option('config', { type: 'string', describe: 'experiment YAML whose bins, bin rule, border margin and image size to use' })
                .option('out', { type: 'string', describe: 'output folder (default: <output.dir>/<name> of --config)' })
                .option('threshold', { type: 'number', default: 0.5, describe: 'grey level in [0, 1] that separates black from white' })
                .option('force', { type: 'boolean', default: false, describe: 'replace an existing mask set' })
                .option('allow-mostly-holes', { type: 'boolean', default: false, describe: 'import even if most masks are more than half hole' }),
            run: (args, ctx) => importSet({ ...args, allowMostlyHoles: args['allow-mostly-holes'] }, ctx),
          }),
        )
        .demandCommand(1),
    handler: () => {},
  };
}

async function generate(args: { config: string; out?: string; force: boolean; workers?: number; shard?: string }, ctx: CommandContext): Promise<void> {
  const { resolve } = await import('node:path');
  const { loadConfig } = await import('../../core/config/load-config.js');
  const { runStages } = await import('../../pipeline/run-stages.js');
  const { runLayout } = await import('../../protocol/run-layout.js');
  const { formatMaskSummary } = await import('../mask-summary.js');
  const { packageVersion } = await import('../version.js');
  const { file, config } = await loadConfig(args.config, ctx.cwd);
  const runDir = args.out ? resolve(ctx.cwd, args.out) : runDirOf(undefined, config, ctx.cwd);
  const { parseShard } = await import('../shard-option.js');
  const shard = args.shard === undefined ? undefined : parseShard(args.shard);
  const started = performance.now();
  const outcome = await runStages({
    command: 'masks',
    runDir,
    config,
    configFile: file,
    stages: ['masks'],
    // A shard is drawn whenever asked; a whole set is skipped while up to date.
    force: shard ? ['masks'] : [],
    options: { masks: { replace: args.force, workers: args.workers, shard } },
    versions: { 'pconv-bench': packageVersion(), node: process.version },
    signal: ctx.signal,
    onEvent: ctx.output.onCoreEvent,
  });
  const seconds = (performance.now() - started) / 1000;
  const result = outcome.products.masks;
  const dir = runLayout(runDir).masksDir;
  const { readExistingManifest } = await import('../../core/masks/read-mask-set.js');
  const manifest = result?.manifest ?? (await readExistingManifest(dir));
  if (!manifest) throw new Error(`the masks stage left no manifest in ${dir}`);
  const upToDate = result?.upToDate ?? true;
  if (!result) ctx.output.info(`${dir} is up to date (${manifest.masks.length} masks)`);
  ctx.output.print(formatMaskSummary(manifest, dir));
  if (!upToDate) ctx.output.info(`${manifest.masks.length} masks in ${seconds.toFixed(1)} s (${(manifest.masks.length / seconds).toFixed(0)} masks/s)`);
  ctx.output.event({
    type: 'result',
    command: 'masks',
    data: { dir, manifest: runLayout(runDir).maskManifest, upToDate, counts: manifest.counts, seconds },
  });
}

async function importSet(
  args: { dir: string; polarity: 'hole-white' | 'hole-black'; config?: string; out?: string; threshold: number; force: boolean; allowMostlyHoles: boolean },
  ctx: CommandContext,
): Promise<void> {
  const { resolve } = await import('node:path');
  const { UserError } = await import('../../core/errors.js');
  const { importMasks } = await import('../../core/masks/import-masks.js');
  const { binsFromEdges, PAPER_BIN_EDGES } = await import('../../core/masks/bins.js');
  const { formatMaskSummary } = await import('../mask-summary.js');
  if (!(args.threshold > 0 && args.threshold < 1)) {
    throw new UserError('BAD_ARGUMENT', `--threshold ${args.threshold} is outside (0, 1)`, {
      hint: 'Use a grey level between 0 and 1, e.g. 0.5 (or 0.6 as the PConv authors).',
    });
  }
  let settings = {
    bins: binsFromEdges(PAPER_BIN_EDGES),
    binRule: '(lo,hi]' as const as '(lo,hi]' | '[lo,hi)',
    margin: 8,
    size: undefined as { width: number; height: number } | undefined,
    outDir: undefined as string | undefined,
  };
  if (args.config) {
    const { loadConfig } = await import('../../core/config/load-config.js');
    const { config } = await loadConfig(args.config, ctx.cwd);
    settings = {
      bins: config.masks.bins.map(([lo, hi]) => ({ lo, hi })),
      binRule: config.masks.binRule,
      margin: config.masks.border.margin,
      size: { width: config.data.imageSize, height: config.data.imageSize },
      outDir: runDirOf(undefined, config, ctx.cwd),
    };
  }
  const outDir = args.out ? resolve(ctx.cwd, args.out) : settings.outDir;
  if (!outDir)
    throw new UserError('BAD_ARGUMENT', 'masks import needs --out DIR or --config FILE to know where to write', {
      hint: 'Add --out reports/my-masks, for example.',
    });
  // The set goes into a run folder's masks/: no other command may work there meanwhile.
  const { lockRunDir } = await import('../../pipeline/run-lock.js');
  const release = await lockRunDir(outDir, 'masks import', (message) => ctx.output.warn(message));
  let manifest: Awaited<ReturnType<typeof importMasks>>;
  try {
    manifest = await importMasks({
      dir: resolve(ctx.cwd, args.dir),
      polarity: args.polarity,
      threshold: args.threshold,
      bins: settings.bins,
      binRule: settings.binRule,
      margin: settings.margin,
      size: settings.size,
      outDir,
      force: args.force,
      allowMostlyHoles: args.allowMostlyHoles,
      signal: ctx.signal,
      onEvent: ctx.output.onCoreEvent,
    });
  } finally {
    await release();
  }
  const { runLayout } = await import('../../protocol/run-layout.js');
  const dir = runLayout(outDir).masksDir;
  ctx.output.print(formatMaskSummary(manifest, dir));
  ctx.output.event({
    type: 'result',
    command: 'masks import',
    data: { dir, manifest: runLayout(outDir).maskManifest, counts: manifest.counts, skipped: manifest.skipped.length },
  });
}
