import { compareBinThenBorder } from '../../core/masks/manifest-counts.js';
import type { Drilldown } from '../../protocol/drilldown.js';
import { METRIC_DIRECTION, METRIC_NAMES, type MetricName, type Results } from '../../protocol/results.js';
import type { ValidationQuality } from '../../protocol/training-log.js';
import { CHART_COLOURS } from './chart-colours.js';
import { renderDrilldownSection } from './drilldown-section.js';
import { escapeHtml } from './escape-html.js';
import { renderMethodsSection } from './methods-section.js';
import { REPORT_CSS } from './report-style.js';

/**
 * The HTML report of one run, as a string: no I/O and no node:* imports, so the VS Code extension
 * can render it too. Everything it shows comes in `ReportInput`; images arrive as data: URIs so
 * the page is self-contained (no network, nothing beside it needed).
 */
export interface LossPoint {
  readonly step: number;
  readonly phase: number;
  readonly total: number;
}

/** A validation pass: its loss, and the quality of the composited predictions when the log has it. */
export interface ValidationPoint extends LossPoint {
  readonly quality?: ValidationQuality;
}

export interface ReportInput {
  readonly results: Results;
  /** Training curves per model name: per-step training loss and validation points. */
  readonly training: Readonly<Record<string, { readonly train: readonly LossPoint[]; readonly validation: readonly ValidationPoint[] }>>;
  /** Relative image path -> data: URI. */
  readonly images: Readonly<Record<string, string>>;
  /** Chart name -> data: URI of the PNG rendering, shown where scripts do not run. */
  readonly chartPngs: Readonly<Record<string, string>>;
  /** The Chart.js UMD build, inlined. */
  readonly chartJs: string;
  readonly configYaml: string;
  /** The run's training.json as parsed, for the methods section (split sizes, training backend); absent: not recorded. */
  readonly trainingRecord?: unknown;
  /**
   * For a page shown under a strict Content-Security-Policy (the VS Code webview): every <script>
   * and <style> carries this nonce. Absent: the output is exactly the stand-alone report.
   */
  readonly nonce?: string;
  /** Written as <meta http-equiv="Content-Security-Policy"> before any script or style. */
  readonly contentSecurityPolicy?: string;
  /**
   * The worst and best pairs (drilldown.json), their pictures in `images`; or why the run has none.
   * Neither: no such section (the editor's panel).
   */
  readonly drilldown?: Drilldown;
  readonly drilldownUnavailable?: string;
  /** Link each drill-down picture to its full-size file beside the page. */
  readonly linkFullSize?: boolean;
  /**
   * Pictures of `images` inlined as thumbnails (inline-pictures.ts): their sample cells link to the
   * full-size file beside the page rather than enlarging the thumbnail in place.
   */
  readonly thumbnails?: ReadonlySet<string>;
  /** The table of every pair (pairs.html), relative to the page: linked from the drill-down. */
  readonly pairsPage?: string;
}

export const METRIC_LABELS: Record<MetricName, string> = { l1Hole: 'L1 in holes (x100)', l1: 'L1, whole image (x100)', psnr: 'PSNR (dB)', ssim: 'SSIM' };
export const DIGITS: Record<MetricName, number> = { l1Hole: 3, l1: 3, psnr: 2, ssim: 4 };

function columns(results: Results) {
  const seen = new Map<string, { binIndex: number; bin: string; border: 'no-border' | 'border' }>();
  for (const row of results.rows) seen.set(`${row.binIndex}|${row.border}`, { binIndex: row.binIndex, bin: row.bin, border: row.border });
  return [...seen.values()].sort(compareBinThenBorder);
}

