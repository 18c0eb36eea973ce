import { RUN_FOLDERS } from '../../protocol/run-layout.js';
import { pairId } from '../pair-inputs.js';
import { slugOf } from '../pair-scores-store.js';

/**
 * Names of the drill-down pictures, relative to the run folder: one flat folder (so that the
 * clean-up of a killed process's temporary files, which looks in named folders only, covers it),
 * every file of pair k starting with its id. A model's picture carries a "model-" prefix, so no
 * model name, however chosen, can name the input, mask or ground truth.
 */
export const DRILLDOWN_DIR = RUN_FOLDERS.drilldown;

export type DrilldownRole = 'input' | 'mask' | 'target';

export function drilldownPicture(k: number, role: DrilldownRole): string {
  return `${DRILLDOWN_DIR}/${pairId(k)}.${role}.png`;
}

export function drilldownOutput(k: number, model: string): string {
  return `${DRILLDOWN_DIR}/${pairId(k)}.model-${slugOf(model)}.png`;
}

/** Written after a pair's pictures: what made them (drilldown-pictures.ts), so a stale set is made again. */
export function drilldownStamp(k: number): string {
  return `${DRILLDOWN_DIR}/${pairId(k)}.json`;
}

/** Every file of pair k for these models, its stamp last. */
export function drilldownFilesOf(k: number, models: readonly string[]): string[] {
  return [
    drilldownPicture(k, 'input'),
    drilldownPicture(k, 'mask'),
    drilldownPicture(k, 'target'),
    ...models.map((m) => drilldownOutput(k, m)),
    drilldownStamp(k),
  ];
}

/** The pair a file of the drill-down folder belongs to, by its name; undefined for anything else. */
export function drilldownPairOf(name: string): number | undefined {
  const match = /^pair-(\d+)\./.exec(name);
  return match ? Number(match[1]) : undefined;
}
