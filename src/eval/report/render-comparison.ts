import type { Compare, CompareSummary } from '../../protocol/compare.js';
import { METRIC_DIRECTION, METRIC_NAMES, type MetricName } from '../../protocol/results.js';
import { CHART_COLOURS } from './chart-colours.js';
import { inlineScriptText } from './chart-js-source.js';
import { COMPARISON_CHART_SIZE, comparisonChartConfig, comparisonPngHeight } from './comparison-chart-config.js';
import { betweenRunRows, type ComparisonChart, type ComparisonChartKind, comparisonCharts, runModelRows, seedEffectRows } from './comparison-chart-data.js';
import { escapeHtml } from './escape-html.js';
import { INTERVAL_MARKS_PLUGIN_SOURCE } from './interval-marks-plugin.js';
import { DIGITS, METRIC_LABELS } from './render-report.js';
import { REPORT_CSS } from './report-style.js';

/**
 * The page of `pconv-bench compare`: several runs on the pairs they share, as one self-contained
 * HTML string in the run report's look (its stylesheet, tables, colours and inlined Chart.js).
 * Pure: every number it shows is in compare.json, which is written beside it; the charts are drawn
 * from comparison-chart-data.ts, each series a row of the table above it, with that row's colour
 * beside the row.
 */
export interface ComparisonPageCharts {
  /** The Chart.js UMD build, inlined. */
  readonly chartJs: string;
  /** Chart id -> data: URI of its PNG, shown where scripts do not run (the VS Code panel). */
  readonly chartPngs: Readonly<Record<string, string>>;
}

type Cell = Compare['groups'][number];
const subsetName = (border: Cell['border']) => (border === 'border' ? 'border' : 'no border');
const cellKey = (c: { binIndex: number; border: string }) => `${c.binIndex}|${c.border}`;
const fixed = (metric: MetricName, v: number) => v.toFixed(DIGITS[metric]);
const signed = (metric: MetricName, v: number) => `${v >= 0 ? '+' : ''}${fixed(metric, v)}`;
/** The colour of a row's series in the charts, before its header (a class: the VS Code panel's policy refuses style attributes). */
const swatch = (index: number) => `<span class="swatch c${index % CHART_COLOURS.length}" aria-hidden="true"></span>`;

/** Two header rows: each bin over its subsets, as the run report has them. */
function header(groups: readonly Cell[], corner: string): string {
  const bins = [...new Map(groups.map((g) => [g.binIndex, g.bin])).entries()];
  const head1 = bins.map(([binIndex, bin]) => `<th colspan="${groups.filter((g) => g.binIndex === binIndex).length}">${escapeHtml(bin)}</th>`).join('');
  const head2 = groups.map((g) => `<th>${subsetName(g.border)}</th>`).join('');
  return `<thead><tr><th rowspan="2">${corner}</th>${head1}</tr><tr>${head2}</tr></thead>`;
}

/** The 95% interval of a summary in words, for a cell's title. */
function intervalText(metric: MetricName, s: CompareSummary): string {
  const [lo, hi] = s.ci95;
  return lo === null || hi === null ? `n ${s.n}` : `95% CI [${fixed(metric, lo)}, ${fixed(metric, hi)}], sd ${fixed(metric, s.std ?? 0)}, n ${s.n}`;
}

/** green where the interval excludes 0 in favour of the first operand, red where against it. */
function verdictClass(metric: MetricName, s: CompareSummary): string {
  const [lo, hi] = s.ci95;
  if (s.mean === null || lo === null || hi === null || !(lo > 0 || hi < 0)) return '';
  const good = METRIC_DIRECTION[metric] === 'lower' ? s.mean < 0 : s.mean > 0;
  return good ? 'better' : 'worse';
}

