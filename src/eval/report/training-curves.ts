import type { Results } from '../../protocol/results.js';
import type { LossPoint } from './render-report.js';

/**
 * Pure helpers shared by the CLI's report (write-report.ts reads the files) and the editor
 * extension's report panel (its host reads them): no node:* imports here.
 */
export type TrainingCurves = Record<string, { train: LossPoint[]; validation: LossPoint[] }>;

/**
 * The report's training curves from the texts of the run's logs/train-<kind>.jsonl, keyed by model
 * name. Lines without a numeric step and total are not points; a torn last line of an interrupted
 * run is skipped.
 */
export function trainingCurvesFromLogs(results: Results, logs: Readonly<Partial<Record<'pconv' | 'conv', string>>>): TrainingCurves {
  const curves: TrainingCurves = {};
  for (const model of results.models) {
    if (model.kind !== 'pconv' && model.kind !== 'conv') continue;
    const text = logs[model.kind];
    if (text === undefined) continue;
    const curve = { train: [] as LossPoint[], validation: [] as LossPoint[] };
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let entry: { type?: unknown; step?: unknown; phase?: unknown; total?: unknown };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue;
      }
      if (typeof entry.step !== 'number' || typeof entry.total !== 'number') continue;
      const point = { step: entry.step, phase: typeof entry.phase === 'number' ? entry.phase : 1, total: entry.total };
      (entry.type === 'validation' ? curve.validation : curve.train).push(point);
    }
    curves[model.name] = curve;
  }
  return curves;
}

/** The run-relative paths of every image the report shows (inputs, targets, each model's output). */
export function reportImagePaths(results: Results): string[] {
  return [...new Set(results.samples.flatMap((s) => [s.input, s.target, ...Object.values(s.outputs)]))];
}
