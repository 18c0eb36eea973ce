import { sha256Of, stableStringify } from '../io/stable-json.js';
import type { ExperimentConfig } from './schema.js';

/**
 * Hash of what a training run depends on: everything but the description, the output folder and
 * where the data lives (moving the photos or the repo must not stop a resume).
 */
export function trainingConfigHash(config: ExperimentConfig): string {
  const { description: _description, output: _output, data, ...rest } = config;
  const { root: _root, ...dataRest } = data;
  return sha256Of(stableStringify({ ...rest, data: dataRest }));
}
