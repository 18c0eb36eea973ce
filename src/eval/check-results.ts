import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { METRIC_DIRECTION, METRIC_NAMES, type MetricName, type Results } from '../protocol/results.js';

/** A committed quality baseline: the mean of every metric per model, bin and border subset. */
export const BaselineSchema = z.strictObject({
  format: z.literal('pconv-bench/baseline@1'),
  experiment: z.string(),
  createdAt: z.string(),
  backend: z.string(),
  rows: z.array(
    z.strictObject({
      model: z.string(),
      bin: z.string(),
      border: z.enum(['no-border', 'border']),
      metrics: z.record(z.string(), z.number().nullable()),
    }),
  ),
});
export type Baseline = z.infer<typeof BaselineSchema>;

export type Tolerances = Record<MetricName, number>;

export interface Regression {
  readonly model: string;
  readonly bin: string;
  readonly border: string;
  readonly metric: MetricName | 'missing';
  readonly baseline: number | null;
  readonly current: number | null;
  readonly allowed: number;
}

export function baselineFrom(results: Results): Baseline {
  return {
    format: 'pconv-bench/baseline@1',
    experiment: results.experiment.name,
    createdAt: new Date().toISOString(),
    backend: `${results.backend.name} ${results.backend.version}`,
    rows: results.rows.map((r) => ({
      model: r.model,
      bin: r.bin,
      border: r.border,
      metrics: Object.fromEntries(METRIC_NAMES.map((m) => [m, r.metrics[m].mean])),
    })),
  };
}

/** How a row of a baseline or of results is named in messages: `PConv (0.01, 0.1] border`. */
function rowName(row: { model: string; bin: string; border: string }): string {
  return `${row.model} ${row.bin} ${row.border}`;
}

/**
 * What makes a baseline unusable as a quality gate, one line each: no rows, a row twice, a metric
 * name this version does not know, and above all a metric a row lacks (it would never be checked).
 * A metric that no row has is one line, not one per row. A `null` value is not a gap: it is what
 * --update writes for a metric the results had no value for.
 */
export function baselineProblems(baseline: Baseline): string[] {
  const problems: string[] = [];
  if (baseline.rows.length === 0) problems.push('it has no rows: it would check nothing');
  const seen = new Set<string>();
  for (const row of baseline.rows) {
    const name = rowName(row);
    if (seen.has(name)) problems.push(`${name}: the row appears more than once`);
    seen.add(name);
  }
  for (const metric of METRIC_NAMES) {
    const lacking = baseline.rows.filter((row) => row.metrics[metric] === undefined);
    if (lacking.length === 0) continue;
    if (lacking.length === baseline.rows.length && lacking.length > 1) problems.push(`${metric}: missing from all ${lacking.length} rows`);
    else for (const row of lacking) problems.push(`${rowName(row)}: no ${metric}`);
  }
  const known = new Set<string>(METRIC_NAMES);
  const unknown = [...new Set(baseline.rows.flatMap((row) => Object.keys(row.metrics).filter((m) => !known.has(m))))];
  for (const metric of unknown) problems.push(`${metric}: not a metric (the metrics are ${METRIC_NAMES.join(', ')})`);
  return problems;
}

/**
 * Reads the text of a baseline file: JSON (a syntax error names the line and column), the baseline
 * schema (the first mismatch by its path) and complete (baselineProblems). Each failure is a
 * UserError naming `path`; `hint` says how to write the baseline again.
 */
export function parseBaseline(text: string, path: string, hint: string): Baseline {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const at = lineColumn(text, jsonSyntaxErrorOffset(text));
    const reason = (error as Error).message.replace(/ in JSON at position \d+.*$/s, '');
    const message = text.trim() === '' ? `${path} is empty` : `${path} is not valid JSON at line ${at.line}, column ${at.column} (${reason})`;
    throw new UserError('BASELINE_INVALID', message, { hint: `Is it cut short or hand-edited? ${hint}` });
  }
  const parsed = BaselineSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new UserError('BASELINE_INVALID', `${path} is not a pconv-bench baseline (${first?.path.join('.') || 'top level'}: ${first?.message})`, { hint });
  }
  const problems = baselineProblems(parsed.data);
  if (problems.length > 0) {
    throw new UserError('BASELINE_INCOMPLETE', `${path} is not a complete baseline: every row needs every metric (${METRIC_NAMES.join(', ')})`, {
      details: problems,
      hint,
    });
  }
  return parsed.data;
}

