import type { CommandModule } from 'yargs';
import { PUBLISHED_FORMATS } from '../../core/published/published-model.js';
import { backendOption, inferenceOption } from '../common-options.js';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';

export function inpaintCommand(env: CommandEnv): CommandModule<GlobalArgs, object> {
  return defineCommand({
    ...env,
    name: 'inpaint',
    command: 'inpaint',
    describe: 'Fill the holes of an image of any size with a trained model',
    builder: (y) =>
      y
        .option('checkpoint', { type: 'string', describe: 'checkpoint folder, e.g. reports/demo/checkpoints/pconv/latest (or --weights)' })
        .option('weights', { type: 'string', describe: "a published model's weights file, with --format (instead of --checkpoint)" })
        .option('format', { choices: PUBLISHED_FORMATS, describe: 'the format of --weights' })
        .option('tile', { type: 'number', describe: "tile side in px for --weights (default 512; a multiple of the model's size step)" })
        .option('image', { type: 'string', demandOption: true, describe: 'image file (PNG, JPEG, ...)' })
        .option('mask', { type: 'string', demandOption: true, describe: 'mask file of the same size' })
        .option('out', { type: 'string', demandOption: true, describe: 'output file (.png or .jpg)' })
        .option('polarity', {
          choices: ['hole-black', 'hole-white'] as const,
          default: 'hole-black' as const,
          describe: 'which colour is the hole in the mask (ours: hole-black)',
        })
        .option('backend', backendOption)
        .option('inference', inferenceOption)
        .check((args) => {
          if ((args.checkpoint === undefined) === (args.weights === undefined)) return 'give exactly one of --checkpoint and --weights';
          if (args.weights !== undefined && args.format === undefined) return `--weights needs --format (${PUBLISHED_FORMATS.join(' or ')})`;
          if (args.format !== undefined && args.weights === undefined) return '--format goes with --weights';
          if (args.tile !== undefined && (args.weights === undefined || !(Number.isInteger(args.tile) && args.tile >= 8)))
            return '--tile goes with --weights and is a whole number of px, at least 8';
          return true;
        }),
    run: async (args, ctx) => {
      const { resolve } = await import('node:path');
      const { setupBackend } = await import('../../core/engine/backend.js');
      const { inpaintImage } = await import('../../core/infer/inpaint-image.js');
      // The model is known only once loaded: started for inference (threads on wasm).
      const backend = await setupBackend(args.backend, { inference: true });
      const started = performance.now();
      const result = await inpaintImage({
        ...(args.weights !== undefined
          ? { weights: { file: resolve(ctx.cwd, args.weights), format: args.format as (typeof PUBLISHED_FORMATS)[number] }, tile: args.tile }
          : { checkpoint: resolve(ctx.cwd, args.checkpoint as string) }),
        image: resolve(ctx.cwd, args.image),
        mask: resolve(ctx.cwd, args.mask),
        out: resolve(ctx.cwd, args.out),
        polarity: args.polarity,
        engine: args.inference,
      });
      const seconds = (performance.now() - started) / 1000;
      for (const note of result.notes) ctx.output.info(note);
      for (const warning of result.warnings) ctx.output.warn(warning);
      ctx.output.print(
        `${args.out}: ${result.width}x${result.height}, ${(result.holeRatio * 100).toFixed(1)}% hole, ${result.model} model, ${result.tiles} tiles, ${seconds.toFixed(2)} s on ${result.engine}`,
      );
      ctx.output.event({ type: 'result', command: 'inpaint', data: { out: resolve(ctx.cwd, args.out), ...result, seconds, backend: backend.name } });
    },
  }) as CommandModule<GlobalArgs, object>;
}