function metricTable(compare: Compare, metric: MetricName): string {
  const labels = runModelRows(compare);
  const best = new Map<string, number>();
  for (const g of compare.groups) {
    const means = compare.rows
      .filter((r) => cellKey(r) === cellKey(g))
      .map((r) => r.metrics[metric].mean)
      .filter((v): v is number => v !== null);
    if (means.length > 0) best.set(cellKey(g), METRIC_DIRECTION[metric] === 'lower' ? Math.min(...means) : Math.max(...means));
  }
  const body = labels.map(({ label, run, model }, row) => {
    const cells = compare.groups.map((g) => {
      const s = compare.rows.find((r) => r.label === label && cellKey(r) === cellKey(g))?.metrics[metric];
      if (!s || s.mean === null) return '<td>-</td>';
      const half = s.ci95[1] === null ? '' : `<span class="ci">&plusmn;${fixed(metric, s.ci95[1] - s.mean)}</span>`;
      return `<td class="${best.get(cellKey(g)) === s.mean ? 'best' : ''}" title="${escapeHtml(intervalText(metric, s))}">${fixed(metric, s.mean)}${half}</td>`;
    });
    return `<tr data-run="${escapeHtml(run)}" data-model="${escapeHtml(model)}"><th scope="row">${swatch(row)}${escapeHtml(label)}</th>${cells.join('')}</tr>`;
  });
  const better = METRIC_DIRECTION[metric] === 'lower' ? 'lower is better' : 'higher is better';
  return `<h3>${METRIC_LABELS[metric]} <small>(${better}; best per column in bold; &plusmn; is the 95% interval's half-width)</small></h3>
<table class="metric" data-metric="${metric}">${header(compare.groups, 'run/model')}<tbody>
${body.join('\n')}
</tbody></table>`;
}

function pairedTable(compare: Compare, metric: MetricName): string {
  const pairs = betweenRunRows(compare);
  if (pairs.length === 0) return '';
  const body = pairs.map(({ model, run, against }, row) => {
    const cells = compare.groups.map((g) => {
      const d = compare.paired.find(
        (p) => p.model === model && p.run === run && p.against === against && p.metric === metric && cellKey(p) === cellKey(g),
      )?.difference;
      if (!d || d.mean === null) return '<td>-</td>';
      const [lo, hi] = d.ci95;
      const interval = lo === null || hi === null ? '' : `<span class="ci">[${signed(metric, lo)}, ${signed(metric, hi)}]</span>`;
      return `<td class="${verdictClass(metric, d)}" title="${escapeHtml(intervalText(metric, d))}">${signed(metric, d.mean)}${interval}</td>`;
    });
    return `<tr data-model="${escapeHtml(model)}" data-run="${escapeHtml(run)}" data-against="${escapeHtml(against)}"><th scope="row">${swatch(row)}${escapeHtml(`${run}/${model}`)} &minus; ${escapeHtml(`${against}/${model}`)}</th>${cells.join('')}</tr>`;
  });
  return `<h3>${METRIC_LABELS[metric]}: between runs</h3>
<table class="paired" data-metric="${metric}">${header(compare.groups, 'difference')}<tbody>
${body.join('\n')}
</tbody></table>`;
}

