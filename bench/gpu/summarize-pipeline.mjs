#!/usr/bin/env node
// Reads what bench/gpu/device-pipeline.sh leaves (its work folder on the GPU machine, or the
// unpacked tarball here: the same layout) and prints the rows for BENCHMARKS.md: each stage's
// time from the `run --json` events, GPU memory and resident memory peaks per stage from
// memory.csv, and whether the data loader kept up (training.json, TrainResult.dataLoader).
// Plain Node with no imports beyond node:, so it runs from the working tree on the GPU machine too.
// Usage: node bench/gpu/summarize-pipeline.mjs DIR [--json FILE]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: flags, positionals } = parseArgs({ options: { json: { type: 'string' } }, allowPositionals: true });
const dir = positionals[0];
if (!dir) {
  console.error('usage: node bench/gpu/summarize-pipeline.mjs DIR [--json FILE]');
  process.exit(1);
}
const text = (file) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : '');
const json = (file) => {
  try {
    return JSON.parse(text(file));
  } catch {
    return undefined;
  }
};

// A run stopped by a kill can end in half a line: every line that parses counts.
const events = text('events.jsonl')
  .split('\n')
  .flatMap((line) => {
    try {
      return line ? [JSON.parse(line)] : [];
    } catch {
      return [];
    }
  });
const ms = (event) => Date.parse(event.time);
const t0 = events.length ? ms(events[0]) : 0;
const end = events.find((e) => e.type === 'end');
const lastTime = events.length ? ms(events.at(-1)) : 0;

/** Stage spans in the order they started; one still open at the last event ends there, marked. */
const spans = [];
for (const event of events.filter((e) => e.type === 'stage')) {
  if (event.status === 'started') spans.push({ stage: event.stage, from: ms(event), to: undefined, message: event.message ?? '', status: 'unfinished' });
  else if (event.status === 'skipped') spans.push({ stage: event.stage, from: ms(event), to: ms(event), message: event.message ?? '', status: 'skipped' });
  else {
    const open = spans.findLast((s) => s.stage === event.stage && s.to === undefined);
    if (open) Object.assign(open, { to: ms(event), status: 'finished', message: event.message ?? open.message });
  }
}
for (const span of spans) if (span.to === undefined) span.to = lastTime;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? undefined : sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
/** Seconds per step between a training stage's progress events (>= 250 ms apart): the median leaves out validation and checkpoints. */
function stepSeconds(stage) {
  const progress = events.filter((e) => e.type === 'progress' && e.stage === stage && e.unit === 'steps');
  const windows = [];
  for (let i = 1; i < progress.length; i++) {
    const steps = progress[i].done - progress[i - 1].done;
    if (steps > 0) windows.push((ms(progress[i]) - ms(progress[i - 1])) / 1000 / steps);
  }
  return { steps: progress.at(-1)?.done ?? 0, total: progress.at(-1)?.total, median: median(windows) };
}

// memory.csv: epoch seconds, GPU MiB used, GPU %, resident kB (fields empty where not measured).
const samples = text('memory.csv')
  .split('\n')
  .map((line) => line.split(','))
  .filter((f) => f.length >= 4 && f[0])
  .map(([epoch, gpu, util, rss]) => ({ ms: Number(epoch) * 1000, gpu: gpu ? Number(gpu) : undefined, util: util ? Number(util) : undefined, rss: rss ? Number(rss) : undefined }));
const peak = (from, to, key) => {
  const values = samples.filter((s) => s.ms >= from && s.ms <= to && Number.isFinite(s[key])).map((s) => s[key]);
  return values.length ? Math.max(...values) : undefined;
};
const gpuBefore = samples.find((s) => Number.isFinite(s.gpu))?.gpu;

const results = json('run/results.json');
const training = json('run/training.json');
const fmt = (value, digits = 1) => (value === undefined || value === null || Number.isNaN(value) ? '-' : value.toFixed(digits));
const mib = (kb) => (kb === undefined ? undefined : kb / 1024);

// The time between stage events is work too (start-up, building a network, checking images,
// recording stage markers; the report, which sends no stage events, after eval): rows of their own,
// so that the rows add up to the whole run.
const timeline = [];
let cursor = t0;
for (const span of spans) {
  if (span.from - cursor > 50) timeline.push({ stage: `(before ${span.stage})`, from: cursor, to: span.from, message: '', status: 'finished' });
  timeline.push(span);
  cursor = Math.max(cursor, span.to);
}
const runEnd = end ? t0 + end.durationSeconds * 1000 : lastTime;
if (runEnd - cursor > 50) {
  const afterEval = spans.at(-1)?.stage === 'eval' && spans.at(-1)?.status === 'finished';
  timeline.push({ stage: afterEval ? '(report and exit)' : '(after the last stage)', from: cursor, to: runEnd, message: '', status: 'finished' });
}

