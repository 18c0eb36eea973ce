import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChartConfiguration } from 'chart.js';
import { writeFileAtomic } from '../../core/io/atomic.js';
import { COMPARE_FILES } from '../../protocol/compare.js';
import { renderChartPng } from './chart-png.js';
import { COMPARISON_CHART_SIZE, comparisonChartConfig, comparisonPngHeight } from './comparison-chart-config.js';
import { COMPARISON_CHART_KINDS, type ComparisonChart } from './comparison-chart-data.js';
import { createIntervalMarksPlugin } from './interval-marks-plugin.js';

/** A chart PNG of ours in DIR/assets: "<kind>-....png". */
const CHART_FILE = new RegExp(`^(?:${COMPARISON_CHART_KINDS.join('|')})-[A-Za-z0-9-]+\\.png$`);

/**
 * The comparison's charts as PNGs (as the run report has them): written to DIR/assets/<id>.png for
 * slides and papers, and returned as data: URIs for the page, which shows them where scripts do not
 * run (<noscript>: the VS Code panel, a mail client). Chart PNGs of an earlier comparison into the
 * same folder that this one does not draw (a seed group that is gone) are removed, so the folder
 * never shows a chart of other runs; other files there are left alone.
 */
export async function writeComparisonCharts(out: string, charts: readonly ComparisonChart[]): Promise<Record<string, string>> {
  const dir = join(out, COMPARE_FILES.assets);
  await mkdir(dir, { recursive: true });
  const uris: Record<string, string> = {};
  const plugin = createIntervalMarksPlugin();
  for (const chart of charts) {
    const config = { ...comparisonChartConfig(chart, { standalone: true }), plugins: [plugin] } as unknown as ChartConfiguration;
    const png = await renderChartPng(config, COMPARISON_CHART_SIZE.width, comparisonPngHeight(chart));
    await writeFileAtomic(join(dir, `${chart.id}.png`), png);
    uris[chart.id] = `data:image/png;base64,${png.toString('base64')}`;
  }
  const drawn = new Set(charts.map((c) => `${c.id}.png`));
  for (const file of await readdir(dir)) {
    if (CHART_FILE.test(file) && !drawn.has(file)) await rm(join(dir, file), { force: true });
  }
  return uris;
}
