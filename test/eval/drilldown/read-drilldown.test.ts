import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { drilldownText } from '../../../src/eval/drilldown/drilldown-record.js';
import { readDrilldown } from '../../../src/eval/drilldown/read-drilldown.js';
import type { Drilldown } from '../../../src/protocol/drilldown.js';
import type { Results } from '../../../src/protocol/results.js';
import { runLayout } from '../../../src/protocol/run-layout.js';
import { writeSyntheticDrilldown } from '../../helpers/synthetic-drilldown.js';
import { writeSyntheticRun } from '../../helpers/synthetic-runs.js';
import { useTempDirs } from '../../helpers/temp-dir.js';
import { userErrorOf } from '../../helpers/user-error.js';

const tempDir = useTempDirs();

const SPEC = {
  pairs: [0, 1, 2, 3].map((k) => ({ stamp: `s${k}`, binIndex: k % 2, border: 'no-border' as const })),
  models: [
    { name: 'PConv', kind: 'pconv' as const, psnr: [20, 21, 22, 23] },
    { name: 'Telea', kind: 'classical' as const, psnr: [30, 31, 32, 33] },
  ],
};

async function runWithDrilldown(): Promise<{ run: string; results: Results; drilldown: Drilldown }> {
  const run = await tempDir();
  const results = await writeSyntheticRun(run, SPEC);
  return { run, results, drilldown: await writeSyntheticDrilldown(run, SPEC, results) };
}

describe('readDrilldown', () => {
  test('a whole drill-down reads back; none (a run evaluated before the drill-down existed) is not an error', async () => {
    const { run, results, drilldown } = await runWithDrilldown();
    expect((await readDrilldown(run, results))?.drilldown).toEqual(drilldown);
    await rm(runLayout(run).drilldown);
    expect(await readDrilldown(run, results)).toBeUndefined();
  });

  test('bad input, each named with how to fix it: not JSON, not the schema, of another evaluation, a picture missing or changed, a stamp gone', async () => {
    const { run, results, drilldown } = await runWithDrilldown();
    const path = runLayout(run).drilldown;
    const cases: [string, () => Promise<void>, RegExp][] = [
      ['DRILLDOWN_INVALID', () => writeFile(path, '{"format": '), /drilldown\.json is not valid JSON/],
      ['DRILLDOWN_INVALID', () => writeFile(path, JSON.stringify({ ...drilldown, metric: 'lpips' })), /does not match the drill-down schema \(metric: /],
      ['DRILLDOWN_STALE', () => writeFile(path, drilldownText({ ...drilldown, masksSha256: 'other' })), /belongs to another evaluation than .*results\.json/],
      ['DRILLDOWN_STALE', () => writeFile(path, drilldownText({ ...drilldown, models: ['PConv'] })), /belongs to another evaluation/],
    ];
    for (const [code, damage, message] of cases) {
      await damage();
      const error = await userErrorOf(readDrilldown(run, results));
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      expect(error.message).toContain(path);
      expect(error.hint).toContain('pconv-bench eval <config>');
    }
    await writeFile(path, drilldownText(drilldown));
    expect((await readDrilldown(run, results))?.drilldown).toEqual(drilldown);
    // A picture missing, another one changed, a pair's stamp gone (killed before it was written).
    const [first, second, third] = drilldown.pairs;
    const damages: [() => Promise<void>, string, string][] = [
      [() => rm(join(run, first?.outputs.Telea as string)), first?.outputs.Telea as string, 'is missing'],
      [
        () => writeFile(join(run, second?.mask as string), 'not the mask'),
        second?.mask as string,
        'is not the picture eval wrote (its hash in drilldown/pair-',
      ],
      [() => rm(join(run, `drilldown/pair-${String(third?.k).padStart(5, '0')}.json`)), third?.input as string, 'has no stamp'],
    ];
    for (const [damage, file, problem] of damages) {
      await damage();
      const error = await userErrorOf(readDrilldown(run, results));
      expect(error.code).toBe('DRILLDOWN_PICTURE_DAMAGED');
      expect(error.message).toContain(`drill-down picture ${join(run, file)} ${problem}`);
      expect(error.message).toContain('(drilldown.json lists it)');
      expect(error.hint).toContain('only the drill-down pictures are made again');
      await writeSyntheticDrilldown(run, SPEC, results);
    }
  });
});
