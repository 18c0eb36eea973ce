import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { writeReport } from '../../../src/eval/report/write-report.js';
import { runLayout } from '../../../src/protocol/run-layout.js';
import { writeSyntheticDrilldown } from '../../helpers/synthetic-drilldown.js';
import { type SyntheticRunSpec, writeSyntheticRun } from '../../helpers/synthetic-runs.js';
import { useTempDirs } from '../../helpers/temp-dir.js';
import { userErrorOf } from '../../helpers/user-error.js';

const tempDir = useTempDirs();

const SPEC: SyntheticRunSpec = {
  pairs: [0, 1, 2, 3, 4, 5].map((k) => ({ stamp: `s${k}`, binIndex: k % 2, border: 'no-border' })),
  models: [
    { name: 'PConv', kind: 'pconv', psnr: [20, 21, 22, 23, 24, 25] },
    { name: 'Telea', kind: 'classical', psnr: [30, 31, 32, 33, 34, 35] },
  ],
};

describe('writeReport: the drill-down and the table of pairs', () => {
  test('writes pairs.html beside index.html and links it; the drill-down lists every chosen pair', async () => {
    const run = await tempDir();
    const results = await writeSyntheticRun(run, SPEC);
    const drilldown = await writeSyntheticDrilldown(run, SPEC, results);
    const written = await writeReport(run);
    expect(written).toMatchObject({ path: runLayout(run).report, pairs: runLayout(run).pairsPage, notes: [] });
    const html = await readFile(written.path, 'utf8');
    expect(html).toContain('<a id="pairs-link" href="pairs.html">');
    for (const pair of drilldown.pairs) expect(html).toContain(`id="pair-${String(pair.k).padStart(5, '0')}"`);
    const pairs = await readFile(written.pairs, 'utf8');
    expect(pairs).toContain('<script id="pairs-data" type="application/json">');
    expect(pairs).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/);
  });

  test('a run evaluated before the drill-down and the per-pair scores: the report says what is missing and how to get it, and so do the notes', async () => {
    const run = await tempDir();
    await writeSyntheticRun(run, SPEC);
    await rm(runLayout(run).scoresDir, { recursive: true });
    const written = await writeReport(run);
    expect(written.notes).toEqual([
      'the report has no worst and best pairs: drilldown.json is missing; `pconv-bench eval <config> --run <this folder>` writes it from the kept per-pair scores.',
      `pairs.html has no table: there are no per-pair scores of PConv in scores/: evaluate again (pconv-bench eval <config> --run ${run}) to write them`,
    ]);
    const html = await readFile(written.path, 'utf8');
    expect(html).toContain('<p id="drilldown-unavailable">This run was evaluated before pconv-bench chose worst and best pairs: drilldown.json is missing;');
    expect(await readFile(written.pairs, 'utf8')).toContain('<p id="pairs-unavailable">No table of pairs: there are no per-pair scores of PConv in scores/');
  });

  test('per-pair scores of another evaluation, or no mask set: no table, saying why', async () => {
    const run = await tempDir();
    const results = await writeSyntheticRun(run, SPEC);
    await writeSyntheticDrilldown(run, SPEC, results);
    await appendFile(join(runLayout(run).scoresDir, 'telea.jsonl'), `${JSON.stringify([0, 's0', 9, 0.9, 99, 0.99])}\n`);
    expect((await writeReport(run)).notes).toEqual([
      expect.stringMatching(
        /^pairs\.html has no table: the per-pair scores of Telea in scores\/ are not those its results\.json summarises \(\(0\.01, 0\.3\] no-border, l1Hole: .*\): evaluate again/,
      ),
    ]);
    await rm(runLayout(run).masksDir, { recursive: true });
    expect((await writeReport(run)).notes).toEqual([
      "pairs.html has no table: masks/manifest.json is missing (the table reads each pair's bin and mask from it): put the run's masks/ folder back",
    ]);
  });

  test('a drill-down picture missing or changed: an error naming it and how to make it again; nothing is overwritten', async () => {
    const run = await tempDir();
    const results = await writeSyntheticRun(run, SPEC);
    const drilldown = await writeSyntheticDrilldown(run, SPEC, results);
    await writeFile(runLayout(run).report, 'previous report');
    await writeFile(runLayout(run).pairsPage, 'previous table');
    const picture = drilldown.pairs[0]?.outputs.PConv as string;
    await rm(join(run, picture));
    const error = await userErrorOf(writeReport(run));
    expect(error.code).toBe('DRILLDOWN_PICTURE_DAMAGED');
    expect(error.message).toBe(`drill-down picture ${join(run, picture)} is missing (drilldown.json lists it)`);
    expect(error.hint).toMatch(/^Evaluate again: `pconv-bench eval <config>`/);
    expect(await readFile(runLayout(run).report, 'utf8')).toBe('previous report');
    expect(await readFile(runLayout(run).pairsPage, 'utf8')).toBe('previous table');
  });
});

