import { readFile } from 'node:fs/promises';
import { UserError } from '../../core/errors.js';
import { type Drilldown, DrilldownSchema } from '../../protocol/drilldown.js';
import type { Results } from '../../protocol/results.js';
import { RUN_FILES, runLayout } from '../../protocol/run-layout.js';

/**
 * drilldown.json read and checked against its results.json, its pictures left unchecked; and what a
 * report says when there is none. Apart from read-drilldown.ts (which checks the pictures by their
 * stamps, next to the code that writes them with sharp) so that the editor's report panel reads
 * the file the CLI's way without bundling sharp.
 */

/** How to make the drill-down again without scoring a pair twice. */
export const EVALUATE_AGAIN =
  'Evaluate again: `pconv-bench eval <config>` (or `pconv-bench run <config>`); the per-pair scores in scores/ are kept, so only the drill-down pictures are made again.';

/** Why a run has no drill-down, and how to get one. */
export const NO_DRILLDOWN = `${RUN_FILES.drilldown} is missing; \`pconv-bench eval <config> --run <this folder>\` writes it from the kept per-pair scores.`;

/** The report's drill-down section of a run without drilldown.json (the CLI's page and the editor's panel). */
export const DRILLDOWN_UNAVAILABLE = `This run was evaluated before pconv-bench chose worst and best pairs: ${NO_DRILLDOWN}`;

/**
 * A run's drilldown.json, checked against the evaluation its results.json reports (the same mask
 * set and models). None (a run evaluated before the drill-down existed) is not an error; a damaged
 * or foreign one is, naming the file.
 */
export async function readDrilldownFile(runDir: string, results: Results): Promise<{ readonly drilldown: Drilldown; readonly text: string } | undefined> {
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
  return { drilldown, text };
}
