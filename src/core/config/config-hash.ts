import { sha256Of, stableStringify } from '../io/stable-json.js';
import type { ExperimentConfig } from './schema.js';

/**
 * Hash of what a training run depends on: everything but the description, the output folder and
 * where the data lives (moving the photos or the repo must not stop a resume).
 */
export function trainingConfigHash(config: ExperimentConfig): string {
  const { description: _description, output: _output, data, ...rest } = config;
  return sha256Of(stableStringify({ ...rest, data: dataWithoutLocation(data) }));
}

/**
 * The data section without where the photos live: data.root, and the dir of each split folder
 * (data.train, data.validation, data.test; their include and exclude patterns stay).
 */
export function dataWithoutLocation(data: object): Record<string, unknown> {
  const { root: _root, ...rest } = data as Record<string, unknown>;
  for (const key of ['train', 'validation', 'test']) {
    const folder = rest[key];
    if (folder !== null && typeof folder === 'object') {
      const { dir: _dir, ...patterns } = folder as Record<string, unknown>;
      rest[key] = patterns;
    }
  }
  return rest;
}
