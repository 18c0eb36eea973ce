import { readFile } from 'node:fs/promises';
import { isUserError, UserError } from '../core/errors.js';
import { sha256Of } from '../core/io/stable-json.js';
import { readDrilldown } from '../eval/drilldown/read-drilldown.js';
import { checkSamplePictures } from '../eval/sample-stamps.js';
import { ResultsSchema } from '../protocol/results.js';
import type { RunLayout } from '../protocol/run-layout.js';

/**
 * The eval stage's outputs when they are whole: results.json with every sample picture it lists as
 * eval wrote it (sample-stamps.ts), and drilldown.json with every picture it lists. A run evaluated
 * before the drill-down existed has results.json alone and is whole (its report says how to add
 * one). The hash covers both files, so an edited or replaced one is not taken for the evaluation
 * that ran; a missing or changed picture (checked by the hashes eval recorded beside it) makes the
 * stage run again, which makes it from the kept scores without scoring a pair.
 */
export async function checkEvalOutputs(layout: RunLayout): Promise<{ readonly hash: string } | { readonly problem: UserError }> {
  const text = await readFile(layout.results, 'utf8').catch(() => undefined);
  const parsed = text === undefined ? undefined : parseJson(text);
  const results = parsed === undefined ? undefined : ResultsSchema.safeParse(parsed);
  if (text === undefined || !results?.success)
    return {
      problem: new UserError('RESULTS_MISSING', `${layout.results} is missing or not a pconv-bench results file`, {
        hint: 'Evaluate first: `pconv-bench eval <config>` (or `pconv-bench run <config>`).',
      }),
    };
  try {
    await checkSamplePictures(layout.dir, results.data.samples);
    const drilldown = await readDrilldown(layout.dir, results.data);
    return { hash: sha256Of(drilldown ? `${text}\n${drilldown.text}` : text) };
  } catch (error) {
    if (isUserError(error)) return { problem: error };
    throw error;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
