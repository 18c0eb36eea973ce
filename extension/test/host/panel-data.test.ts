import { existsSync } from 'node:fs';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, inject, test } from 'vitest';
import { DrilldownSchema, drilldownPicturePaths } from '../../../src/protocol/drilldown.js';
import { startCli } from '../../src/host/cli-process.js';
import { imageSize } from '../../src/host/image-size.js';
import { inpaintArgs, writeMaskFiles } from '../../src/host/inpaint-job.js';
import { loadReportData, ReportDataError } from '../../src/host/report-data.js';
import { makeNonce } from '../../src/webview/nonce.js';
import { reportPanelHtml } from '../../src/webview/report/report-panel-html.js';
import { assertCliBuilt, realCli, repoRoot, useTempDirs } from './helpers/real-cli.js';

const tempDir = useTempDirs();
const chartJs = join(repoRoot, 'node_modules', 'chart.js', 'dist', 'chart.umd.min.js');
let run: string;

beforeAll(() => {
  assertCliBuilt();
  // The finished run the global setup made with the real CLI; these tests only read it.
  run = inject('smokeRun');
});

describe('the report panel data, from a real run folder', () => {
  test('results, training curves, every sample and drill-down picture as a webview URI, Chart.js and the config', async () => {
    const data = await loadReportData(run, chartJs, (path) => `https://webview.test${path}`);
    const results = JSON.parse(await readFile(join(run, 'results.json'), 'utf8'));
    expect(data.results).toEqual(results);
    const samplePaths = new Set<string>(
      results.samples.flatMap((s: { input: string; target: string; outputs: Record<string, string> }) => [s.input, s.target, ...Object.values(s.outputs)]),
    );
    // The drill-down's (report-drilldown.test.ts has the rest of it).
    const pictures = drilldownPicturePaths(DrilldownSchema.parse(JSON.parse(await readFile(join(run, 'drilldown.json'), 'utf8'))));
    expect(Object.keys(data.images).sort()).toEqual([...samplePaths, ...pictures].sort());
    for (const [path, uri] of Object.entries(data.images)) expect(uri).toBe(`https://webview.test${join(run, path)}`);
    expect(Object.keys(data.training).sort()).toEqual(['Conv (baseline)', 'PConv']);
    // 30 training steps logged per model, validation every 10.
    expect(data.training.PConv?.train).toHaveLength(30);
    expect(data.training.PConv?.validation.map((p) => p.step)).toEqual([10, 20, 30]);
    expect(data.chartJs).toContain('Chart');
    expect(data.configYaml).toMatch(/^name: smoke$/m);
  });

  test("training.json reaches the Methods section: the training backend and split sizes, the same section as the CLI's index.html", async () => {
    const methods = (html: string) => html.match(/<section id="methods">[\s\S]*?<\/section>/)?.[0];
    const data = await loadReportData(run, chartJs, (path) => `https://webview.test${path}`);
    expect(data.trainingRecord).toEqual(JSON.parse(await readFile(join(run, 'training.json'), 'utf8')));
    const panel = methods(
      reportPanelHtml({ ...data, cspSource: 'https://webview.test', nonce: makeNonce(), bridgeScriptUri: 'https://webview.test/bridge.js' }),
    );
    expect(panel).toMatch(/Trained on TensorFlow\.js wasm/);
    expect(panel).toMatch(/\d+ training, \d+ validation and \d+ test images/);
    expect(panel).not.toContain('not recorded in this run folder');
    expect(panel).not.toContain('Training backend not recorded');
    // The CLI's own report of this folder (pconv-bench run wrote it) says the same.
    expect(panel).toBe(methods(await readFile(join(run, 'index.html'), 'utf8')));
    // Without training.json, or with one that is not JSON, the section says "not recorded" as the CLI's does.
    const bare = join(await tempDir(), 'bare');
    await cp(run, bare, { recursive: true });
    await writeFile(join(bare, 'training.json'), '{"torn');
    expect((await loadReportData(bare, chartJs, (p) => p)).trainingRecord).toBeUndefined();
    await rm(join(bare, 'training.json'));
    const without = await loadReportData(bare, chartJs, (p) => p);
    expect(without.trainingRecord).toBeUndefined();
    expect(methods(reportPanelHtml({ ...without, cspSource: 'x', nonce: makeNonce(), bridgeScriptUri: 'x' }))).toContain('Training backend not recorded');
  });

  test('a folder without results, with a foreign format, or with a sample missing is a clear error with a hint', async () => {
    const broken = join(await tempDir(), 'broken');
    await cp(run, broken, { recursive: true });
    const load = () => loadReportData(broken, chartJs, (p) => p);
    const results = await readFile(join(broken, 'results.json'), 'utf8');
    await writeFile(join(broken, 'results.json'), results.replace(/pconv-bench\/results@\d/, 'pconv-bench/results@0'));
    await expect(load()).rejects.toThrow(
      `has format "pconv-bench/results@0"; this extension reads pconv-bench/results@4 and pconv-bench/results@3 and pconv-bench/results@2 and pconv-bench/results@1`,
    );
    await writeFile(join(broken, 'results.json'), results);
    const sample = JSON.parse(results).samples[0].input;
    await rm(join(broken, sample));
    await expect(load()).rejects.toThrow(`sample image ${join(broken, sample)} is missing`);
    await rm(join(broken, 'results.json'));
    const error = await load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReportDataError);
    expect((error as ReportDataError).hint).toContain('pconv-bench eval');
    await expect(loadReportData(run, join(broken, 'no-chart.js'), (p) => p)).rejects.toThrow('Chart.js is missing from the extension');
  });
});

