import type { CommandModule } from 'yargs';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';

/** `pconv-bench metrics <a> <b> [--mask m]`: our metrics for any two images, so other tools' outputs can be scored alike. */
export function metricsCommand(env: CommandEnv): CommandModule<GlobalArgs, object> {
  return defineCommand({
    ...env,
    name: 'metrics',
    command: 'metrics <output> <target>',
    describe: 'L1, PSNR and SSIM of an image against its ground truth (and the mask hole ratio and bin)',
    builder: (y) =>
      y
        .positional('output', { type: 'string', demandOption: true, describe: 'the inpainted image' })
        .positional('target', { type: 'string', demandOption: true, describe: 'the ground truth' })
        .option('mask', { type: 'string', describe: 'mask file: enables hole-only L1 and reports the hole ratio and bin' })
        .option('polarity', {
          choices: ['hole-black', 'hole-white'] as const,
          default: 'hole-black' as const,
          describe: 'which colour is the hole in the mask',
        })
        .option('config', { type: 'string', describe: "experiment YAML whose bins to use (default: the paper's)" }),
    run: async (args, ctx) => {
      const { UserError } = await import('../../core/errors.js');
      const { loadRgb, loadMask } = await import('../../eval/load-rgb.js');
      const { imageMetrics, METRIC_CONVENTIONS } = await import('../../eval/metrics.js');
      const { binLabel, binsFromEdges, findBin, PAPER_BIN_EDGES } = await import('../../core/masks/bins.js');
      const { resolve } = await import('node:path');
      const output = await loadRgb(resolve(ctx.cwd, args.output), 'output');
      const target = await loadRgb(resolve(ctx.cwd, args.target), 'target');
      if (output.width !== target.width || output.height !== target.height) {
        throw new UserError('SIZE_MISMATCH', `${args.output} is ${output.width}x${output.height} but ${args.target} is ${target.width}x${target.height}`, {
          hint: 'Compare images of the same size.',
        });
      }
      let mask: Float32Array | undefined;
      let hole: { ratio: number; bin: string | null } | undefined;
      if (args.mask) {
        const loaded = await loadMask(resolve(ctx.cwd, args.mask), args.polarity);
        if (loaded.width !== output.width || loaded.height !== output.height) {
          throw new UserError('SIZE_MISMATCH', `mask ${args.mask} is ${loaded.width}x${loaded.height} but the images are ${output.width}x${output.height}`, {
            hint: 'Use the mask the output was made with.',
          });
        }
        mask = loaded.valid;
        let bins = binsFromEdges(PAPER_BIN_EDGES);
        let rule: '(lo,hi]' | '[lo,hi)' = '(lo,hi]';
        if (args.config) {
          const { loadConfig } = await import('../../core/config/load-config.js');
          const { config } = await loadConfig(args.config, ctx.cwd);
          bins = config.masks.bins.map(([lo, hi]) => ({ lo, hi }));
          rule = config.masks.binRule;
        }
        const ratio = mask.reduce((n, v) => n + (v < 0.5 ? 1 : 0), 0) / mask.length;
        const index = findBin(ratio, bins, rule);
        hole = { ratio, bin: index < 0 ? null : binLabel(bins[index] as { lo: number; hi: number }, rule) };
      }
      const m = imageMetrics(output.data, target.data, output.width, output.height, mask);
      const lines = [
        `L1 (whole image, x100): ${m.l1.toFixed(4)}`,
        ...(m.l1Hole === undefined ? [] : [`L1 (holes, x100):       ${m.l1Hole.toFixed(4)}`]),
        `PSNR (dB):              ${m.psnr.toFixed(4)}`,
        `SSIM:                   ${m.ssim.toFixed(6)}`,
        ...(hole ? [`hole ratio:             ${hole.ratio.toFixed(4)} (bin ${hole.bin ?? 'none'})`] : []),
      ];
      ctx.output.print(lines.join('\n'));
      ctx.output.event({
        type: 'result',
        command: 'metrics',
        data: { ...m, ...(hole ? { holeRatio: hole.ratio, bin: hole.bin } : {}), conventions: METRIC_CONVENTIONS },
      });
    },
  }) as CommandModule<GlobalArgs, object>;
}
