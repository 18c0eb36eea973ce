import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { writeFileAtomic } from '../../core/io/atomic.js';
import { sha256Of } from '../../core/io/stable-json.js';
import type { Drilldown } from '../../protocol/drilldown.js';
import { type MaskEntry, MaskManifestSchema } from '../../protocol/mask-manifest.js';
import type { Results } from '../../protocol/results.js';
import { RUN_FILES, RUN_FOLDERS, runLayout } from '../../protocol/run-layout.js';
import type { ImageMetrics } from '../metrics.js';
import { readStoredScores } from '../pair-scores-store.js';
import { scoresDisagreement } from '../scores-against-results.js';
import { type PairsTableData, pairsTableData } from './pairs-table-data.js';
import { renderPairsPage } from './render-pairs-page.js';

/**
 * Writes <runDir>/pairs.html, the table of every pair, from the run's per-pair scores (scores/) and
 * mask manifest, checked to be the evaluation results.json reports. A run without them (evaluated
 * before per-pair scores were kept, a folder copied without masks/) still gets its report: the page
 * then says what is missing and how to get it, and so does the returned note.
 */
export async function writePairsPage(runDir: string, results: Results, drilldown: Drilldown | undefined): Promise<{ path: string; note?: string }> {
  const read = await readPairs(runDir, results);
  const table: PairsTableData | { unavailable: string } =
    'unavailable' in read
      ? read
      : pairsTableData({ models: results.models.map((m) => m.name), entries: read.entries, scores: read.scores, drilldown, masksDir: RUN_FOLDERS.masks });
  const path = runLayout(runDir).pairsPage;
  await writeFileAtomic(path, renderPairsPage({ title: `pconv-bench: ${results.experiment.name}: every pair`, reportHref: RUN_FILES.report, table }));
  return 'unavailable' in read ? { path, note: `${RUN_FILES.pairsPage} has no table: ${read.unavailable}` } : { path };
}

async function readPairs(
  runDir: string,
  results: Results,
): Promise<{ entries: readonly MaskEntry[]; scores: Map<string, Map<number, { metrics: ImageMetrics }>> } | { unavailable: string }> {
  const layout = runLayout(runDir);
  const again = `evaluate again (pconv-bench eval <config> --run ${runDir}) to write them`;
  const manifestBytes = await readFile(layout.maskManifest).catch(() => undefined);
  const manifestName = relative(runDir, layout.maskManifest);
  if (manifestBytes === undefined)
    return { unavailable: `${manifestName} is missing (the table reads each pair's bin and mask from it): put the run's masks/ folder back` };
  if (sha256Of(manifestBytes) !== results.masks.manifestSha256)
    return { unavailable: `${manifestName} is not the mask set ${RUN_FILES.results} evaluated: put that masks/ folder back, or ${again}` };
  let manifestJson: unknown;
  try {
    manifestJson = JSON.parse(manifestBytes.toString('utf8'));
  } catch {
    manifestJson = undefined;
  }
  const manifest = MaskManifestSchema.safeParse(manifestJson);
  if (!manifest.success) return { unavailable: `${manifestName} does not match the mask manifest schema` };
  const scores = new Map<string, Map<number, { metrics: ImageMetrics }>>();
  for (const model of results.models) {
    const stored = await readStoredScores(runDir, model.name);
    if (stored.files.length === 0) return { unavailable: `there are no per-pair scores of ${model.name} in ${RUN_FOLDERS.scores}/: ${again}` };
    if (stored.fingerprints.length > 1)
      return { unavailable: `${RUN_FOLDERS.scores}/ holds scores of ${model.name} from ${stored.fingerprints.length} different evaluations: ${again}` };
    scores.set(model.name, stored.scores);
  }
  const disagreement = scoresDisagreement(results, manifest.data.masks, scores);
  if (disagreement !== undefined) return { unavailable: `${disagreement}: ${again}` };
  return { entries: manifest.data.masks, scores };
}
