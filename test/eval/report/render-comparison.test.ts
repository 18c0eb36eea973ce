import { describe, expect, test } from 'vitest';
import { CHART_COLOURS } from '../../../src/eval/report/chart-colours.js';
import { comparisonChartConfig, comparisonPngHeight } from '../../../src/eval/report/comparison-chart-config.js';
import { comparisonCharts } from '../../../src/eval/report/comparison-chart-data.js';
import { escapeHtml } from '../../../src/eval/report/escape-html.js';
import { renderComparison } from '../../../src/eval/report/render-comparison.js';
import { compareRuns } from '../../../src/eval/run-comparison.js';
import { syntheticRun } from '../../helpers/synthetic-runs.js';

const pairs = [
  { stamp: 'p0', binIndex: 0, border: 'no-border' },
  { stamp: 'p1', binIndex: 0, border: 'border' },
] as const;
/** A run folder may be called anything, "</script>" included. */
const hostile = 'x</script><img src=x onerror=alert(1)>';
const compare = compareRuns({
  runs: [
    syntheticRun('a', { pairs, models: [{ name: 'PConv', kind: 'pconv', psnr: [20, 21] }] }),
    syntheticRun(hostile, {
      pairs,
      models: [
        { name: 'PConv', kind: 'pconv', psnr: [22, 23] },
        { name: 'Telea', kind: 'classical', psnr: [18, 19] },
      ],
    }),
  ],
});
const charts = comparisonCharts(compare);
const pngs = Object.fromEntries(charts.filter((c) => c.kind === 'means').map((c) => [c.id, `data:image/png;base64,${c.id}`]));
const html = renderComparison(compare, { chartJs: 'window.ChartJsWasHere = true; // </script> in a comment', chartPngs: pngs });

describe('renderComparison: the charts', () => {
  test('a canvas per chart, with its PNG for where scripts do not run (when there is one)', () => {
    const canvases = [...html.matchAll(/<canvas id="chart-([^"]+)" width="560" height="320"/g)].map((m) => m[1]);
    expect(canvases).toEqual(charts.map((c) => c.id));
    for (const chart of charts) {
      const figure = html.slice(
        html.indexOf(`<figure class="chart" data-chart="${chart.id}">`),
        html.indexOf('</figure>', html.indexOf(`data-chart="${chart.id}"`)),
      );
      if (chart.kind === 'means')
        expect(figure).toContain(
          `<noscript><img src="data:image/png;base64,${chart.id}" alt="${figure.match(/aria-label="([^"]*)"/)?.[1]}" width="560" height="${comparisonPngHeight(chart)}"></noscript>`,
        );
      else expect(figure).not.toContain('<noscript>');
    }
  });

  test('the charts are embedded as the configurations they are drawn from, and no name can end the script early', () => {
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    // The data, Chart.js, the drawing script: nothing in them closes a script element.
    expect(scripts).toHaveLength(3);
    const data = JSON.parse(scripts[0]?.[1] ?? '') as { id: string; config: unknown }[];
    expect(data).toEqual(charts.map((chart) => ({ id: chart.id, config: comparisonChartConfig(chart, { standalone: false }) })));
    expect(scripts[1]?.[1]).toBe('window.ChartJsWasHere = true; // <\\/script> in a comment');
    expect(html).not.toContain('<img src=x');
  });

  test("each table row and legend item carries its series' colour", () => {
    const rows = [...html.matchAll(/<table class="metric" data-metric="psnr">[\s\S]*?<\/table>/g)][0]?.[0] ?? '';
    const swatches = [...rows.matchAll(/<th scope="row"><span class="swatch c(\d+)" aria-hidden="true"><\/span>([^<]*)</g)].map((m) => [Number(m[1]), m[2]]);
    expect(swatches).toEqual([
      [0, 'a/PConv'],
      [1, `${escapeHtml(hostile)}/PConv`],
      [2, `${escapeHtml(hostile)}/Telea`],
    ]);
    const series = charts.find((c) => c.id === 'means-psnr-no-border')?.series ?? [];
    expect(series.map((s) => s.colour)).toEqual([CHART_COLOURS[0], CHART_COLOURS[1], CHART_COLOURS[2]]);
    for (const [i, colour] of CHART_COLOURS.entries()) expect(html).toContain(`.swatch.c${i}{background:${colour}}`);
    const legend = html.match(/<div class="chart-group" data-kind="means" data-metric="psnr"><ul class="legend">([\s\S]*?)<\/ul>/)?.[1] ?? '';
    expect([...legend.matchAll(/<li data-series="(\d+)"><span class="swatch c(\d+)"/g)].map((m) => [m[1], m[2]])).toEqual([
      ['0', '0'],
      ['1', '1'],
      ['2', '2'],
    ]);
  });
});