const rows = timeline.map((span) => {
  const seconds = (span.to - span.from) / 1000;
  let detail = span.message;
  let perUnit;
  if (span.stage.startsWith('train-')) {
    const { steps, total, median: typical } = stepSeconds(span.stage);
    const validations = events.filter((e) => e.type === 'validation' && `train-${e.model}-phase${e.phase}` === span.stage).length;
    perUnit = steps ? seconds / steps : undefined;
    detail = `${steps}${total && total !== steps ? ` of ${total}` : ''} steps, ${fmt(perUnit, 3)} s/step (median ${fmt(typical, 3)}), ${validations} validations`;
  } else if (span.stage === 'eval' && results?.images?.pairs) {
    detail = `${results.images.pairs} pairs x ${results.models?.length ?? '?'} models, ${fmt(results.images.pairs / seconds)} pairs/s`;
  }
  return {
    stage: span.stage,
    status: span.status,
    startSeconds: (span.from - t0) / 1000,
    seconds,
    detail,
    gpuPeakMiB: peak(span.from, span.to, 'gpu'),
    rssPeakMiB: mib(peak(span.from, span.to, 'rss')),
  };
});

const loader = (training?.models ?? []).map((m) => {
  const d = m.dataLoader;
  if (!d) return { model: m.kind, recorded: false };
  const waitShare = d.consumeSeconds > 0 ? d.waitSeconds / d.consumeSeconds : undefined;
  return {
    model: m.kind,
    recorded: true,
    batches: d.batches,
    batchSize: d.batchSize,
    neededImagesPerSecond: d.neededImagesPerSecond,
    deliveredImagesPerSecond: d.deliveredImagesPerSecond,
    firstWaitSeconds: d.firstWaitSeconds,
    waitSeconds: d.waitSeconds,
    // Kept up: training waited for batches (after the first) under 2% of its own time, less than
    // steps vary from one to the next. Delivered is a lower bound (loader-stats.ts): the waits decide.
    keptUp: waitShare !== undefined && waitShare < 0.02,
    waitShare,
  };
});

const summary = {
  dir,
  machine: text('machine.txt').trim(),
  backend: results?.backend ?? training?.backend ?? null,
  exitCode: end?.exitCode ?? null,
  runSeconds: end?.durationSeconds ?? (lastTime - t0) / 1000,
  gpuMemoryBeforeMiB: gpuBefore ?? null,
  gpuPeakMiB: peak(-Infinity, Infinity, 'gpu') ?? null,
  rssPeakMiB: mib(peak(-Infinity, Infinity, 'rss')) ?? null,
  stages: rows,
  loader,
};

const out = [];
out.push(`Machine: ${summary.machine.split('\n').join('; ') || 'not recorded'}`);
if (summary.backend) out.push(`Backend: ${summary.backend.name} ${summary.backend.version ?? ''} on ${summary.backend.device ?? '?'}; inference ${summary.backend.inference ?? '-'}`);
out.push(
  `run: exit ${summary.exitCode ?? '- (no end event: killed?)'} after ${fmt(summary.runSeconds)} s; GPU memory ${fmt(summary.gpuMemoryBeforeMiB, 0)} MiB before, peak ${fmt(summary.gpuPeakMiB, 0)} MiB; resident memory peak ${fmt(summary.rssPeakMiB, 0)} MiB`,
);
out.push('');
out.push('| stage | from s | s | what | GPU memory peak MiB | resident peak MiB |');
out.push('|---|---:|---:|---|---:|---:|');
for (const r of rows)
  out.push(
    `| ${r.stage}${r.status === 'finished' ? '' : ` (${r.status})`} | ${fmt(r.startSeconds)} | ${fmt(r.seconds)} | ${r.detail} | ${fmt(r.gpuPeakMiB, 0)} | ${fmt(r.rssPeakMiB, 0)} |`,
  );
out.push(`| whole run | 0.0 | ${fmt(summary.runSeconds)} | exit ${summary.exitCode ?? '-'} | ${fmt(summary.gpuPeakMiB, 0)} | ${fmt(summary.rssPeakMiB, 0)} |`);
out.push('');
out.push('| model | batches x size | images/s needed | images/s delivered (while building) | wait for the first batch s | waits after it s | kept up |');
out.push('|---|---:|---:|---:|---:|---:|---|');
for (const l of loader) {
  if (!l.recorded) out.push(`| ${l.model} | - | - | - | - | - | not recorded (training.json has no dataLoader) |`);
  else
    out.push(
      `| ${l.model} | ${l.batches} x ${l.batchSize} | ${fmt(l.neededImagesPerSecond)} | ${fmt(l.deliveredImagesPerSecond)} | ${fmt(l.firstWaitSeconds, 2)} | ${fmt(l.waitSeconds, 2)} | ${l.keptUp ? 'yes' : `no (${fmt(100 * (l.waitShare ?? Number.NaN))}% of its time waiting)`} |`,
    );
}
if (loader.length === 0) out.push('| - | - | - | - | - | - | no training.json |');
console.log(out.join('\n'));
if (flags.json) writeFileSync(flags.json, `${JSON.stringify(summary, null, 1)}\n`);
