import type { ChartConfiguration } from 'chart.js';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { renderChartPng } from '../../../src/eval/report/chart-png.js';
import { comparisonChartConfig } from '../../../src/eval/report/comparison-chart-config.js';
import type { ComparisonChart } from '../../../src/eval/report/comparison-chart-data.js';
import { createIntervalMarksPlugin, INTERVAL_MARKS_PLUGIN_SOURCE } from '../../../src/eval/report/interval-marks-plugin.js';

/** One bin, one difference: interval [0.5, 1.5], mean 1, two seeds, a seed band of +/- 3 around 0. */
const chart: ComparisonChart = {
  id: 'seeds-1-psnr-no-border',
  kind: 'seeds',
  metric: 'psnr',
  border: 'no-border',
  seedGroup: 0,
  heading: 'PSNR (dB), no border',
  description: 'test',
  yTitle: ['PSNR (dB)'],
  bins: ['(0.01, 0.1]'],
  digits: 2,
  zeroLine: true,
  series: [{ label: 'PConv − Conv', colour: '#1f77b4', means: [1], intervals: [[0.5, 1.5]], perSeed: [[0.8, 1.2]], noise: [3] }],
};

async function png(plugins: ChartConfiguration['plugins'], hidden = false): Promise<Buffer> {
  const config = comparisonChartConfig(chart, { standalone: false });
  (config.data.datasets[0] as { hidden?: boolean }).hidden = hidden;
  return renderChartPng({ ...config, plugins } as unknown as ChartConfiguration, 320, 240);
}

/** Pixels of exactly this colour (RGB). */
async function count(image: Buffer, [r, g, b]: readonly [number, number, number]): Promise<number> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < data.length; i += info.channels) if (data[i] === r && data[i + 1] === g && data[i + 2] === b) n++;
  return n;
}

describe('the interval-marks plugin', () => {
  test('draws the mean line, the seed band and the zero line over what Chart.js draws alone', async () => {
    const without = await png([]);
    const withMarks = await png([createIntervalMarksPlugin()]);
    // The mean: a 3 px line of the series colour across the bar (the bar alone has a 1 px border of it).
    expect((await count(withMarks, [31, 119, 180])) - (await count(without, [31, 119, 180]))).toBeGreaterThan(40);
    // The band: black at 13% over white, (222, 222, 222), over a tall area (Chart.js's antialiasing gives a few such pixels).
    expect((await count(withMarks, [222, 222, 222])) - (await count(without, [222, 222, 222]))).toBeGreaterThan(500);
    // The zero line (#333333) across the plot.
    expect(await count(without, [51, 51, 51])).toBe(0);
    expect(await count(withMarks, [51, 51, 51])).toBeGreaterThan(150);
  });

  test("the page's copy is the same code, needing nothing from around it", async () => {
    // Evaluated alone, as the page's script does: it must not reach for anything of this module.
    const fromSource = new Function(`return ${INTERVAL_MARKS_PLUGIN_SOURCE}`)() as ReturnType<typeof createIntervalMarksPlugin>;
    expect(fromSource.id).toBe('intervalMarks');
    expect(INTERVAL_MARKS_PLUGIN_SOURCE).not.toMatch(/__name|import\(|require\(/);
    expect(Buffer.compare(await png([fromSource]), await png([createIntervalMarksPlugin()]))).toBe(0);
  });

  test('a hidden series (its legend item clicked) gets no marks; the zero line stays', async () => {
    const without = await png([], true);
    const withMarks = await png([createIntervalMarksPlugin()], true);
    expect(await count(withMarks, [31, 119, 180])).toBe(await count(without, [31, 119, 180]));
    expect(await count(withMarks, [222, 222, 222])).toBe(await count(without, [222, 222, 222]));
    expect(await count(withMarks, [51, 51, 51])).toBeGreaterThan(150);
  });
});
