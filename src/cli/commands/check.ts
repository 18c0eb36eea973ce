import type { CommandModule } from 'yargs';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';

/** `pconv-bench check <results> --baseline <file>`: the CI gate on model quality. */
export function checkCommand(env: CommandEnv): CommandModule<GlobalArgs, object> {
  return defineCommand({
    ...env,
    name: 'check',
    command: 'check <results>',
    describe: 'Compare a results.json with a committed baseline; exit 1 on any quality regression beyond tolerance',
    builder: (y) =>
      y
        .positional('results', { type: 'string', demandOption: true, describe: 'results.json of a run' })
        .option('baseline', { type: 'string', demandOption: true, describe: 'baseline JSON file (write one with --update)' })
        .option('config', { type: 'string', describe: 'experiment YAML whose check.tolerances to use' })
        .option('tolerance', { type: 'string', array: true, describe: 'metric=value, e.g. psnr=0.5 (overrides the config); metrics: l1Hole, l1, psnr, ssim' })
        .option('update', { type: 'boolean', default: false, describe: 'write the results as the new baseline instead of checking' }),
    run: async (args, ctx) => {
      const { readFile } = await import('node:fs/promises');
      const { resolve } = await import('node:path');
      const { UserError } = await import('../../core/errors.js');
      const { writeFileAtomic } = await import('../../core/io/atomic.js');
      const { readResults } = await import('../../eval/report/write-report.js');
      const { baselineFrom, compareWithBaseline, parseBaseline } = await import('../../eval/check-results.js');
      const { ExperimentConfigSchema } = await import('../../core/config/schema.js');
      const { METRIC_NAMES } = await import('../../protocol/results.js');
      const resultsPath = resolve(ctx.cwd, args.results);
      const results = await readResults(resultsPath);
      const baselinePath = resolve(ctx.cwd, args.baseline);
      if (args.update) {
        await writeFileAtomic(baselinePath, `${JSON.stringify(baselineFrom(results), null, 1)}\n`);
        ctx.output.print(`baseline written: ${baselinePath} (${results.rows.length} rows)`);
        ctx.output.event({ type: 'result', command: 'check', data: { updated: baselinePath } });
        return;
      }
      let tolerances = { ...ExperimentConfigSchema.in.shape.check.parse(undefined).tolerances };
      if (args.config) {
        const { loadConfig } = await import('../../core/config/load-config.js');
        tolerances = { ...(await loadConfig(args.config, ctx.cwd)).config.check.tolerances };
      }
      for (const item of args.tolerance ?? []) {
        const [name, value] = item.split('=');
        if (!METRIC_NAMES.includes(name as never) || value === undefined || !(Number(value) >= 0)) {
          throw new UserError('BAD_ARGUMENT', `--tolerance ${item} is not metric=value`, {
            hint: `Use one of ${METRIC_NAMES.join(', ')} with a number >= 0, e.g. --tolerance psnr=0.5.`,
          });
        }
        tolerances[name as keyof typeof tolerances] = Number(value);
      }
      let baselineText: string;
      try {
        baselineText = await readFile(baselinePath, 'utf8');
      } catch {
        throw new UserError('BASELINE_MISSING', `no baseline at ${baselinePath}`, {
          hint: `Write one from these results: pconv-bench check ${args.results} --baseline ${args.baseline} --update`,
        });
      }
      const rewrite = `Write it again from results you trust: pconv-bench check ${args.results} --baseline ${args.baseline} --update`;
      const baseline = parseBaseline(baselineText, baselinePath, rewrite);
      const { regressions, compared, rows, noBaselineValue, notInBaseline } = compareWithBaseline(results, baseline, tolerances);
      if (regressions.length > 0) {
        const lines = regressions.map((r) =>
          r.metric === 'missing'
            ? `${r.model} ${r.bin} ${r.border}: missing from the results`
            : `${r.model} ${r.bin} ${r.border} ${r.metric}: ${r.current?.toFixed(4) ?? 'none'} vs baseline ${r.baseline?.toFixed(4)} (allowed ${r.allowed})`,
        );
        throw new UserError('QUALITY_REGRESSION', `${regressions.length} quality regressions against ${baselinePath}`, {
          details: lines,
          hint: 'If the change is intended, write a new baseline with --update and commit it; otherwise find what made the models worse.',
        });
      }
      // What was not compared is named, never counted as checked.
      if (noBaselineValue.length > 0)
        ctx.output.warn(`not compared, the baseline has no value (null) for ${noBaselineValue.length}: ${noBaselineValue.join('; ')}`);
      if (notInBaseline.length > 0)
        ctx.output.warn(
          `not compared, ${notInBaseline.length} rows of the results are not in the baseline: ${notInBaseline.join('; ')} (write a new baseline with --update to check them)`,
        );
      const counted =
        compared === rows * METRIC_NAMES.length
          ? `${rows} rows x ${METRIC_NAMES.length} metrics`
          : `${compared} values of ${rows} rows (${METRIC_NAMES.length} metrics each)`;
      ctx.output.print(
        `quality check passed: ${counted} within tolerance (${Object.entries(tolerances)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`,
      );
      ctx.output.event({
        type: 'result',
        command: 'check',
        data: { passed: true, rows, compared, notCompared: [...noBaselineValue, ...notInBaseline], tolerances },
      });
    },
  }) as CommandModule<GlobalArgs, object>;
}
