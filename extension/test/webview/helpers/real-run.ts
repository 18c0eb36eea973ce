import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../../../src/core/config/parse-config.js';
import { listImages, splitImages } from '../../../../src/core/data/image-list.js';
import { setupBackend } from '../../../../src/core/engine/backend.js';
import { maskSetSpecOf } from '../../../../src/core/masks/mask-plan.js';
import { writeMaskSet } from '../../../../src/core/masks/write-mask-set.js';
import { trainModel } from '../../../../src/core/train/trainer.js';
import { scoreRun } from '../../../../src/eval/evaluate.js';
import { writeReport } from '../../../../src/eval/report/write-report.js';
import { summariseScores } from '../../../../src/eval/summarise-scores.js';
import { writeEvaluation } from '../../../../src/eval/write-evaluation.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');

/**
 * A real, tiny run folder in `runDir`, made by the project's own code as `pconv-bench run` makes it
 * (masks, PConv and baseline trained a few steps on the bundled photos, evaluated, results.json,
 * drilldown.json with its pictures, the CLI's index.html and pairs.html), in a few seconds on the
 * wasm backend. The same recipe as test/eval/report/report.browser.test.ts.
 */
export async function makeReportedRun(runDir: string): Promise<{ indexHtml: string }> {
  const config = parseConfig(
    `name: webview-test\nseed: 9\ndata: { root: ${resolve(repoRoot, 'data/photos')}, imageSize: 16, testFraction: 0.2 }\nmasks: { bins: [[0.05, 0.25], [0.25, 0.5]], border: { margin: 1 }, perBin: 2 }\nmodel: { levels: 2, baseChannels: 4, maxChannels: 8 }\nloss: { perceptual: 0, style: 0 }\ntrain: { batchSize: 2, phase1: { learningRate: 0.002, steps: 3, freezeEncoderBatchNorm: false }, phase2: { learningRate: 0.001, steps: 2, freezeEncoderBatchNorm: true }, validateEvery: 2 }\n`,
    'webview-test.yaml',
    repoRoot,
  );
  const backend = await setupBackend('wasm', { model: config.model });
  const splits = splitImages(await listImages(config.data), config.data, config.seed);
  await writeMaskSet(maskSetSpecOf(config.masks, 16, config.seed), { outDir: runDir, workers: 0 });
  for (const kind of ['pconv', 'conv'] as const)
    await trainModel({ config, configHash: 'h', kind, runDir, backend, trainFiles: splits.train, validationFiles: splits.validation });
  const scores = await scoreRun({ config, configHash: 'h', runDir, backend, testFiles: splits.test, versions: { test: '1' } });
  // results.json and drilldown.json, as the eval stage writes them.
  await writeEvaluation(runDir, summariseScores(scores), scores.drilldown);
  const report = await writeReport(runDir);
  return { indexHtml: report.path };
}