export interface Comparison {
  readonly regressions: Regression[];
  /** Metric values compared: baseline rows found in the results x metrics with a baseline value. */
  readonly compared: number;
  /** Baseline rows found in the results. */
  readonly rows: number;
  /** `row metric` for each value the baseline holds as null (no value when it was written): not compared. */
  readonly noBaselineValue: string[];
  /** Rows of the results that the baseline does not have (a new model or bin): not compared. */
  readonly notInBaseline: string[];
}

/**
 * Compares results with a baseline, direction-aware: lower L1 and higher PSNR/SSIM are better,
 * and a metric regresses when it moves the wrong way by more than its tolerance. A row of the
 * baseline that the results lack is a regression too (a model or bin disappeared). The baseline
 * must be complete (baselineProblems): a metric a row lacks is an error, never silently skipped.
 */
export function compareWithBaseline(results: Results, baseline: Baseline, tolerances: Tolerances): Comparison {
  const problems = baselineProblems(baseline);
  if (problems.length > 0)
    throw new UserError('BASELINE_INCOMPLETE', 'the baseline is not complete: every row needs every metric', {
      details: problems,
      hint: 'Write it again with pconv-bench check <results> --baseline <file> --update.',
    });
  const regressions: Regression[] = [];
  const noBaselineValue: string[] = [];
  let compared = 0;
  let rows = 0;
  for (const row of baseline.rows) {
    const current = results.rows.find((r) => r.model === row.model && r.bin === row.bin && r.border === row.border);
    if (!current) {
      regressions.push({ model: row.model, bin: row.bin, border: row.border, metric: 'missing', baseline: null, current: null, allowed: 0 });
      continue;
    }
    rows++;
    for (const metric of METRIC_NAMES) {
      const before = row.metrics[metric];
      const now = current.metrics[metric].mean;
      if (before === null || before === undefined) {
        noBaselineValue.push(`${rowName(row)} ${metric}`);
        continue;
      }
      compared++;
      const allowed = tolerances[metric];
      const worse = now === null || (METRIC_DIRECTION[metric] === 'lower' ? now > before + allowed : now < before - allowed);
      if (worse) regressions.push({ model: row.model, bin: row.bin, border: row.border, metric, baseline: before, current: now, allowed });
    }
  }
  const inBaseline = new Set(baseline.rows.map(rowName));
  const notInBaseline = results.rows.map(rowName).filter((name) => !inBaseline.has(name));
  return { regressions, compared, rows, noBaselineValue, notInBaseline };
}

/** 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/**
 * The offset of the first syntax error in `text` (text.length when it ends too soon): JSON.parse's
 * messages name a position only for some errors in Node 20, never for a truncated file.
 */
export function jsonSyntaxErrorOffset(text: string): number {
  /** Thrown with the offset of the first character that cannot continue the JSON text. */
  class Stop {
    constructor(readonly offset: number) {}
  }
  let i = 0;
  const stop = (at = i): never => {
    throw new Stop(at);
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) stop();
      i++;
    }
  };
  const string = () => {
    i++; // the opening quote
    while (text[i] !== '"') {
      if (i >= text.length || text.charCodeAt(i) < 0x20) stop();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) stop(i + 1);
          i += 4;
        } else if (i >= text.length || !'"\\/bfnrt'.includes(text[i] as string)) stop();
      }
      i++;
    }
    i++; // the closing quote
  };
  const number = () => {
    const pattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    pattern.lastIndex = i;
    const found = pattern.exec(text)?.[0];
    if (!found) stop(text[i] === '-' ? i + 1 : i);
    i += (found as string).length;
  };
  const list = (close: string, item: () => void) => {
    i++; // the opening bracket
    space();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      if (text[i] !== ',') stop();
      i++;
    }
  };
  const value = (): void => {
    space();
    const ch = text[i];
    if (ch === '{')
      list('}', () => {
        space();
        if (text[i] !== '"') stop();
        string();
        space();
        if (text[i] !== ':') stop();
        i++;
        value();
      });
    else if (ch === '[') list(']', value);
    else if (ch === '"') string();
    else if (ch === 't') literal('true');
    else if (ch === 'f') literal('false');
    else if (ch === 'n') literal('null');
    else if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) number();
    else stop();
  };
  try {
    value();
    space();
    if (i < text.length) stop();
  } catch (error) {
    if (error instanceof Stop) return Math.min(error.offset, text.length);
    throw error;
  }
  return text.length;
}
