import '../zod-jitless.js';
import type { Chart, ChartConfiguration, Plugin } from 'chart.js';
import { parseTrainingToWebview, type TrainingCurves, type TrainingToHost, type TrainingValidationPoint } from '../../shared/messages.js';
import { vscodeApi } from '../vscode-api.js';

/**
 * The training panel's script: keeps the curves the host sends (a snapshot, then appended points)
 * and draws them with Chart.js (the UMD build, loaded before this script): a loss chart per model
 * (the loss of the steps the CLI reported, and of each validation pass) and one chart per
 * validation metric with a line per model. A dashed line marks where phase 2 starts.
 */
const vscode = vscodeApi<TrainingToHost>();

window.addEventListener('error', (event) => {
  vscode.post({ type: 'webviewError', message: `training script error: ${event.message || String(event.error)}` });
});
document.addEventListener('securitypolicyviolation', (event) => {
  vscode.post({
    type: 'webviewError',
    message: `training panel blocked by its Content-Security-Policy: ${event.violatedDirective} ${event.blockedURI || '(inline)'}`,
  });
});

type Model = TrainingCurves['model'];
type QualityMetric = 'psnr' | 'ssim' | 'l1Hole';

const MODEL_LABELS: Record<Model, string> = { pconv: 'PConv', conv: 'Conv (baseline)' };
/** The report's colours: PConv blue, the baseline red. */
const COLOURS: Record<Model, string> = { pconv: '#1f77b4', conv: '#d62728' };
const QUALITY: readonly { metric: QualityMetric; title: string }[] = [
  { metric: 'psnr', title: 'PSNR (dB)' },
  { metric: 'ssim', title: 'SSIM' },
  { metric: 'l1Hole', title: 'L1 in holes (x100)' },
];

const ChartJs = (window as unknown as { Chart?: new (canvas: HTMLCanvasElement, config: ChartConfiguration) => Chart }).Chart;
const curves = new Map<Model, TrainingCurves>();
const charts = new Map<string, Chart>();

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function showBanner(text: string): void {
  const banner = element('banner');
  banner.textContent = text;
  banner.hidden = false;
}

/** Where phase 2 starts, for the charts of these models (both models share the config's phase lengths). */
function boundaryOf(models: readonly Model[]): number | null {
  for (const model of models) {
    const step = curves.get(model)?.phaseBoundary;
    if (step != null) return step;
  }
  return null;
}

/** A dashed vertical line at the last step of phase 1, labelled. */
function phaseLine(models: readonly Model[]): Plugin<'scatter'> {
  return {
    id: 'phaseLine',
    afterDatasetsDraw(chart) {
      const step = boundaryOf(models);
      const x = chart.scales.x;
      if (step === null || !x || step < x.min || step > x.max) return;
      const px = x.getPixelForValue(step);
      const { ctx, chartArea } = chart;
      ctx.save();
      ctx.strokeStyle = '#666';
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(px, chartArea.top);
      ctx.lineTo(px, chartArea.bottom);
      ctx.stroke();
      ctx.fillStyle = '#444';
      ctx.font = '11px sans-serif';
      ctx.fillText('phase 2', px + 4, chartArea.top + 12);
      ctx.restore();
    },
  };
}

function chartIn(container: string, id: string, title: string, config: ChartConfiguration<'scatter'>): Chart {
  const existing = charts.get(id);
  if (existing) return existing;
  const figure = document.createElement('figure');
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  const canvas = document.createElement('canvas');
  canvas.id = `chart-${id}`;
  canvas.width = 480;
  canvas.height = 260;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', title);
  figure.append(caption, canvas);
  element(container).append(figure);
  const chart = new (ChartJs as NonNullable<typeof ChartJs>)(canvas, config as ChartConfiguration);
  charts.set(id, chart);
  return chart;
}

const axes = (y: string) => ({ x: { type: 'linear' as const, title: { display: true, text: 'step' } }, y: { title: { display: true, text: y } } });

function drawLoss(model: Model, curve: TrainingCurves): void {
  const chart = chartIn('loss-charts', `loss-${model}`, `Loss: ${MODEL_LABELS[model]}`, {
    type: 'scatter',
    data: {
      datasets: [
        { label: 'training loss', data: [], showLine: true, pointRadius: 1, borderWidth: 1, borderColor: COLOURS.pconv, backgroundColor: COLOURS.pconv },
        { label: 'validation loss', data: [], showLine: true, borderColor: COLOURS.conv, backgroundColor: COLOURS.conv },
      ],
    },
    options: { animation: false, responsive: false, scales: axes('loss') },
    plugins: [phaseLine([model])],
  });
  const [train, validation] = chart.data.datasets;
  if (train) train.data = curve.train.map((p) => ({ x: p.step, y: p.loss }));
  if (validation) validation.data = curve.validation.map((p) => ({ x: p.step, y: p.loss }));
  chart.update('none');
}

function drawQuality(metric: QualityMetric, title: string): void {
  const models = [...curves.keys()];
  const series = models
    .map((model) => ({
      model,
      points: (curves.get(model)?.validation ?? []).flatMap((p: TrainingValidationPoint) =>
        p[metric] === null ? [] : [{ x: p.step, y: p[metric] as number }],
      ),
    }))
    .filter((s) => s.points.length > 0);
  if (series.length === 0) return;
  const chart = chartIn('quality-charts', `validation-${metric}`, `Validation ${title}`, {
    type: 'scatter',
    data: { datasets: [] },
    options: { animation: false, responsive: false, scales: axes(title) },
    plugins: [phaseLine(models)],
  });
  chart.data.datasets = series.map((s) => ({
    label: MODEL_LABELS[s.model],
    data: s.points,
    showLine: true,
    borderColor: COLOURS[s.model],
    backgroundColor: COLOURS[s.model],
  }));
  chart.update('none');
}

function draw(): void {
  if (!ChartJs) return;
  for (const [model, curve] of curves) if (curve.train.length || curve.validation.length) drawLoss(model, curve);
  for (const { metric, title } of QUALITY) drawQuality(metric, title);
  element('loss-section').hidden = !charts.size;
  element('quality-section').hidden = ![...charts.keys()].some((id) => id.startsWith('validation-'));
}

function clear(): void {
  for (const chart of charts.values()) chart.destroy();
  charts.clear();
  curves.clear();
  element('loss-charts').replaceChildren();
  element('quality-charts').replaceChildren();
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = parseTrainingToWebview(event.data);
  if (!parsed.ok) {
    vscode.post({ type: 'webviewError', message: `training panel ignored a message from the extension: ${parsed.error}` });
    return;
  }
  const message = parsed.message;
  if (message.type === 'snapshot') {
    clear();
    element('title').textContent = message.title ? `Training: ${message.title}` : 'Training';
    element('status').textContent = message.status;
    for (const curve of message.models) curves.set(curve.model, curve);
  } else if (message.type === 'append') {
    const curve = curves.get(message.model) ?? { model: message.model, train: [], validation: [], phaseBoundary: null };
    curve.train.push(...message.train);
    curve.validation.push(...message.validation);
    curve.phaseBoundary = message.phaseBoundary ?? curve.phaseBoundary;
    curves.set(message.model, curve);
  } else {
    element('status').textContent = message.status;
    return;
  }
  draw();
});

if (!ChartJs) {
  showBanner('Chart.js did not load: the curves cannot be drawn. Rebuild the extension (npm run build in extension/).');
  vscode.post({ type: 'webviewError', message: 'training panel: Chart.js did not load (dist/media/chart.umd.min.js)' });
}
vscode.post({ type: 'ready' });
