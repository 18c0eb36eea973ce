import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cliEvent, runCli } from '../helpers/run-cli.js';
import { syntheticResults } from '../helpers/synthetic-results.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

/** A folder with a synthetic results.json (18 rows) and its baseline written by --update. */
async function checked(): Promise<{ dir: string; results: string; baseline: string; rows: { metrics: Record<string, number | null> }[] }> {
  const dir = await tempDir();
  const results = join(dir, 'results.json');
  const baseline = join(dir, 'baseline.json');
  await writeFile(results, JSON.stringify(syntheticResults()));
  const update = await runCli(['check', results, '--baseline', baseline, '--update']);
  expect(update.code, update.stderr).toBe(0);
  return { dir, results, baseline, rows: JSON.parse(await readFile(baseline, 'utf8')).rows };
}

async function editBaseline(baseline: string, edit: (json: { rows: { metrics: Record<string, number | null> }[] }) => void): Promise<void> {
  const json = JSON.parse(await readFile(baseline, 'utf8'));
  edit(json);
  await writeFile(baseline, JSON.stringify(json, null, 1));
}

describe('pconv-bench check against an incomplete or broken baseline (issue 16, fault 3)', () => {
  test('a complete baseline passes and counts 18 rows x 4 metrics', async () => {
    const { results, baseline } = await checked();
    const pass = await runCli(['check', results, '--baseline', baseline]);
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stdout).toContain('quality check passed: 18 rows x 4 metrics within tolerance');
    expect(pass.stderr).not.toContain('warning');
  });

  test('a row without PSNR fails with exit 1 naming the row and the metric', async () => {
    const { results, baseline } = await checked();
    await editBaseline(baseline, (json) => {
      delete json.rows[3]?.metrics.psnr;
    });
    const run = await runCli(['check', results, '--baseline', baseline]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: ${baseline} is not a complete baseline`);
    expect(run.stderr).toContain('PConv (0.1, 0.3] border: no psnr');
    expect(run.stderr).toContain(`hint: Write it again from results you trust: pconv-bench check ${results} --baseline ${baseline} --update`);
    expect(run.stdout).not.toContain('quality check passed');
  });

  test('SSIM dropped from every row fails with exit 1 and one line for it', async () => {
    const { results, baseline } = await checked();
    await editBaseline(baseline, (json) => {
      for (const row of json.rows) delete row.metrics.ssim;
    });
    const run = await runCli(['check', results, '--baseline', baseline, '--json']);
    expect(run.code).toBe(1);
    const error = cliEvent(run.stdout, 'error');
    expect(error).toMatchObject({ code: 'BASELINE_INCOMPLETE', details: ['ssim: missing from all 18 rows'] });
  });

  test('a truncated baseline is exit 1 naming the file and where the JSON stops', async () => {
    const { results, baseline } = await checked();
    const text = await readFile(baseline, 'utf8');
    await writeFile(baseline, text.slice(0, text.indexOf('"rows": [') + '"rows": ['.length));
    const run = await runCli(['check', results, '--baseline', baseline]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: ${baseline} is not valid JSON at line 6, column 11 (Unexpected end of JSON input)`);
    expect(run.stderr).toContain('--update');
    await writeFile(baseline, '');
    const empty = await runCli(['check', results, '--baseline', baseline]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain(`error: ${baseline} is empty`);
  });

  test('what is not compared is named and not counted: a null baseline value and a model the baseline lacks', async () => {
    const { results, baseline } = await checked();
    await editBaseline(baseline, (json) => {
      (json.rows[0] as { metrics: Record<string, number | null> }).metrics.psnr = null;
      json.rows = json.rows.filter((row) => (row as unknown as { model: string }).model !== 'Telea');
    });
    const run = await runCli(['check', results, '--baseline', baseline]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('quality check passed: 47 values of 12 rows (4 metrics each) within tolerance');
    expect(run.stderr).toContain('warning: not compared, the baseline has no value (null) for 1: PConv (0.01, 0.1] no-border psnr');
    expect(run.stderr).toContain('warning: not compared, 6 rows of the results are not in the baseline: Telea (0.01, 0.1] no-border;');
  });

  test('a baseline with no rows checks nothing and is refused', async () => {
    const { results, baseline } = await checked();
    await editBaseline(baseline, (json) => {
      json.rows = [];
    });
    const run = await runCli(['check', results, '--baseline', baseline]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('it has no rows: it would check nothing');
  });
});
