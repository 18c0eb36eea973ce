import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { drilldownText } from '../../src/eval/drilldown/drilldown-record.js';
import { samplePictures, samplesOf } from '../../src/eval/eval-samples.js';
import { writeSamplePictures } from '../../src/eval/sample-stamps.js';
import { checkEvalOutputs } from '../../src/pipeline/eval-outputs.js';
import { runLayout } from '../../src/protocol/run-layout.js';
import { writeSyntheticDrilldown } from '../helpers/synthetic-drilldown.js';
import { writeSyntheticRun } from '../helpers/synthetic-runs.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

const SPEC = {
  pairs: [0, 1, 2, 3].map((k) => ({ stamp: `s${k}`, binIndex: k % 2, border: 'no-border' as const })),
  models: [{ name: 'PConv', kind: 'pconv' as const, psnr: [20, 21, 22, 23] }],
};

describe('the eval stage outputs', () => {
  test('whole: results.json alone (evaluated before the drill-down), or with drilldown.json and its pictures; the hash covers both files', async () => {
    const run = await tempDir();
    const layout = runLayout(run);
    expect(await checkEvalOutputs(layout)).toMatchObject({ problem: { code: 'RESULTS_MISSING' } });
    const results = await writeSyntheticRun(run, SPEC);
    const alone = await checkEvalOutputs(layout);
    expect(alone).toHaveProperty('hash');
    const drilldown = await writeSyntheticDrilldown(run, SPEC, results);
    const both = await checkEvalOutputs(layout);
    expect(both).toHaveProperty('hash');
    expect(both).not.toEqual(alone);
    await writeFile(layout.drilldown, drilldownText({ ...drilldown, perSide: 2 }));
    expect(await checkEvalOutputs(layout)).not.toEqual(both);
  });

  test('not whole while a drill-down picture is missing or drilldown.json is damaged: the problem names the file (the report command shows it, eval makes them again)', async () => {
    const run = await tempDir();
    const results = await writeSyntheticRun(run, SPEC);
    const drilldown = await writeSyntheticDrilldown(run, SPEC, results);
    const picture = drilldown.pairs[1]?.mask as string;
    await rm(join(run, picture));
    expect(await checkEvalOutputs(runLayout(run))).toMatchObject({
      problem: { code: 'DRILLDOWN_PICTURE_DAMAGED', message: expect.stringContaining(`${join(run, picture)} is missing`) },
    });
    await writeFile(runLayout(run).drilldown, 'not json');
    expect(await checkEvalOutputs(runLayout(run))).toMatchObject({ problem: { code: 'DRILLDOWN_INVALID' } });
  });

  test('not whole while a sample picture results.json lists is missing or not as eval wrote it: the problem names it; the same picture back, whole again', async () => {
    const run = await tempDir();
    const layout = runLayout(run);
    await writeSyntheticRun(run, SPEC);
    const group = { bin: '(0.01, 0.1]', binIndex: 0, border: 'no-border' as const, indices: [0, 2] };
    const image = Float32Array.from({ length: 2 * 2 * 3 }, (_, i) => i / 12);
    const valid = Float32Array.from([1, 0, 1, 1]);
    await writeSamplePictures(run, group, 0, await samplePictures(group, { image, valid }, [{ name: 'PConv', data: image.map((v) => 1 - v) }], 2));
    const results = JSON.parse(await readFile(layout.results, 'utf8'));
    results.samples = samplesOf([group], () => true, ['PConv']);
    await writeFile(layout.results, JSON.stringify(results));
    const whole = await checkEvalOutputs(layout);
    expect(whole).toHaveProperty('hash');
    const picture = results.samples[0].outputs.PConv as string;
    const bytes = await readFile(join(run, picture));
    await rm(join(run, picture));
    expect(await checkEvalOutputs(layout)).toMatchObject({
      problem: { code: 'REPORT_SAMPLE_MISSING', message: `sample image ${join(run, picture)} is missing` },
    });
    await writeFile(join(run, picture), 'edited');
    expect(await checkEvalOutputs(layout)).toMatchObject({
      problem: { code: 'REPORT_SAMPLE_DAMAGED', message: expect.stringContaining(`${join(run, picture)} is not the picture eval wrote`) },
    });
    await writeFile(join(run, picture), bytes);
    expect(await checkEvalOutputs(layout)).toEqual(whole);
  });
});
