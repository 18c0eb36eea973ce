import { readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { UserError } from '../core/errors.js';
import { sha256Of } from '../core/io/stable-json.js';
import { type MaskEntry, MaskManifestSchema } from '../protocol/mask-manifest.js';
import { parseResultsText, type Results } from '../protocol/results.js';
import { runLayout } from '../protocol/run-layout.js';
import type { ImageMetrics } from './metrics.js';
import { readStoredScores, scoresFileName } from './pair-scores-store.js';
import { scoresDisagreement } from './scores-against-results.js';

/** What `compare` reads of one evaluated run folder. */
export interface ComparedRunFiles {
  readonly results: Results;
  readonly entries: readonly MaskEntry[];
  readonly scores: ReadonlyMap<string, ReadonlyMap<number, { readonly stamp: string; readonly metrics: ImageMetrics }>>;
}

const EVAL_FIRST = (dir: string) => `Evaluate it: pconv-bench eval <config> --run ${dir}`;

/**
 * Reads an evaluated run folder for `compare`: results.json, the mask set it was evaluated on (each
 * pair's bin and border subset) and every model's per-pair scores, checked against results.json (a
 * scores/ folder of another evaluation than results.json's would compare other numbers than the
 * run reports). Each problem is an error naming the run folder and the file.
 */
export async function readComparedRun(dir: string): Promise<ComparedRunFiles> {
  const layout = runLayout(dir);
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new UserError('COMPARE_NO_RUN', `run folder ${dir} does not exist`, { hint: 'Pass run folders written by `pconv-bench run` or `eval`.' });
  if (!info.isDirectory()) throw new UserError('COMPARE_NO_RUN', `${dir} is not a folder`, { hint: 'Pass run folders, not files.' });

  const text = await readFile(layout.results, 'utf8').catch(() => undefined);
  if (text === undefined)
    throw new UserError('COMPARE_NO_RESULTS', `run ${dir} has no results.json: run \`pconv-bench eval\` first`, { hint: EVAL_FIRST(dir) });
  const read = parseResultsText(text, layout.results, 'this version');
  if (!read.ok)
    throw new UserError(read.problem === 'format' ? 'RESULTS_SCHEMA' : 'RESULTS_INVALID', `run ${dir}: ${read.message}`, {
      hint: `Evaluate it again with this version: pconv-bench eval <config> --run ${dir}`,
    });
  const results = read.results;

  const manifestBytes = await readFile(layout.maskManifest).catch(() => undefined);
  if (manifestBytes === undefined)
    throw new UserError(
      'COMPARE_NO_MASKS',
      `run ${dir} has no ${relative(dir, layout.maskManifest)}: compare reads each pair's bin and border subset from it`,
      {
        hint: 'Keep the masks/ folder the run was evaluated with.',
      },
    );
  if (sha256Of(manifestBytes) !== results.masks.manifestSha256)
    throw new UserError('COMPARE_MASKS_CHANGED', `run ${dir}: ${relative(dir, layout.maskManifest)} is not the mask set its results.json evaluated`, {
      hint: `Restore the masks/ folder it was evaluated with, or evaluate it again: pconv-bench eval <config> --run ${dir}`,
    });
  const parsed = MaskManifestSchema.safeParse(JSON.parse(manifestBytes.toString('utf8')));
  if (!parsed.success) throw new UserError('COMPARE_NO_MASKS', `run ${dir}: ${relative(dir, layout.maskManifest)} does not match the mask manifest schema`);
  const entries = parsed.data.masks;

  const scores = new Map<string, Map<number, { stamp: string; metrics: ImageMetrics }>>();
  for (const model of results.models) {
    const stored = await readStoredScores(dir, model.name);
    const file = join('scores', scoresFileName(model.name));
    if (stored.files.length === 0)
      throw new UserError('COMPARE_NO_SCORES', `run ${dir} has no per-pair scores of ${model.name} (${file}): run \`pconv-bench eval\` again to write them`, {
        hint: `pconv-bench eval <config> --run ${dir}`,
      });
    if (stored.fingerprints.length > 1)
      throw new UserError(
        'COMPARE_STALE_SCORES',
        `run ${dir} holds per-pair scores of ${model.name} from ${stored.fingerprints.length} different evaluations`,
        {
          details: stored.files.map((f) => relative(dir, f)),
          hint: `Evaluate it again (pconv-bench eval <config> --run ${dir}), which keeps only the scores of its models.`,
        },
      );
    scores.set(model.name, new Map([...stored.scores].map(([k, s]) => [k, { stamp: s.stamp, metrics: s.metrics }])));
  }
  checkAgainstResults(dir, results, entries, scores);
  return { results, entries, scores };
}

/** The scores summarise to results.json's rows, or they are not the evaluation it reports. */
function checkAgainstResults(
  dir: string,
  results: Results,
  entries: readonly MaskEntry[],
  scores: ReadonlyMap<string, ReadonlyMap<number, { readonly metrics: ImageMetrics }>>,
): void {
  const disagreement = scoresDisagreement(results, entries, scores);
  if (disagreement !== undefined)
    throw new UserError('COMPARE_STALE_SCORES', `run ${dir}: ${disagreement}`, {
      hint: `Evaluate it again so both come from one evaluation: pconv-bench eval <config> --run ${dir}`,
    });
}
