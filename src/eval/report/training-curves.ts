import type { Results } from '../../protocol/results.js';
import { TRAIN_LOG_VERSION, ValidationQualitySchema } from '../../protocol/training-log.js';
import type { LossPoint, ValidationPoint } from './render-report.js';

/**
 * Pure helpers shared by the CLI's report (write-report.ts reads the files) and the editor
 * extension's report panel (its host reads them): no node:* imports here.
 */
export type TrainingCurves = Record<string, { train: LossPoint[]; validation: ValidationPoint[] }>;

/**
 * The report's training curves from the texts of the run's logs/train-<kind>.jsonl
 * (src/protocol/training-log.ts), keyed by model name. Lines without a numeric step and total are
 * not points; a torn last line of an interrupted run is skipped, and so is a line of a later
 * breaking version of the log. A validation point carries its quality (PSNR, SSIM, hole L1) when
 * the line has it (logs written before it do not).
 */
export function trainingCurvesFromLogs(results: Results, logs: Readonly<Partial<Record<'pconv' | 'conv', string>>>): TrainingCurves {
  const curves: TrainingCurves = {};
  for (const model of results.models) {
    if (model.kind !== 'pconv' && model.kind !== 'conv') continue;
    const text = logs[model.kind];
    if (text === undefined) continue;
    const curve = { train: [] as LossPoint[], validation: [] as ValidationPoint[] };
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let entry: { v?: unknown; type?: unknown; step?: unknown; phase?: unknown; total?: unknown; quality?: unknown };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue;
      }
      if (typeof entry.step !== 'number' || typeof entry.total !== 'number') continue;
      if (typeof entry.v === 'number' && entry.v > TRAIN_LOG_VERSION) continue;
      const point = { step: entry.step, phase: typeof entry.phase === 'number' ? entry.phase : 1, total: entry.total };
      if (entry.type !== 'validation') {
        curve.train.push(point);
        continue;
      }
      const quality = ValidationQualitySchema.safeParse(entry.quality);
      curve.validation.push(quality.success ? { ...point, quality: quality.data } : point);
    }
    curves[model.name] = curve;
  }
  return curves;
}

/** The run-relative paths of every image the report shows (inputs, targets, each model's output). */
export function reportImagePaths(results: Results): string[] {
  return [...new Set(results.samples.flatMap((s) => [s.input, s.target, ...Object.values(s.outputs)]))];
}