describe('inpaint with a painted mask, through the real CLI', () => {
  test('the mask from the webview goes to a temp PNG; pconv-bench inpaint fills the image at its size', async () => {
    const dir = await tempDir();
    const image = join(dir, 'photo.png');
    await sharp(join(repoRoot, 'data', 'photos', '000_astronaut.png'))
      .extract({ left: 60, top: 40, width: 48, height: 40 })
      .toFile(image);
    // What the webview posts: white = known, a black (hole) rectangle, at the image's size.
    const mask = await sharp({ create: { width: 48, height: 40, channels: 3, background: '#fff' } })
      .composite([{ input: { create: { width: 12, height: 10, channels: 3, background: '#000' } }, left: 20, top: 15 }])
      .png()
      .toBuffer();
    const files = await writeMaskFiles(`data:image/png;base64,${mask.toString('base64')}`, { width: 48, height: 40 });
    expect((await readFile(files.mask)).equals(mask)).toBe(true);
    const checkpoint = join(run, 'checkpoints', 'pconv', 'phase2');
    const outcome = await startCli({
      cliPath: realCli,
      args: inpaintArgs({ checkpoint, image, mask: files.mask, out: files.out, backend: 'wasm' }),
      cwd: repoRoot,
    }).done;
    expect(outcome.exitCode, outcome.message).toBe(0);
    expect(outcome.results[0]?.data).toMatchObject({ out: files.out, width: 48, height: 40 });
    expect(imageSize(await readFile(files.out))).toEqual({ width: 48, height: 40, format: 'png' });
    // Known pixels are copied back exactly: only the hole differs from the input.
    const [input, output] = await Promise.all([image, files.out].map((f) => sharp(f).removeAlpha().raw().toBuffer()));
    const at = (x: number, y: number) => (y * 48 + x) * 3;
    expect(output?.subarray(at(0, 0), at(0, 0) + 3)).toEqual(input?.subarray(at(0, 0), at(0, 0) + 3));
    expect(output?.subarray(at(47, 39), at(47, 39) + 3)).toEqual(input?.subarray(at(47, 39), at(47, 39) + 3));
    await files.dispose();
    expect(existsSync(files.dir)).toBe(false);
  });

  test('a mask that is not a PNG, or not the image size, is refused before the CLI runs', async () => {
    const png = await sharp({ create: { width: 8, height: 6, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    await expect(writeMaskFiles(`data:image/png;base64,${png.toString('base64')}`, { width: 8, height: 7 })).rejects.toThrow(
      'the painted mask is 8x6, the image 8x7',
    );
    await expect(writeMaskFiles(`data:image/png;base64,${Buffer.from('GIF89a....').toString('base64')}`, { width: 8, height: 6 })).rejects.toThrow('not a PNG');
  });
});
