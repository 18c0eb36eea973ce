import { z } from 'zod';
import { METRIC_DIRECTION, METRIC_NAMES, type MetricName, type Results } from '../protocol/results.js';

/** A committed quality baseline: the mean of every metric per model, bin and border subset. */
export const BaselineSchema = z.strictObject({
  format: z.literal('pconv-bench/baseline@1'),
  experiment: z.string(),
  createdAt: z.string(),
  backend: z.string(),
  rows: z.array(
    z.strictObject({
      model: z.string(),
      bin: z.string(),
      border: z.enum(['no-border', 'border']),
      metrics: z.record(z.string(), z.number().nullable()),
    }),
  ),
});
export type Baseline = z.infer<typeof BaselineSchema>;

export type Tolerances = Record<MetricName, number>;

export interface Regression {
  readonly model: string;
  readonly bin: string;
  readonly border: string;
  readonly metric: MetricName | 'missing';
  readonly baseline: number | null;
  readonly current: number | null;
  readonly allowed: number;
}

export function baselineFrom(results: Results): Baseline {
  return {
    format: 'pconv-bench/baseline@1',
    experiment: results.experiment.name,
    createdAt: new Date().toISOString(),
    backend: `${results.backend.name} ${results.backend.version}`,
    rows: results.rows.map((r) => ({
      model: r.model,
      bin: r.bin,
      border: r.border,
      metrics: Object.fromEntries(METRIC_NAMES.map((m) => [m, r.metrics[m].mean])),
    })),
  };
}

/**
 * Compares results with a baseline, direction-aware: lower L1 and higher PSNR/SSIM are better,
 * and a metric regresses when it moves the wrong way by more than its tolerance. A row of the
 * baseline that the results lack is a regression too (a model or bin disappeared).
 */
export function compareWithBaseline(results: Results, baseline: Baseline, tolerances: Tolerances): Regression[] {
  const regressions: Regression[] = [];
  for (const row of baseline.rows) {
    const current = results.rows.find((r) => r.model === row.model && r.bin === row.bin && r.border === row.border);
    if (!current) {
      regressions.push({ model: row.model, bin: row.bin, border: row.border, metric: 'missing', baseline: null, current: null, allowed: 0 });
      continue;
    }
    for (const metric of METRIC_NAMES) {
      const before = row.metrics[metric];
      const now = current.metrics[metric].mean;
      if (before === null || before === undefined) continue;
      const allowed = tolerances[metric];
      const worse = now === null || (METRIC_DIRECTION[metric] === 'lower' ? now > before + allowed : now < before - allowed);
      if (worse) regressions.push({ model: row.model, bin: row.bin, border: row.border, metric, baseline: before, current: now, allowed });
    }
  }
  return regressions;
}
