import type { LossPoint } from '../../../../src/eval/report/render-report.js';
import type { Results } from '../../../../src/protocol/results.js';

export type TrainingCurves = Record<string, { train: LossPoint[]; validation: LossPoint[] }>;

/**
 * The report's training curves from the run's logs/train-<kind>.jsonl texts (the host reads the
 * files; this stays pure), keyed by model name as the CLI's report does. The same reading as
 * src/eval/report/write-report.ts: lines without a numeric step and total are not points, and a
 * torn last line of an interrupted run is skipped.
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

/** The run-relative paths of every image the report shows; the host turns each into a URI. */
export function reportImagePaths(results: Results): string[] {
  return [...new Set(results.samples.flatMap((s) => [s.input, s.target, ...Object.values(s.outputs)]))];
}