function seedTable(compare: Compare, group: Compare['seedGroups'][number], metric: MetricName): string {
  const k = group.runs.length;
  const spreadRows = group.models.map((model) => {
    const cells = compare.groups.map((g) => {
      const s = group.spread.find((x) => x.model === model && x.metric === metric && cellKey(x) === cellKey(g));
      if (!s || s.mean === null) return '<td>-</td>';
      const perRun = s.runMeans.map((v, i) => `${group.runs[i]}: ${v === null ? '-' : fixed(metric, v)}`).join(', ');
      return `<td title="${escapeHtml(perRun)}">${fixed(metric, s.mean)}<span class="ci">seed SD ${s.sd === null ? '-' : fixed(metric, s.sd)}</span></td>`;
    });
    return `<tr class="spread" data-model="${escapeHtml(model)}"><th scope="row">${escapeHtml(model)}: run means</th>${cells.join('')}</tr>`;
  });
  const pairs = seedEffectRows(group);
  const effectRows = pairs.map(({ model, against }, row) => {
    const cells = compare.groups.map((g) => {
      const e = group.effects.find((x) => x.model === model && x.against === against && x.metric === metric && cellKey(x) === cellKey(g));
      const s = e?.acrossSeeds;
      if (!e || !s || s.mean === null) return '<td>-</td>';
      const [lo, hi] = s.ci95;
      const ratio = s.std !== null && s.std > 0 ? `; |effect| / seed SD of the effect ${(Math.abs(s.mean) / s.std).toFixed(1)}` : '';
      const perSeed = e.perSeed.map((v, i) => `${group.runs[i]}: ${v === null ? '-' : signed(metric, v)}`).join(', ');
      const interval = lo === null || hi === null || k < 2 ? '' : `; 95% [${signed(metric, lo)}, ${signed(metric, hi)}]`;
      return `<td class="${k < 2 ? '' : verdictClass(metric, s)}" title="${escapeHtml(`${perSeed}${ratio}`)}">${signed(metric, s.mean)}<span class="ci">seed SD ${s.std === null ? '-' : fixed(metric, s.std)}${interval}</span></td>`;
    });
    return `<tr class="effect" data-model="${escapeHtml(model)}" data-against="${escapeHtml(against)}"><th scope="row">${swatch(row)}${escapeHtml(model)} &minus; ${escapeHtml(against)}</th>${cells.join('')}</tr>`;
  });
  return `<h4>${METRIC_LABELS[metric]}</h4>
<table class="seeds" data-metric="${metric}">${header(compare.groups, `${k} seeds`)}<tbody>
${[...spreadRows, ...effectRows].join('\n')}
</tbody></table>`;
}

function seedsSection(compare: Compare, charts: (group: number) => string): string {
  if (compare.seedGroups.length === 0)
    return '<p>No two of these runs have the same config apart from <code>seed</code>, so there is no seed-to-seed spread to show.</p>';
  return compare.seedGroups
    .map((group, i) => {
      const runs = group.runs.map((run, j) => `${escapeHtml(run)} (seed ${group.seeds[j] ?? 'not recorded'})`).join(', ');
      return `<section class="seed-group" data-group="${i}">
<h3>${runs}</h3>
<p>The same config apart from <code>seed</code>${group.ignoredKeys.length > 0 ? ` (and ${group.ignoredKeys.map((key) => `<code>${escapeHtml(key)}</code>`).join(', ')}, which do not change what is computed)` : ''}. In every cell, on its shared pairs:
<b>run means</b>: each run's mean of the model, then their mean and <b>seed SD</b>, the sample standard deviation of those ${group.runs.length} means (n - 1 in the denominator);
<b>${escapeHtml(group.effects[0]?.model ?? 'model')} &minus; other</b>: in each run the mean of the pair-by-pair differences between the two models, then their mean across the runs, their seed SD and the 95% t interval across the runs (${group.runs.length - 1} ${group.runs.length === 2 ? 'degree' : 'degrees'} of freedom: with few seeds it is wide, t(0.975, 1) = 12.7). Green or red where that interval excludes 0: the difference between the models exceeds what changing the seed moved it by. Hover a cell for each run's value.</p>
<div class="table-wrap">${METRIC_NAMES.map((metric) => seedTable(compare, group, metric)).join('\n')}</div>
${charts(i)}
</section>`;
    })
    .join('\n');
}

