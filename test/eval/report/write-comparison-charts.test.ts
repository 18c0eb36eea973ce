import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { COMPARISON_CHART_SIZE, comparisonPngHeight } from '../../../src/eval/report/comparison-chart-config.js';
import { comparisonCharts } from '../../../src/eval/report/comparison-chart-data.js';
import { writeComparisonCharts } from '../../../src/eval/report/write-comparison-charts.js';
import { compareRuns } from '../../../src/eval/run-comparison.js';
import { syntheticRun } from '../../helpers/synthetic-runs.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();
const pairs = [
  { stamp: 'p0', binIndex: 0, border: 'no-border' },
  { stamp: 'p1', binIndex: 1, border: 'no-border' },
] as const;
const run = (name: string, psnr: number[]) => syntheticRun(name, { pairs, models: [{ name: 'PConv', kind: 'pconv', psnr }] });

describe('writeComparisonCharts', () => {
  test('a PNG per chart in assets/, the same bytes as the data: URI the page shows; a chart of an earlier comparison that it no longer draws is removed, other files kept', async () => {
    const out = await tempDir();
    await mkdir(join(out, 'assets'), { recursive: true });
    // Left by an earlier comparison of other runs (a seed group), and files that are not charts of ours.
    await writeFile(join(out, 'assets', 'seeds-1-psnr-border.png'), 'old chart');
    await writeFile(join(out, 'assets', 'metric-psnr.png'), 'a report chart');
    await writeFile(join(out, 'assets', 'notes.txt'), 'mine');
    const charts = comparisonCharts(compareRuns({ runs: [run('a', [20, 21]), run('b', [22, 23])] }));
    const uris = await writeComparisonCharts(out, charts);
    const files = charts.map((c) => `${c.id}.png`);
    expect(files).toHaveLength(8);
    expect((await readdir(join(out, 'assets'))).sort()).toEqual([...files, 'metric-psnr.png', 'notes.txt'].sort());
    expect(Object.keys(uris)).toEqual(charts.map((c) => c.id));
    for (const chart of charts) {
      const bytes = await readFile(join(out, 'assets', `${chart.id}.png`));
      expect(uris[chart.id]).toBe(`data:image/png;base64,${bytes.toString('base64')}`);
      const { width, height } = await sharp(bytes).metadata();
      expect([width, height]).toEqual([COMPARISON_CHART_SIZE.width, comparisonPngHeight(chart)]);
      // Not blank: the plot, legend and title in more than a handful of colours.
      const { data } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 3) colours.add(((data[i] as number) << 16) | ((data[i + 1] as number) << 8) | (data[i + 2] as number));
      expect(colours.size).toBeGreaterThan(20);
    }
  });
});
