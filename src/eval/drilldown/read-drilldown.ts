import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import type { Drilldown } from '../../protocol/drilldown.js';
import type { Results } from '../../protocol/results.js';
import { RUN_FILES } from '../../protocol/run-layout.js';
import { damagedDrilldownPicture } from './drilldown-pictures.js';
import { EVALUATE_AGAIN, readDrilldownFile } from './read-drilldown-file.js';

export { EVALUATE_AGAIN } from './read-drilldown-file.js';

/**
 * A run's drilldown.json, checked: of the evaluation its results.json reports (the same mask set
 * and models: read-drilldown-file.ts) and with every picture it lists on disk as eval wrote it (by
 * the hashes in each pair's stamp). None (a run evaluated before the drill-down
 * existed) is not an error; a damaged, foreign or incomplete one is, naming the file.
 */
export async function readDrilldown(runDir: string, results: Results): Promise<{ readonly drilldown: Drilldown; readonly text: string } | undefined> {
  const read = await readDrilldownFile(runDir, results);
  if (read === undefined) return undefined;
  const { drilldown } = read;
  const damaged = await damagedDrilldownPicture(runDir, drilldown);
  if (damaged !== undefined)
    throw new UserError('DRILLDOWN_PICTURE_DAMAGED', `drill-down picture ${join(runDir, damaged.file)} ${damaged.problem} (${RUN_FILES.drilldown} lists it)`, {
      hint: EVALUATE_AGAIN,
    });
  return read;
}