function configTable(compare: Compare): string {
  if (compare.configDifferences.length === 0) return "<p>The runs' resolved configs are identical.</p>";
  const head = compare.runs.map((r) => `<th>${escapeHtml(r.name)}</th>`).join('');
  const rows = compare.configDifferences.map(
    (d) =>
      `<tr data-key="${escapeHtml(d.key)}"><th scope="row"><code>${escapeHtml(d.key)}</code>${d.ignoredForSeeds ? ' <small>(not compared for seeds)</small>' : ''}</th>${d.values.map((v) => `<td class="text">${v === null ? '<i>unset</i>' : escapeHtml(v)}</td>`).join('')}</tr>`,
  );
  return `<table class="config"><thead><tr><th>key</th>${head}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

function runsTable(compare: Compare): string {
  const rows = compare.runs.map(
    (r) =>
      `<tr data-run="${escapeHtml(r.name)}"><th scope="row">${escapeHtml(r.name)}</th><td class="text">${escapeHtml(r.dir)}</td><td class="text">${escapeHtml(r.experiment)}</td><td>${r.seed ?? '-'}</td><td class="text">${r.models.map((m) => escapeHtml(m.name)).join(', ')}</td><td>${r.pairs}</td><td>${compare.sharedPairs}</td><td>${r.testImages}</td><td class="text"><code>${escapeHtml(r.manifestSha256.slice(0, 12))}</code></td></tr>`,
  );
  return `<table class="runs"><thead><tr><th>run</th><th>folder</th><th>experiment</th><th>seed</th><th>models</th><th>pairs scored</th><th>shared</th><th>test images</th><th>mask set (sha256)</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

function groupsTable(compare: Compare): string {
  return `<table class="groups">${header(compare.groups, '')}<tbody><tr><th scope="row">shared pairs</th>${compare.groups.map((g) => `<td>${g.pairs}</td>`).join('')}</tr></tbody></table>`;
}

/** One chart: its canvas, and its PNG (title and legend drawn in) for where scripts do not run. */
function chartFigure(chart: ComparisonChart, png: string | undefined): string {
  const { width, height } = COMPARISON_CHART_SIZE;
  const title = escapeHtml(`${chart.heading}: ${chart.description}`);
  const fallback = png ? `<noscript><img src="${png}" alt="${title}" width="${width}" height="${comparisonPngHeight(chart)}"></noscript>` : '';
  return `<figure class="chart" data-chart="${chart.id}"><figcaption>${title}</figcaption><canvas id="chart-${chart.id}" width="${width}" height="${height}" role="img" aria-label="${title}"></canvas>${fallback}</figure>`;
}

/** One legend for a row of charts with the same series: in HTML, so that it wraps instead of squeezing the plots. */
function legend(chart: ComparisonChart): string {
  const items = chart.series.map((s, i) => `<li data-series="${i}">${swatch(i)}${escapeHtml(s.label)}</li>`);
  return `<ul class="legend">${items.join('')}</ul>`;
}

/** The charts of one kind (and seed group), a metric per row, no border and border side by side under their legend. */
function chartRows(
  charts: readonly ComparisonChart[],
  pngs: ComparisonPageCharts['chartPngs'],
  kind: ComparisonChartKind,
  seedGroup: number | null = null,
): string {
  const chosen = charts.filter((c) => c.kind === kind && c.seedGroup === seedGroup);
  return METRIC_NAMES.map((metric) => chosen.filter((c) => c.metric === metric))
    .filter((row) => row.length > 0)
    .map(
      (row) =>
        `<div class="chart-group" data-kind="${kind}" data-metric="${row[0]?.metric}">${legend(row[0] as ComparisonChart)}<div class="chart-row">${row.map((c) => chartFigure(c, pngs[c.id])).join('')}</div></div>`,
    )
    .join('\n');
}

const hasSeedBands = (charts: readonly ComparisonChart[], kind: ComparisonChartKind) =>
  charts.some((c) => c.kind === kind && c.series.some((s) => s.noise?.some((n) => n !== null && n > 0)));

function betweenRunsCharts(charts: readonly ComparisonChart[], pngs: ComparisonPageCharts['chartPngs']): string {
  const band = hasSeedBands(charts, 'between-runs')
    ? ' Grey band behind a bar (where a run is one of several seeds): &plusmn; the spread that changing the seed alone gives a difference of two runs&apos; means, &radic;(SD<sub>1</sub>&sup2; + SD<sub>2</sub>&sup2;) with each SD the model&apos;s seed SD in that run&apos;s seed group (the seed tables below; a run without seeds is taken to vary as its partner does). A mean line outside the band moved more than the seed alone moves it.'
    : '';
  return `<p>The rows above as charts, in the colour beside each row: the bar spans the 95% interval, the thick line is the mean difference, the black line is 0 (a bar clear of it is a green or red cell).${band}</p>
${chartRows(charts, pngs, 'between-runs')}`;
}

function seedCharts(charts: readonly ComparisonChart[], pngs: ComparisonPageCharts['chartPngs'], group: number): string {
  const rows = chartRows(charts, pngs, 'seeds', group);
  if (!rows) return '';
  return `<p>The differences between models as charts, in the colour beside each row: a hollow dot per seed (the difference in that run), the thick line their mean across the seeds, the bar its 95% interval across the seeds, and behind it in grey &plusmn; the seed SD of the difference. Is the effect larger than the noise? A mean line outside the grey band moved more than changing the seed moves it; a bar clear of the black line at 0 is a green or red cell.</p>
${rows}`;
}

/**
 * Draws every canvas from #compare-charts with the interval-marks plugin; tooltips give a bar's
 * numbers as the tables print them, and a click on a legend item hides or shows that series in the
 * charts of its row.
 */
const CHART_SCRIPT = `(function(){
var intervalMarks=${INTERVAL_MARKS_PLUGIN_SOURCE};
var charts=JSON.parse(document.getElementById('compare-charts').textContent);
function number(v,digits,sign){return typeof v!=='number'?'-':(sign&&v>=0?'+':'')+v.toFixed(digits);}
charts.forEach(function(c){
  var el=document.getElementById('chart-'+c.id);if(!el)return;
  var marks=c.config.options.plugins.intervalMarks,digits=marks.digits,sign=marks.zeroLine;
  c.config.options.plugins.tooltip={callbacks:{label:function(ctx){
    var d=ctx.dataset,i=ctx.dataIndex,iv=d.intervals[i],text=d.label+': '+number(d.means[i],digits,sign);
    if(iv)text+=', 95% ['+number(iv[0],digits,sign)+', '+number(iv[1],digits,sign)+']';
    if(d.noise&&typeof d.noise[i]==='number')text+=', seed band \\u00b1'+number(d.noise[i],digits,false);
    return text;}}};
  c.config.plugins=[intervalMarks];
  new Chart(el,c.config);
});
document.querySelectorAll('.chart-group').forEach(function(group){
  var legend=group.querySelector('.legend');if(!legend)return;
  legend.classList.add('toggles');
  legend.querySelectorAll('li').forEach(function(li){li.addEventListener('click',function(){
    var i=Number(li.getAttribute('data-series')),off=li.classList.toggle('off');
    group.querySelectorAll('canvas').forEach(function(el){var chart=Chart.getChart(el);if(chart){chart.setDatasetVisibility(i,!off);chart.update();}});
  });});
});
})();`;

const SWATCH_CSS = CHART_COLOURS.map((colour, i) => `.swatch.c${i}{background:${colour}}`).join('');
const COMPARE_CSS = `.note{background:#fff7e0;border-left:4px solid #e0a800;padding:.4rem .7rem;margin:.5rem 0}h4{font-size:.95rem;margin:1rem 0 .2rem}code{font-size:.9em}
.swatch{display:inline-block;width:.75em;height:.75em;margin-right:.4em;border-radius:2px}${SWATCH_CSS}
.chart-group{margin:1rem 0}.chart-row{display:flex;flex-wrap:wrap;gap:0 1rem}.chart-row figure.chart{margin:.3rem 0;width:${COMPARISON_CHART_SIZE.width}px}
.legend{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.15rem 1.2rem;font-size:.85rem}.legend.toggles li{cursor:pointer}.legend li.off{opacity:.4;text-decoration:line-through}`;

/** Without scripts each chart is its PNG, which has its title and legend drawn in: the HTML ones would say it twice. */
const NO_SCRIPT_CSS = '.legend,figure.chart figcaption{display:none}';

export function renderComparison(compare: Compare, page: ComparisonPageCharts): string {
  const names = compare.runs.map((r) => r.name);
  const charts = comparisonCharts(compare);
  const pngs = page.chartPngs;
  const data = JSON.stringify(charts.map((chart) => ({ id: chart.id, config: comparisonChartConfig(chart, { standalone: false }) }))).replace(/</g, '\\u003c');
  const title = `pconv-bench compare: ${names.join(', ')}`;
  const notes = compare.notes.map((note) => `<p class="note">${escapeHtml(note)}</p>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
${REPORT_CSS}${COMPARE_CSS}
</style>
<noscript><style>${NO_SCRIPT_CSS}</style></noscript></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${compare.runs.length} runs on the ${compare.sharedPairs} (image, mask) pairs that every one of them scored with every one of its models; each model is labelled <i>run/model</i>. Metrics of the composite output per hole-ratio bin and border subset, as in each run's report, but computed here from the runs' per-pair scores on the shared pairs only.</p>
${notes ? `<div id="notes">\n${notes}\n</div>` : ''}
<h2 id="runs">Runs</h2>
<div class="table-wrap">${runsTable(compare)}</div>
<div class="table-wrap">${groupsTable(compare)}</div>
<h2 id="tables">Results per bin on the shared pairs</h2>
<div class="table-wrap">${METRIC_NAMES.map((m) => metricTable(compare, m)).join('\n')}</div>
<p>The same as charts, a series per row in the colour beside it: the bar spans the 95% interval, the thick line is the mean.</p>
${chartRows(charts, pngs, 'means')}
<h2 id="paired">Differences between runs</h2>
${
  compare.paired.length === 0
    ? '<p>No model name appears in two runs, so there is no paired difference between runs.</p>'
    : `<p>The same model in two runs, pair by pair on the shared pairs: the later run on the command line minus the earlier, mean and 95% t interval (below) of the differences. Green: the interval excludes 0 in the later run's favour; red: against it. Hover for the standard deviation and n.</p>
<div class="table-wrap">${METRIC_NAMES.map((m) => pairedTable(compare, m)).join('\n')}</div>
${betweenRunsCharts(charts, pngs)}`
}
<h2 id="seeds">Seeds</h2>
${seedsSection(compare, (group) => seedCharts(charts, pngs, group))}
<h2 id="config">Config differences</h2>
<p>Keys of the resolved configs (results.json) whose values differ between the runs.</p>
<div class="table-wrap">${configTable(compare)}</div>
<footer>
<h2 id="computed">What is computed</h2>
<dl>
<dt>Shared pairs</dt><dd>A pair is a test mask with a test image. It is named by its stamp in the runs' per-pair scores (scores/*.jsonl): the test image's path below the test folder, its size and modification time, and the mask's hash. A pair is shared when every run scored it with every one of its models; the bin and border subset are those of the first run (${escapeHtml(names[0] ?? '')}).</dd>
<dt>Per bin</dt><dd>Mean, sample standard deviation, n and the 95% t interval (mean &plusmn; t(0.975, n-1) sd / &radic;n) of each metric over the cell's shared pairs, per run and model.</dd>
<dt>Between runs</dt><dd>For a model name found in two runs: the pair-by-pair difference (later run minus earlier) on the shared pairs, summarised the same way.</dd>
<dt>Seeds</dt><dd>For runs whose configs differ only in <code>seed</code>: the spread across runs of each model's mean, and of the difference between models, as described above each table.</dd>
<dt>Charts</dt><dd>Drawn by Chart.js (inlined in this page) from the tables' own numbers, one series per table row; each is also a PNG in assets/ beside this page, shown here where scripts do not run.</dd>
<dt>Machine-readable</dt><dd>compare.json beside this page holds every number shown (schema <code>CompareSchema</code>, src/protocol/compare.ts).</dd>
</dl>
</footer>
<script id="compare-charts" type="application/json">${data}</script>
<script>${inlineScriptText(page.chartJs)}</script>
<script>${inlineScriptText(CHART_SCRIPT)}</script>
</body></html>
`;
}
