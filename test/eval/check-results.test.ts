import { describe, expect, test } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { type Baseline, baselineFrom, baselineProblems, compareWithBaseline, jsonSyntaxErrorOffset, parseBaseline } from '../../src/eval/check-results.js';
import { METRIC_NAMES } from '../../src/protocol/results.js';
import { syntheticResults } from '../helpers/synthetic-results.js';

const TOLERANCES = { l1Hole: 0.5, l1: 0.2, psnr: 0.3, ssim: 0.01 };

function baselineText(edit: (b: Baseline) => void = () => {}): string {
  const baseline = baselineFrom(syntheticResults());
  edit(baseline);
  return JSON.stringify(baseline, null, 1);
}

function thrown(f: () => unknown): UserError {
  try {
    f();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('expected a UserError');
}

const VALID_JSON = '{"a": [1, {"b": null}], "c": "\\u00e9"}';

describe('parseBaseline and baselineProblems (issue 16, fault 3)', () => {
  test('a complete baseline parses, and compares every metric of every row', () => {
    const baseline = parseBaseline(baselineText(), 'b.json', 'hint');
    expect(baselineProblems(baseline)).toEqual([]);
    const comparison = compareWithBaseline(syntheticResults(), baseline, TOLERANCES);
    expect(comparison).toMatchObject({ regressions: [], rows: 18, compared: 18 * METRIC_NAMES.length, noBaselineValue: [], notInBaseline: [] });
  });

  test('a row that lacks PSNR is an error naming the row and the metric', () => {
    const text = baselineText((b) => {
      delete (b.rows[3] as { metrics: Record<string, unknown> }).metrics.psnr;
    });
    const error = thrown(() => parseBaseline(text, 'b.json', 'Write it again with --update.'));
    expect(error.code).toBe('BASELINE_INCOMPLETE');
    expect(error.message).toContain('b.json is not a complete baseline');
    expect(error.details).toEqual(['PConv (0.1, 0.3] border: no psnr']);
    expect(error.hint).toContain('--update');
  });

  test('SSIM missing from every row is one line, not eighteen', () => {
    const text = baselineText((b) => {
      for (const row of b.rows) delete (row as { metrics: Record<string, unknown> }).metrics.ssim;
    });
    const error = thrown(() => parseBaseline(text, 'b.json', 'hint'));
    expect(error.code).toBe('BASELINE_INCOMPLETE');
    expect(error.details).toEqual(['ssim: missing from all 18 rows']);
  });

  test('compareWithBaseline itself refuses an incomplete baseline instead of skipping the metric', () => {
    const baseline = JSON.parse(
      baselineText((b) => {
        delete (b.rows[0] as { metrics: Record<string, unknown> }).metrics.l1;
      }),
    ) as Baseline;
    // Even a row far worse in l1 used to pass: the metric was never looked at.
    const error = thrown(() => compareWithBaseline(syntheticResults(), baseline, TOLERANCES));
    expect(error.code).toBe('BASELINE_INCOMPLETE');
    expect(error.details).toEqual(['PConv (0.01, 0.1] no-border: no l1']);
  });

  test('no rows, a row twice and an unknown metric are named too', () => {
    expect(baselineProblems({ ...baselineFrom(syntheticResults()), rows: [] })).toEqual(['it has no rows: it would check nothing']);
    const doubled = baselineFrom(syntheticResults());
    doubled.rows.push({ ...(doubled.rows[0] as Baseline['rows'][number]) });
    expect(baselineProblems(doubled)).toEqual(['PConv (0.01, 0.1] no-border: the row appears more than once']);
    const typo = baselineFrom(syntheticResults());
    for (const row of typo.rows) {
      row.metrics.pnsr = row.metrics.psnr ?? null;
      delete row.metrics.psnr;
    }
    expect(baselineProblems(typo)).toEqual(['psnr: missing from all 18 rows', 'pnsr: not a metric (the metrics are l1Hole, l1, psnr, ssim)']);
  });

  test('a null baseline value (what --update writes for a metric without a value) is named as not compared, not counted', () => {
    const baseline = parseBaseline(
      baselineText((b) => {
        (b.rows[0] as Baseline['rows'][number]).metrics.psnr = null;
      }),
      'b.json',
      'hint',
    );
    const comparison = compareWithBaseline(syntheticResults(), baseline, TOLERANCES);
    expect(comparison.compared).toBe(18 * 4 - 1);
    expect(comparison.noBaselineValue).toEqual(['PConv (0.01, 0.1] no-border psnr']);
  });

  test('rows of the results the baseline lacks are named as not compared', () => {
    const baseline = parseBaseline(
      baselineText((b) => {
        b.rows = b.rows.filter((r) => r.model !== 'Telea');
      }),
      'b.json',
      'hint',
    );
    const comparison = compareWithBaseline(syntheticResults(), baseline, TOLERANCES);
    expect(comparison.rows).toBe(12);
    expect(comparison.compared).toBe(48);
    expect(comparison.notInBaseline).toHaveLength(6);
    expect(comparison.notInBaseline[0]).toBe('Telea (0.01, 0.1] no-border');
  });

  test('a regression is still found, direction-aware', () => {
    const baseline = parseBaseline(
      baselineText((b) => {
        const row = b.rows[0] as Baseline['rows'][number];
        row.metrics.psnr = (row.metrics.psnr as number) + 1;
      }),
      'b.json',
      'hint',
    );
    expect(compareWithBaseline(syntheticResults(), baseline, TOLERANCES).regressions).toMatchObject([{ model: 'PConv', metric: 'psnr', allowed: 0.3 }]);
  });

  test('a truncated baseline is a user error naming the file and where the JSON stops', () => {
    const text = baselineText();
    const cut = text.slice(0, 300);
    const error = thrown(() => parseBaseline(cut, '/ci/baseline.json', 'Write it again with --update.'));
    expect(error.code).toBe('BASELINE_INVALID');
    const lines = cut.split('\n');
    expect(error.message).toContain(`/ci/baseline.json is not valid JSON at line ${lines.length}, column ${(lines.at(-1) as string).length + 1} (`);
    // Cut right after "rows": [ on line 6: the end of the file is where it stops.
    expect(thrown(() => parseBaseline(text.slice(0, text.indexOf('[') + 1), 'b.json', 'h')).message).toBe(
      'b.json is not valid JSON at line 6, column 11 (Unexpected end of JSON input)',
    );
    expect(error.hint).toContain('--update');
    expect(thrown(() => parseBaseline('', 'b.json', 'h')).message).toBe('b.json is empty');
  });

  test('a syntax error inside the file is placed at its line and column', () => {
    const error = thrown(() => parseBaseline('{\n "format": "pconv-bench/baseline@1",\n "rows": [1, 2,]\n}\n', 'b.json', 'h'));
    expect(error.message).toMatch(/^b\.json is not valid JSON at line 3, column 16 \(/);
  });

  test('a JSON file that is not a baseline names the first mismatch', () => {
    const error = thrown(() => parseBaseline('{"format": "pconv-bench/results@2"}', 'b.json', 'h'));
    expect(error.code).toBe('BASELINE_INVALID');
    expect(error.message).toMatch(/^b\.json is not a pconv-bench baseline \(format: /);
  });

  test.each([
    ['{"a":', 5],
    ['{"a":}', 5],
    ['{\n "a": 1,\n}', 11],
    ['[1, 2', 5],
    ['nul', 3],
    ['{"a": tru}', 9],
    ['"abc', 4],
    ['{"a": 1} x', 9],
    ['[01]', 2],
    ['{"a": "\\q"}', 8],
    ['[-]', 2],
    [VALID_JSON, 38],
  ])('jsonSyntaxErrorOffset(%j) = %i', (text, offset) => {
    expect(jsonSyntaxErrorOffset(text)).toBe(offset);
    let v8: string | undefined;
    try {
      JSON.parse(text);
    } catch (error) {
      v8 = (error as Error).message;
    }
    // Every case but the last is invalid; where V8 names a position, it is the same one.
    expect(v8 === undefined).toBe(text === VALID_JSON);
    const position = v8 && / at position (\d+)/.exec(v8)?.[1];
    if (position) expect(Number(position)).toBe(offset);
  });
});
