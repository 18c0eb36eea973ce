import { access } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { isUserError } from '../../../src/core/errors.js';
import { DRILLDOWN_UNAVAILABLE, EVALUATE_AGAIN, readDrilldownFile } from '../../../src/eval/drilldown/read-drilldown-file.js';
import { type Drilldown, drilldownPicturePaths } from '../../../src/protocol/drilldown.js';
import type { Results } from '../../../src/protocol/results.js';
import { RUN_FILES } from '../../../src/protocol/run-layout.js';
import { ReportDataError } from './report-data-error.js';

/** The report panel's drill-down: the checked drilldown.json and its pictures as webview URIs, or why there is none. */
export type PanelDrilldown =
  | { readonly drilldown: Drilldown; readonly images: Readonly<Record<string, string>> }
  | { readonly drilldownUnavailable: string; readonly images: Readonly<Record<string, string>> };

/**
 * A run's worst and best pairs for the report panel, read as the CLI's report reads them
 * (src/eval/drilldown/read-drilldown-file.ts: the schema, and the same mask set and models as
 * results.json), with the same words when there is none. Each picture must be in the run folder
 * (the panel's only local resource root besides the extension's) and present; unlike the CLI, the
 * panel does not hash them against their stamps: that check lives beside the sharp code that
 * writes them, and reading every full-size picture would slow the panel down for what `eval` and
 * `report` already refuse.
 */
export async function loadPanelDrilldown(runDir: string, results: Results, imageUri: (absolutePath: string) => string): Promise<PanelDrilldown> {
  let read: Awaited<ReturnType<typeof readDrilldownFile>>;
  try {
    read = await readDrilldownFile(runDir, results);
  } catch (error) {
    if (isUserError(error)) throw new ReportDataError(error.message, error.hint ?? EVALUATE_AGAIN);
    throw error;
  }
  if (!read) return { drilldownUnavailable: DRILLDOWN_UNAVAILABLE, images: {} };
  const images: Record<string, string> = {};
  for (const path of drilldownPicturePaths(read.drilldown)) {
    // eval writes them under drilldown/; a path leading out of the run folder is not one it wrote.
    if (isAbsolute(path) || path.split(/[\\/]/).includes('..'))
      throw new ReportDataError(`${join(runDir, RUN_FILES.drilldown)} lists a picture outside the run folder (${path})`, EVALUATE_AGAIN);
    const file = join(runDir, path);
    try {
      await access(file);
    } catch {
      throw new ReportDataError(`drill-down picture ${file} is missing (${RUN_FILES.drilldown} lists it)`, EVALUATE_AGAIN);
    }
    images[path] = imageUri(file);
  }
  return { drilldown: read.drilldown, images };
}