/** A picture of `size` px with structure (noise would not compress like a photo). */
async function writePicture(path: string, size: number): Promise<void> {
  const pixels = Buffer.alloc(size * size * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + Math.floor(i / (size * 3)) * 3) % 256;
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(
    path,
    await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

describe('writeReport: the samples', () => {
  test('pictures up to 128 px are inlined whole and enlarge in place; larger ones as a 128 px WebP linking to the full-size file', async () => {
    const run = await tempDir();
    await writeSyntheticRun(run, SPEC);
    const resultsPath = runLayout(run).results;
    const results = JSON.parse(await readFile(resultsPath, 'utf8'));
    const sample = (binIndex: number, size: number) => {
      const dir = `eval-samples/${binIndex}-no-border`;
      return {
        bin: binIndex === 0 ? '(0.01, 0.3]' : '(0.3, 0.6]',
        binIndex,
        border: 'no-border',
        input: `${dir}/input.png`,
        target: `${dir}/target.png`,
        outputs: { PConv: `${dir}/pconv.png` },
        size,
      };
    };
    const samples = [sample(0, 64), sample(1, 512)];
    for (const s of samples) for (const path of [s.input, s.target, s.outputs.PConv]) await writePicture(join(run, path), s.size);
    results.samples = samples.map(({ size: _, ...s }) => s);
    await writeFile(resultsPath, JSON.stringify(results));
    const html = await readFile((await writeReport(run)).path, 'utf8');
    const small = await readFile(join(run, samples[0]?.input as string));
    expect(html).toContain(`<a href="#img-eval-samples-0-no-border-input-png"><img src="data:image/png;base64,${small.toString('base64')}"`);
    expect(html).toContain(`<a class="lightbox" id="img-eval-samples-0-no-border-input-png" href="#samples">`);
    expect(html).toMatch(
      /<a href="eval-samples\/1-no-border\/input\.png" title="full size"><img src="data:image\/webp;base64,[^"]+" alt="masked input" width="128" height="128"><\/a>/,
    );
    expect(html).not.toContain('id="img-eval-samples-1-no-border');
    const big = await readFile(join(run, samples[1]?.input as string));
    expect(html).not.toContain(big.toString('base64').slice(0, 200));
    const webp = html.match(/eval-samples\/1-no-border\/input\.png" title="full size"><img src="data:image\/webp;base64,([^"]+)"/)?.[1] as string;
    expect(await sharp(Buffer.from(webp, 'base64')).metadata()).toMatchObject({ format: 'webp', width: 128, height: 128 });
  });

  test('a sample picture missing: an error naming it, nothing written', async () => {
    const run = await tempDir();
    await writeSyntheticRun(run, SPEC);
    const resultsPath = runLayout(run).results;
    const results = JSON.parse(await readFile(resultsPath, 'utf8'));
    results.samples = [
      {
        bin: '(0.01, 0.3]',
        binIndex: 0,
        border: 'no-border',
        input: 'eval-samples/0-no-border/input.png',
        target: 'eval-samples/0-no-border/target.png',
        outputs: {},
      },
    ];
    await writeFile(resultsPath, JSON.stringify(results));
    await writePicture(join(run, 'eval-samples/0-no-border/input.png'), 200);
    const error = await userErrorOf(writeReport(run));
    expect(error).toMatchObject({ code: 'REPORT_SAMPLE_MISSING', message: `sample image ${join(run, 'eval-samples/0-no-border/target.png')} is missing` });
    await expect(readFile(runLayout(run).report)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
