import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import { type Drilldown, DrilldownSchema } from '../../protocol/drilldown.js';
import type { Results } from '../../protocol/results.js';
import { RUN_FILES, runLayout } from '../../protocol/run-layout.js';
import { damagedDrilldownPicture } from './drilldown-pictures.js';

/** How to make the drill-down again without scoring a pair twice. */
export const EVALUATE_AGAIN =
  'Evaluate again: `pconv-bench eval <config>` (or `pconv-bench run <config>`); the per-pair scores in scores/ are kept, so only the drill-down pictures are made again.';

/**
 * A run's drilldown.json, checked: of the evaluation its results.json reports (the same mask set
 * and models) and with every picture it lists on disk as eval wrote it (by the hashes in each
 * pair's stamp). None (a run evaluated before the drill-down
 * existed) is not an error; a damaged, foreign or incomplete one is, naming the file.
 */
export async function readDrilldown(runDir: string, results: Results): Promise<{ readonly drilldown: Drilldown; readonly text: string } | undefined> {
  const path = runLayout(runDir).drilldown;
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError('DRILLDOWN_INVALID', `${path} is not valid JSON (${(error as Error).message})`, { hint: EVALUATE_AGAIN });
  }
  const parsed = DrilldownSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new UserError('DRILLDOWN_INVALID', `${path} does not match the drill-down schema (${first?.path.join('.')}: ${first?.message})`, {
      hint: EVALUATE_AGAIN,
    });
  }
  const drilldown = parsed.data;
  if (drilldown.masksSha256 !== results.masks.manifestSha256 || JSON.stringify(drilldown.models) !== JSON.stringify(results.models.map((m) => m.name)))
    throw new UserError('DRILLDOWN_STALE', `${path} belongs to another evaluation than ${runLayout(runDir).results} (another mask set or other models)`, {
      hint: EVALUATE_AGAIN,
    });
  const damaged = await damagedDrilldownPicture(runDir, drilldown);
  if (damaged !== undefined)
    throw new UserError('DRILLDOWN_PICTURE_DAMAGED', `drill-down picture ${join(runDir, damaged.file)} ${damaged.problem} (${RUN_FILES.drilldown} lists it)`, {
      hint: EVALUATE_AGAIN,
    });
  return { drilldown, text };
}