function metricTable(results: Results, metric: MetricName): string {
  const cols = columns(results);
  const models = [...new Set(results.rows.map((r) => r.model))];
  const bins = [...new Map(cols.map((c) => [c.binIndex, c.bin])).entries()];
  const best = new Map<string, number>();
  for (const col of cols) {
    const values = results.rows
      .filter((r) => r.binIndex === col.binIndex && r.border === col.border)
      .map((r) => r.metrics[metric].mean)
      .filter((v): v is number => v !== null);
    if (values.length) best.set(`${col.binIndex}|${col.border}`, METRIC_DIRECTION[metric] === 'lower' ? Math.min(...values) : Math.max(...values));
  }
  const head1 = bins.map(([, bin]) => `<th colspan="${cols.filter((c) => c.bin === bin).length}">${escapeHtml(bin)}</th>`).join('');
  const head2 = cols.map((c) => `<th>${c.border === 'border' ? 'border' : 'no border'}</th>`).join('');
  const body = models
    .map((model) => {
      const cells = cols.map((col) => {
        const row = results.rows.find((r) => r.model === model && r.binIndex === col.binIndex && r.border === col.border);
        const s = row?.metrics[metric];
        if (!s || s.mean === null) return '<td>-</td>';
        const isBest = best.get(`${col.binIndex}|${col.border}`) === s.mean;
        const interval =
          s.ci95[0] === null
            ? ''
            : `95% CI [${s.ci95[0].toFixed(DIGITS[metric])}, ${(s.ci95[1] as number).toFixed(DIGITS[metric])}], sd ${(s.std ?? 0).toFixed(DIGITS[metric])}, n ${s.n}`;
        const half = s.ci95[1] === null ? '' : `<span class="ci">&plusmn;${((s.ci95[1] as number) - s.mean).toFixed(DIGITS[metric])}</span>`;
        return `<td class="${isBest ? 'best' : ''}" title="${escapeHtml(interval)}">${s.mean.toFixed(DIGITS[metric])}${half}</td>`;
      });
      return `<tr><th scope="row">${escapeHtml(model)}</th>${cells.join('')}</tr>`;
    })
    .join('\n');
  const better = METRIC_DIRECTION[metric] === 'lower' ? 'lower is better' : 'higher is better';
  return `<h3>${METRIC_LABELS[metric]} <small>(${better}; best per column in bold; &plusmn; is the 95% interval's half-width)</small></h3>
<table class="metric" data-metric="${metric}"><thead><tr><th rowspan="2">model</th>${head1}</tr><tr>${head2}</tr></thead><tbody>
${body}
</tbody></table>`;
}

