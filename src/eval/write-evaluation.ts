import { writeFileAtomic } from '../core/io/atomic.js';
import type { Drilldown } from '../protocol/drilldown.js';
import { type Results, ResultsSchema } from '../protocol/results.js';
import { runLayout } from '../protocol/run-layout.js';
import { drilldownText } from './drilldown/drilldown-record.js';

/**
 * Writes what an evaluation (or `merge`) ends with: drilldown.json, then results.json. In that
 * order, so that a kill between the two leaves the earlier results.json beside a new drilldown.json,
 * which the eval stage does not take for a finished evaluation (its outputs hash covers both).
 */
export async function writeEvaluation(runDir: string, results: Results, drilldown: Drilldown): Promise<Results> {
  const checked = ResultsSchema.parse(results);
  await writeFileAtomic(runLayout(runDir).drilldown, drilldownText(drilldown));
  await writeFileAtomic(runLayout(runDir).results, `${JSON.stringify(checked, null, 1)}\n`);
  return checked;
}
