import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseResultsText, type Results } from '../../../src/protocol/results.js';
import { RUN_FILES, runLayout } from '../../../src/protocol/run-layout.js';
import type { ReportPanelArgs } from '../webview/report/report-panel-html.js';
import { reportImagePaths, trainingCurvesFromLogs } from '../webview/report/training-curves.js';
import { ReportDataError } from './report-data-error.js';
import { loadPanelDrilldown } from './report-drilldown.js';

export type ReportData = Pick<
  ReportPanelArgs,
  'results' | 'training' | 'images' | 'chartJs' | 'configYaml' | 'trainingRecord' | 'drilldown' | 'drilldownUnavailable' | 'pairsPage'
>;

/** Where report-panel.ts and the tests take it from. */
export { ReportDataError } from './report-data-error.js';

async function readResults(path: string): Promise<Results> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ReportDataError(`no ${RUN_FILES.results} at ${path}`, 'Evaluate the run first: pconv-bench eval <config> --run <dir> (or Run Experiment).');
  }
  const read = parseResultsText(text, path, 'this extension');
  if (read.ok) return read.results;
  throw new ReportDataError(
    read.message,
    read.problem === 'format' ? 'Re-run pconv-bench eval with the CLI version this extension was built with.' : 'Re-run pconv-bench eval to write it again.',
  );
}

/**
 * Everything the report panel shows, read from a run folder the way the CLI's `report` reads it:
 * its results (validated), training.json, the training logs, the sample images and the drill-down
 * (drilldown.json and its pictures, or why there is none). `imageUri` turns a picture's
 * absolute path into what the webview loads (webview.asWebviewUri), so images are not copied
 * into the HTML. Chart.js is the copy the build put in dist/media.
 */
export async function loadReportData(runDir: string, chartJsFile: string, imageUri: (absolutePath: string) => string): Promise<ReportData> {
  const layout = runLayout(runDir);
  const results = await readResults(layout.results);
  const logs: Partial<Record<'pconv' | 'conv', string>> = {};
  for (const kind of ['pconv', 'conv'] as const) {
    try {
      logs[kind] = await readFile(layout.trainLog(kind), 'utf8');
    } catch {
      // A run evaluated from imported checkpoints has no training log: no curve for it.
    }
  }
  // training.json (split sizes, training backend) for the methods section, read as the CLI's report
  // reads it: missing or unreadable, the section says "not recorded".
  const trainingRecord: unknown = await readFile(layout.training, 'utf8')
    .then((text) => JSON.parse(text) as unknown)
    .catch(() => undefined);
  const images: Record<string, string> = {};
  for (const path of reportImagePaths(results)) {
    const file = join(runDir, path);
    try {
      await access(file);
    } catch {
      throw new ReportDataError(`sample image ${file} is missing`, 'Re-run pconv-bench eval to write the samples again.');
    }
    images[path] = imageUri(file);
  }
  const { images: pictures, ...drilldown } = await loadPanelDrilldown(runDir, results, imageUri);
  Object.assign(images, pictures);
  // The table of every pair, which the panel's bridge asks the host to open; a run reported before
  // it existed has none, and then no link.
  const pairsPage = await access(join(runDir, RUN_FILES.pairsPage)).then(
    () => RUN_FILES.pairsPage,
    () => undefined,
  );
  let chartJs: string;
  try {
    chartJs = await readFile(chartJsFile, 'utf8');
  } catch {
    throw new ReportDataError(`Chart.js is missing from the extension (${chartJsFile})`, 'Rebuild the extension: npm run build in extension/.');
  }
  return {
    results,
    training: trainingCurvesFromLogs(results, logs),
    images,
    chartJs,
    configYaml: stringify(results.config),
    trainingRecord,
    ...drilldown,
    ...(pairsPage ? { pairsPage } : {}),
  };
}
