import { sha256Of, stableStringify } from '../io/stable-json.js';
import type { ExperimentConfig } from './schema.js';

/**
 * Hash of what a training run depends on: everything but the description, the output folder and
 * where the data lives (moving the photos or the repo must not stop a resume). With a model kind,
 * only what that model's training reads: the PConv model ignores the baseline's own settings, so
 * tuning the baseline does not make a trained PConv model stale. Published models (models:) are
 * only scored, never trained: adding one leaves the trained models current.
 */
export function trainingConfigHash(config: ExperimentConfig, kind?: 'pconv' | 'conv'): string {
  return sha256Of(stableStringify(trainingPartOf(config as unknown as Record<string, unknown>, kind)));
}

/** The part of a config (as parsed, or as a checkpoint recorded it) that trainingConfigHash covers. */
export function trainingPartOf(config: Record<string, unknown>, kind?: 'pconv' | 'conv'): Record<string, unknown> {
  const { description: _description, output: _output, models: _models, data, ...rest } = config;
  const part: Record<string, unknown> = { ...rest, data: dataWithoutLocation((data ?? {}) as object) };
  if (kind === 'pconv') {
    const { baselineFill: _fill, baselineMaskChannel: _channel, ...model } = (part.model ?? {}) as Record<string, unknown>;
    const { baseline: _weights, ...loss } = (part.loss ?? {}) as Record<string, unknown>;
    part.model = model;
    part.loss = loss;
  }
  return part;
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