function pairedTable(results: Results, metric: MetricName): string {
  const cols = columns(results);
  // One row per (model, against): PConv against each other model, and each published model against the rest.
  const pairs = [...new Map(results.paired.map((p) => [JSON.stringify([p.model, p.against]), [p.model, p.against] as const])).values()];
  if (pairs.length === 0) return '';
  const rows = pairs.map(([model, against]) => {
    const cells = cols.map((col) => {
      const p = results.paired.find(
        (x) => x.model === model && x.against === against && x.metric === metric && x.binIndex === col.binIndex && x.border === col.border,
      );
      const d = p?.difference;
      if (!d || d.mean === null) return '<td>-</td>';
      const [lo, hi] = d.ci95;
      const excludesZero = lo !== null && hi !== null && (lo > 0 || hi < 0);
      const good = METRIC_DIRECTION[metric] === 'lower' ? d.mean < 0 : d.mean > 0;
      const cls = excludesZero ? (good ? 'better' : 'worse') : '';
      const title = lo === null ? `n ${d.n}` : `95% CI [${lo.toFixed(DIGITS[metric])}, ${(hi as number).toFixed(DIGITS[metric])}], n ${d.n}`;
      return `<td class="${cls}" title="${escapeHtml(title)}">${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(DIGITS[metric])}</td>`;
    });
    return `<tr><th scope="row">${escapeHtml(model)} &minus; ${escapeHtml(against)}</th>${cells.join('')}</tr>`;
  });
  const head = cols.map((c) => `<th>${escapeHtml(c.bin)}<br>${c.border === 'border' ? 'border' : 'no border'}</th>`).join('');
  return `<h3>${METRIC_LABELS[metric]}: paired differences</h3>
<table class="paired" data-metric="${metric}"><thead><tr><th></th>${head}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function samplesSection(input: ReportInput): string {
  const { results, images } = input;
  const models = results.models.map((m) => m.name);
  const rows = results.samples.map((s) => {
    const cell = (path: string | undefined, label: string) => {
      if (!path || !images[path]) return '<td>-</td>';
      if (input.thumbnails?.has(path)) {
        return `<td><a href="${escapeHtml(path)}" title="full size"><img src="${images[path]}" alt="${escapeHtml(label)}" width="128" height="128"></a></td>`;
      }
      const id = `img-${escapeHtml(path.replace(/[^A-Za-z0-9]+/g, '-'))}`;
      return `<td><a href="#${id}"><img src="${images[path]}" alt="${escapeHtml(label)}" width="128" height="128"></a><a class="lightbox" id="${id}" href="#samples"><img src="${images[path]}" alt="${escapeHtml(label)}"></a></td>`;
    };
    return `<tr data-bin="${escapeHtml(s.bin)}" data-border="${s.border}"><th scope="row">${escapeHtml(s.bin)}<br>${s.border === 'border' ? 'border' : 'no border'}</th>${cell(s.input, 'masked input')}${models.map((m) => cell(s.outputs[m], m)).join('')}${cell(s.target, 'ground truth')}</tr>`;
  });
  return `<table class="samples"><thead><tr><th>bin</th><th>masked input</th>${models.map((m) => `<th>${escapeHtml(m)}</th>`).join('')}<th>ground truth</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

type ModelEntry = Results['models'][number];

const FILL_WORDS: Record<'mean-pixel' | 'grey', string> = { 'mean-pixel': 'the ImageNet mean pixel', grey: 'grey (0.5, i.e. 127.5 of 255)' };

/** What a model was given of an image with holes, in words (results.json models[].input). */
export function describeInput(model: ModelEntry): string {
  const input = model.input;
  if (model.kind === 'classical') return 'the image with holes and the mask (no training)';
  if (model.kind === 'external') return "another tool's outputs, read from files";
  if (model.kind === 'published') return `published weights: ${publishedSource(model)}, given the image with holes and the mask`;
  if (!input) return 'not recorded (results written before format @3)';
  const holes = input.holes === 'zero' ? 'the image with holes zeroed' : `the image with holes filled by ${FILL_WORDS[input.holes]}`;
  const mask = {
    'partial-convolutions': ' + the mask, for its partial convolutions',
    channel: ' + the mask as a fourth input channel',
    none: '; no mask channel',
  };
  return `${holes}${mask[input.mask]}`;
}

/** Where a published model's weights came from, e.g. "pconv.pth (pytorch-pconv, sha256 1a2b3c4d5e6f)". */
export function publishedSource(model: ModelEntry): string {
  const p = model.published;
  return p ? `${p.file} (${p.format}, sha256 ${p.sha256.slice(0, 12)})` : 'not recorded';
}

/** The loss weights a model trained with, in words (results.json models[].lossWeights). */
export function describeLossWeights(model: ModelEntry): string {
  if (model.kind === 'classical' || model.kind === 'external' || model.kind === 'published') return '-';
  if (!model.lossWeights) return 'not recorded (results written before format @3)';
  return Object.entries(model.lossWeights)
    .map(([term, weight]) => `${term} ${weight}`)
    .join(', ');
}

/** Each model's input and loss weights: a trained model's, from its checkpoint's recorded config. */
function modelsTable(results: Results): string {
  const rows = results.models.map(
    (m) =>
      `<tr data-model="${escapeHtml(m.name)}"><th scope="row">${escapeHtml(m.name)}</th><td class="text">${escapeHtml(describeInput(m))}</td><td class="text">${escapeHtml(describeLossWeights(m))}</td></tr>`,
  );
  return `<table class="models"><thead><tr><th>model</th><th>input</th><th>loss weights (eq. 7)</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function chartBlock(name: string, title: string, png: string | undefined): string {
  return `<figure class="chart"><figcaption>${escapeHtml(title)}</figcaption><canvas id="chart-${name}" width="640" height="320" role="img" aria-label="${escapeHtml(title)}"></canvas>${png ? `<noscript><img src="${png}" alt="${escapeHtml(title)}" width="640" height="320"></noscript>` : ''}</figure>`;
}

/** The validation-quality charts, in order: one per metric, a line per model. */
export const VALIDATION_METRICS = ['psnr', 'ssim', 'l1Hole'] as const;
export type ValidationMetric = (typeof VALIDATION_METRICS)[number];

/**
 * Each model's validation quality against step, per metric: only models whose log has quality
 * (logs written before it have none) and metrics with a value (SSIM is null under 11 px).
 */
export function validationSeries(training: ReportInput['training']): Record<ValidationMetric, { model: string; points: { x: number; y: number }[] }[]> {
  const series = (metric: ValidationMetric) =>
    Object.entries(training)
      .map(([model, curve]) => ({
        model,
        points: curve.validation.flatMap((p) => {
          const y = p.quality?.[metric];
          return typeof y === 'number' ? [{ x: p.step, y }] : [];
        }),
      }))
      .filter((s) => s.points.length > 0);
  return { psnr: series('psnr'), ssim: series('ssim'), l1Hole: series('l1Hole') };
}

/** The data the page's script draws its charts from (also used for the PNG versions). */
export function chartData(input: Pick<ReportInput, 'results' | 'training'>) {
  const { results } = input;
  const models = results.models.map((m) => m.name);
  const bins = [...new Map(results.rows.map((r) => [r.binIndex, r.bin])).entries()].sort((a, b) => a[0] - b[0]);
  const metrics = Object.fromEntries(
    METRIC_NAMES.map((metric) => [
      metric,
      models.flatMap((model) =>
        (['no-border', 'border'] as const).map((border) => ({
          label: `${model}, ${border === 'border' ? 'border' : 'no border'}`,
          border,
          model,
          values: bins.map(
            ([binIndex]) => results.rows.find((r) => r.model === model && r.binIndex === binIndex && r.border === border)?.metrics[metric].mean ?? null,
          ),
        })),
      ),
    ]),
  );
  return { labels: bins.map(([, bin]) => bin), metrics, training: input.training, validation: validationSeries(input.training) };
}

export const VALIDATION_TITLES: Record<ValidationMetric, string> = {
  psnr: `Validation ${METRIC_LABELS.psnr} during training`,
  ssim: `Validation ${METRIC_LABELS.ssim} during training`,
  l1Hole: `Validation ${METRIC_LABELS.l1Hole} during training`,
};

/** The validation-quality charts with what they measure; nothing when no log has quality. */
function validationSection(input: ReportInput, series: ReturnType<typeof validationSeries>): string {
  const drawn = VALIDATION_METRICS.filter((metric) => series[metric].length > 0);
  if (drawn.length === 0) return '';
  const pairs = Object.values(input.training)
    .flatMap((curve) => curve.validation)
    .find((p) => p.quality)?.quality?.pairs;
  return `<h3 id="validation-quality">Validation quality during training</h3>
<p>At every validation step: PSNR, SSIM and L1 in the holes of each model's composited predictions (clipped, known pixels from the ground truth, scored as the tables are) on the same ${pairs === undefined ? 'fixed validation pairs' : `${pairs} validation pair${pairs === 1 ? '' : 's'}`}: the first validation images (up to 8), centre-cropped, each with a fixed mask drawn from the training masks with a seed of its own. Comparable from step to step and between the models; not with the tables, which score test images on the test masks.</p>
${drawn.map((metric) => chartBlock(`validation-${metric}`, VALIDATION_TITLES[metric], input.chartPngs[`validation-${metric}`])).join('\n')}`;
}

export function renderReport(input: ReportInput): string {
  const { results } = input;
  const title = `pconv-bench: ${results.experiment.name}`;
  const data = chartData(input);
  const env = [
    ['backend', `${results.backend.name} (${results.backend.version}) on ${results.backend.device}`],
    ...(results.backend.inference ? [['inference', results.backend.inference]] : []),
    ...Object.entries(results.versions),
    ['test images', `${results.images.count} (split ${results.images.split}); ${results.images.pairs} (image, mask) pairs per model`],
    [
      'masks',
      `${results.masks.count} of ${results.masks.width}x${results.masks.height}, bins ${results.masks.binRule}, border margin ${results.masks.borderMargin} px, manifest sha256 ${results.masks.manifestSha256.slice(0, 16)}...`,
    ],
    ...results.models.map((m) => [m.name, m.checkpoint ? `checkpoint ${m.checkpoint} (step ${m.step})` : 'not trained']),
  ];
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const nonce = input.nonce === undefined ? '' : ` nonce="${escapeHtml(input.nonce)}"`;
  const csp =
    input.contentSecurityPolicy === undefined ? '' : `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(input.contentSecurityPolicy)}">\n`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${csp}<title>${escapeHtml(title)}</title>
<style${nonce}>
${REPORT_CSS}</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${results.models.map((m) => escapeHtml(m.name)).join(', ')} on ${results.images.pairs} identical (image, mask) pairs, ${results.masks.width}x${results.masks.height}: metrics of the composite output per hole-ratio bin ${escapeHtml(results.masks.binRule)}, with and without holes within ${results.masks.borderMargin} px of the border.</p>
${renderMethodsSection(input)}
<h2 id="models">Models</h2>
<p>What each model was given and the loss weights it trained with (from its checkpoint).</p>
<div class="table-wrap">${modelsTable(results)}</div>
<h2 id="tables">Results per bin</h2>
<div class="table-wrap">${METRIC_NAMES.map((m) => metricTable(results, m)).join('\n')}</div>
<h2 id="paired">Paired differences</h2>
<p>PConv minus each other model on the same pairs; green: the 95% interval excludes 0 in PConv's favour, red: against it. Hover for the interval.</p>
<div class="table-wrap">${METRIC_NAMES.map((m) => pairedTable(results, m)).join('\n')}</div>
<h2 id="charts">Charts</h2>
${METRIC_NAMES.map((m) => chartBlock(`metric-${m}`, `${METRIC_LABELS[m]} against hole ratio`, input.chartPngs[`metric-${m}`])).join('\n')}
${Object.keys(input.training)
  .map((model) => chartBlock(`loss-${model.replace(/[^A-Za-z0-9]+/g, '-')}`, `Training loss: ${model}`, input.chartPngs[`loss-${model}`]))
  .join('\n')}
${validationSection(input, data.validation)}
<h2 id="samples">Samples</h2>
<p>The first pair of every bin and subset. Click an image to enlarge it.</p>
<div class="table-wrap">${samplesSection(input)}</div>
${renderDrilldownSection({ drilldown: input.drilldown, unavailable: input.drilldownUnavailable, images: input.images, linkFullSize: input.linkFullSize, pairsPage: input.pairsPage })}
<footer>
<h2 id="environment">Environment</h2>
<dl>${env.map(([k, v]) => `<dt>${escapeHtml(String(k))}</dt><dd>${escapeHtml(String(v))}</dd>`).join('')}</dl>
<h2 id="conventions">Metric conventions</h2>
<dl>${Object.entries(results.conventions)
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
    .join('')}</dl>
<h2 id="config">Config</h2>
<pre>${escapeHtml(input.configYaml)}</pre>
</footer>
<script id="report-data" type="application/json"${nonce}>${json}</script>
<script${nonce}>${input.chartJs.replace(/<\/script/gi, '<\\/script')}</script>
<script${nonce}>${CHART_SCRIPT}</script>
</body></html>
`;
}

/** Draws the charts from #report-data; kept small and dependency-free besides Chart.js. */
const CHART_SCRIPT = `(function(){
var data=JSON.parse(document.getElementById('report-data').textContent);
var colours=${JSON.stringify(CHART_COLOURS)};
var models=[];Object.keys(data.metrics).forEach(function(k){data.metrics[k].forEach(function(s){if(models.indexOf(s.model)<0)models.push(s.model);});});
function colour(m){return colours[models.indexOf(m)%colours.length];}
Object.keys(data.metrics).forEach(function(metric){
  var el=document.getElementById('chart-metric-'+metric);if(!el)return;
  new Chart(el,{type:'line',data:{labels:data.labels,datasets:data.metrics[metric].map(function(s){return{label:s.label,data:s.values,borderColor:colour(s.model),backgroundColor:colour(s.model),borderDash:s.border==='border'?[6,4]:[],spanGaps:true};})},
    options:{animation:false,responsive:false,scales:{x:{title:{display:true,text:'hole-ratio bin'}}}}});
});
Object.keys(data.training).forEach(function(model){
  var el=document.getElementById('chart-loss-'+model.replace(/[^A-Za-z0-9]+/g,'-'));if(!el)return;
  var t=data.training[model];
  new Chart(el,{type:'scatter',data:{datasets:[{label:'training loss',data:t.train.map(function(p){return{x:p.step,y:p.total};}),showLine:true,pointRadius:0,borderWidth:1,borderColor:'#1f77b4'},{label:'validation loss',data:t.validation.map(function(p){return{x:p.step,y:p.total};}),showLine:true,borderColor:'#d62728',backgroundColor:'#d62728'}]},
    options:{animation:false,responsive:false,scales:{x:{title:{display:true,text:'step'}},y:{title:{display:true,text:'loss'}}}}});
});
var validationAxes=${JSON.stringify(Object.fromEntries(VALIDATION_METRICS.map((m) => [m, METRIC_LABELS[m]])))};
Object.keys(data.validation).forEach(function(metric){
  var el=document.getElementById('chart-validation-'+metric);if(!el)return;
  new Chart(el,{type:'scatter',data:{datasets:data.validation[metric].map(function(s){return{label:s.model,data:s.points,showLine:true,borderColor:colour(s.model),backgroundColor:colour(s.model)};})},
    options:{animation:false,responsive:false,scales:{x:{title:{display:true,text:'step'}},y:{title:{display:true,text:validationAxes[metric]}}}}});
});
})();`;
