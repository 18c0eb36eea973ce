import type { MaskGroup } from '../../core/masks/manifest-counts.js';
import { DRILLDOWN_FORMAT, type Drilldown, DrilldownSchema, type PairMetrics } from '../../protocol/drilldown.js';
import type { MaskEntry } from '../../protocol/mask-manifest.js';
import type { ImageMetrics } from '../metrics.js';
import { chooseDrilldownPairs, chosenPairs, DRILLDOWN_RULE, type DrilldownRule } from './choose-drilldown-pairs.js';
import { drilldownOutput, drilldownPicture } from './drilldown-files.js';

/** What drilldown.json is made from: the scored pairs of a run (or of merged shards). */
export interface DrilldownSource {
  readonly groups: readonly MaskGroup[];
  readonly entries: readonly MaskEntry[];
  /** Per model name, per pair k: the metrics (absent for pairs not scored here). */
  readonly perModel: ReadonlyMap<string, readonly (ImageMetrics | undefined)[]>;
  /** The evaluation's models, in results.json's order. */
  readonly models: readonly string[];
  readonly masksSha256: string;
}

function pairMetrics(m: ImageMetrics): PairMetrics {
  return { l1Hole: m.l1Hole ?? null, l1: m.l1, psnr: m.psnr, ssim: m.ssim };
}

/**
 * drilldown.json's content: the choice (choose-drilldown-pairs.ts) with each chosen pair's picture
 * paths and every model's metrics on it. A pure function of the scores, so an unsharded evaluation
 * and `merge` write the same bytes.
 */
export function drilldownRecord(source: DrilldownSource, rule: DrilldownRule = DRILLDOWN_RULE): Drilldown {
  const choices = chooseDrilldownPairs(source.groups, source.perModel, source.models, rule);
  const pairs = chosenPairs(choices).map((k) => {
    const entry = source.entries[k] as MaskEntry;
    const metrics: Record<string, PairMetrics> = {};
    for (const model of source.models) {
      const m = source.perModel.get(model)?.[k];
      if (m) metrics[model] = pairMetrics(m);
    }
    return {
      k,
      binIndex: entry.binIndex,
      border: entry.border,
      holeRatio: entry.holeRatio,
      input: drilldownPicture(k, 'input'),
      mask: drilldownPicture(k, 'mask'),
      target: drilldownPicture(k, 'target'),
      outputs: Object.fromEntries(source.models.map((model) => [model, drilldownOutput(k, model)])),
      metrics,
    };
  });
  return {
    format: DRILLDOWN_FORMAT,
    masksSha256: source.masksSha256,
    models: [...source.models],
    metric: rule.metric,
    perSide: rule.perSide,
    groups: choices.map(({ group, picks }) => ({
      bin: group.bin,
      binIndex: group.binIndex,
      border: group.border,
      picks: picks.map((p) => ({ model: p.model, worst: [...p.worst], best: [...p.best] })),
    })),
    pairs,
  };
}

/** drilldown.json's bytes, checked against its schema. */
export function drilldownText(drilldown: Drilldown): string {
  return `${JSON.stringify(DrilldownSchema.parse(drilldown), null, 1)}\n`;
}
