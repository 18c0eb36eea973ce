import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChartConfiguration } from 'chart.js';
import { stringify } from 'yaml';
import { UserError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/io/atomic.js';
import { METRIC_NAMES, parseResultsText, type Results } from '../../protocol/results.js';
import { RUN_FILES, RUN_FOLDERS, runLayout } from '../../protocol/run-layout.js';
import { readDrilldown } from '../drilldown/read-drilldown.js';
import { DRILLDOWN_UNAVAILABLE, NO_DRILLDOWN } from '../drilldown/read-drilldown-file.js';
import { checkSamplePictures } from '../sample-stamps.js';
import { CHART_COLOURS } from './chart-colours.js';
import { chartJsSource } from './chart-js-source.js';
import { renderChartPng } from './chart-png.js';
import { dataUri, drilldownThumbnails, inlinePictures } from './inline-pictures.js';
import { chartData, METRIC_LABELS, renderReport, VALIDATION_METRICS, VALIDATION_TITLES } from './render-report.js';
import { reportImagePaths, type TrainingCurves, trainingCurvesFromLogs } from './training-curves.js';
import { writePairsPage } from './write-pairs-page.js';

const COLOURS = CHART_COLOURS;

/** Reads and checks results.json; an older or foreign file is a clear error, never half-read. */
export async function readResults(path: string): Promise<Results> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UserError('REPORT_NO_RESULTS', `no results.json at ${path}`, { hint: 'Evaluate the run first: pconv-bench eval <config> --run <dir>.' });
  }
  const read = parseResultsText(text, path, 'this version');
  if (read.ok) return read.results;
  if (read.problem === 'format') {
    throw new UserError('RESULTS_SCHEMA', read.message, { hint: 'Re-run pconv-bench eval with this version to write the results in the current format.' });
  }
  throw new UserError('RESULTS_INVALID', read.message, { hint: 'Re-run pconv-bench eval to write it again.' });
}

async function trainingCurves(runDir: string, results: Results): Promise<TrainingCurves> {
  const logs: Partial<Record<'pconv' | 'conv', string>> = {};
  for (const kind of ['pconv', 'conv'] as const) {
    // A model that never trained has no log: no curve.
    logs[kind] = await readFile(runLayout(runDir).trainLog(kind), 'utf8').catch(() => undefined);
  }
  return trainingCurvesFromLogs(results, logs);
}

/**
 * Writes <runDir>/index.html: self-contained (Chart.js, images, PNG charts and drill-down
 * thumbnails inlined; the thumbnails link to their full-size pictures in the run folder), the
 * chart PNGs under <runDir>/assets/ for places without script, and the table of every pair it
 * links to, <runDir>/pairs.html. `notes` say what the pages lack and why (an older run's).
 */
export async function writeReport(runDir: string): Promise<{ path: string; charts: string[]; pairs: string; notes: string[] }> {
  const results = await readResults(runLayout(runDir).results);
  const training = await trainingCurves(runDir, results);
  // training.json: split sizes and training backend for the methods section; a run without one says "not recorded".
  const trainingRecord: unknown = await readFile(runLayout(runDir).training, 'utf8')
    .then((text) => JSON.parse(text) as unknown)
    .catch(() => undefined);
  // Each sample picture there and as eval wrote it, or an error naming it: eval makes it again.
  await checkSamplePictures(runDir, results.samples);
  const samplePaths = reportImagePaths(results);
  const { images, thumbnails } = await inlinePictures(runDir, samplePaths);
  // The drill-down's pictures, checked before anything is written: one missing is an error naming it.
  const drilldown = (await readDrilldown(runDir, results))?.drilldown;
  if (drilldown) {
    const pictures = await drilldownThumbnails(runDir, drilldown);
    Object.assign(images, pictures.images);
    for (const path of pictures.thumbnails) thumbnails.add(path);
  }
  const notes: string[] = [];
  if (!drilldown) notes.push(`the report has no worst and best pairs: ${NO_DRILLDOWN}`);
  const data = chartData({ results, training });
  const charts: Record<string, ChartConfiguration> = {};
  const models = results.models.map((m) => m.name);
  for (const metric of METRIC_NAMES) {
    charts[`metric-${metric}`] = {
      type: 'line',
      data: {
        labels: data.labels,
        datasets: (data.metrics[metric] ?? []).map((s) => ({
          label: s.label,
          data: s.values,
          borderColor: COLOURS[models.indexOf(s.model) % COLOURS.length],
          backgroundColor: COLOURS[models.indexOf(s.model) % COLOURS.length],
          borderDash: s.border === 'border' ? [6, 4] : [],
          spanGaps: true,
        })),
      },
      options: { plugins: { title: { display: true, text: `${METRIC_LABELS[metric]} against hole ratio` } } },
    };
  }
  for (const [model, curve] of Object.entries(training)) {
    charts[`loss-${model}`] = {
      type: 'scatter',
      data: {
        datasets: [
          {
            label: 'training loss',
            data: curve.train.map((p) => ({ x: p.step, y: p.total })),
            showLine: true,
            pointRadius: 0,
            borderWidth: 1,
            borderColor: COLOURS[0],
          },
          {
            label: 'validation loss',
            data: curve.validation.map((p) => ({ x: p.step, y: p.total })),
            showLine: true,
            borderColor: COLOURS[1],
            backgroundColor: COLOURS[1],
          },
        ],
      },
      options: { plugins: { title: { display: true, text: `Training loss: ${model}` } } },
    };
  }
  for (const metric of VALIDATION_METRICS) {
    const series = data.validation[metric];
    if (series.length === 0) continue;
    charts[`validation-${metric}`] = {
      type: 'scatter',
      data: {
        datasets: series.map((s) => ({
          label: s.model,
          data: s.points,
          showLine: true,
          borderColor: COLOURS[models.indexOf(s.model) % COLOURS.length],
          backgroundColor: COLOURS[models.indexOf(s.model) % COLOURS.length],
        })),
      },
      options: {
        plugins: { title: { display: true, text: VALIDATION_TITLES[metric] } },
        scales: { x: { title: { display: true, text: 'step' } }, y: { title: { display: true, text: METRIC_LABELS[metric] } } },
      },
    };
  }
  const chartPngs: Record<string, string> = {};
  const written: string[] = [];
  for (const [name, config] of Object.entries(charts)) {
    const png = await renderChartPng(config);
    const file = join(RUN_FOLDERS.assets, `${name.replace(/[^A-Za-z0-9-]+/g, '-')}.png`);
    await writeFileAtomic(join(runDir, file), png);
    chartPngs[name] = dataUri('image/png', png);
    written.push(file);
  }
  // Before the report, so that its link never points at a page not yet written.
  const pairs = await writePairsPage(runDir, results, drilldown);
  if (pairs.note) notes.push(pairs.note);
  const html = renderReport({
    results,
    training,
    images,
    chartPngs,
    chartJs: await chartJsSource(),
    configYaml: stringify(results.config),
    trainingRecord,
    ...(drilldown ? { drilldown } : { drilldownUnavailable: DRILLDOWN_UNAVAILABLE }),
    linkFullSize: true,
    thumbnails,
    pairsPage: RUN_FILES.pairsPage,
  });
  const path = runLayout(runDir).report;
  await writeFileAtomic(path, html);
  return { path, charts: written, pairs: pairs.path, notes };
}
