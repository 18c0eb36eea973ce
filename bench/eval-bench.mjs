#!/usr/bin/env node
// Evaluation benchmark at 512x512: images/s of each part of `pconv-bench eval` (PConv UNet inference
// at the paper's size through the engine eval runs it on, OpenCV Telea, metrics) and the same
// Telea + metrics work in Python (cv2 + scikit-image) on the same files, measured in the same run.
// Inference goes through createPredictor as in src/eval/evaluate.ts: engine auto by default (ONNX
// Runtime when tfjs runs on wasm or cpu), and the table names the engine that ran.
// Usage: npm run bench:eval -- [--images 24] [--backend auto] [--inference auto|tfjs|onnx] [--write]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { benchConfig } from '../dist/bench/bench-config.js';
import { setupBackend } from '../dist/core/engine/backend.js';
import { createPredictor } from '../dist/core/infer/predictor.js';
import { binsFromEdges, PAPER_BIN_EDGES } from '../dist/core/masks/bins.js';
import { writeMaskSet } from '../dist/core/masks/write-mask-set.js';
import { buildNetwork } from '../dist/core/model/network.js';
import { imageMetrics } from '../dist/eval/metrics.js';
import { teleaInpainter } from '../dist/eval/telea.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '24' },
    backend: { type: 'string', default: 'auto' },
    inference: { type: 'string', default: 'auto' },
    write: { type: 'boolean', default: false },
  },
});
const count = Number(args.images);
if (!Number.isInteger(count) || count < 1) throw new Error(`--images ${args.images}: give a whole number of pairs, 1 or more`);
if (!['auto', 'tfjs', 'onnx'].includes(args.inference)) throw new Error(`--inference ${args.inference}: give auto, tfjs or onnx`);
const size = 512;
const dir = mkdtempSync(join(tmpdir(), 'pconv-bench-eval-'));
try {
  // Test pairs: bundled photos scaled to 512 (speed does not depend on content) and binned masks.
  const photos = readFileSync(join(root, 'data/photos/LICENSES.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')[0]);
  const perBin = Math.ceil(count / 12);
  const spec = { width: size, height: size, seed: 3, bins: binsFromEdges(PAPER_BIN_EDGES), binRule: '(lo,hi]', margin: 8, subsets: ['no-border', 'border'], perBin, generator: { kind: 'pconv-keras', sizeFactor: 0.03, minThickness: 3, lines: true, circles: true, ellipses: true }, limits: { maxShapes: 5000, maxAttempts: 20 } };
  const { manifest } = await writeMaskSet(spec, { outDir: dir, workers: 0 });
  const pairsDir = join(dir, 'pairs');
  mkdirSync(pairsDir);
  const pairs = [];
  for (let k = 0; k < count; k++) {
    const id = `pair-${String(k).padStart(5, '0')}`;
    const rgb = await sharp(join(root, 'data/photos', `${photos[k % photos.length]}.png`)).resize(size, size).removeAlpha().raw().toBuffer();
    await sharp(rgb, { raw: { width: size, height: size, channels: 3 } }).png().toFile(join(pairsDir, `${id}.png`));
    const mask = await sharp(join(dir, 'masks', manifest.masks[k % manifest.masks.length].file)).extractChannel(0).raw().toBuffer();
    await sharp(Buffer.from(mask.map((v) => (v >= 128 ? 0 : 255))), { raw: { width: size, height: size, channels: 1 } }).png().toFile(join(pairsDir, `${id}_mask000.png`));
    pairs.push({ image: Float32Array.from(rgb, (v) => v / 255), valid: Float32Array.from(mask, (v) => (v >= 128 ? 1 : 0)) });
  }

  const backend = await setupBackend(args.backend);
  // The network as eval gets it: buildNetwork (built, so that its weights exist for the ONNX
  // export) from a config of the paper's size, weights random (speed does not depend on them).
  const config = benchConfig({ size, batch: 1, loss: 'l1', levels: 8, baseChannels: 64, maxChannels: 512, head: 'none', seed: 1 });
  const net = buildNetwork(config, 'pconv');
  // What eval runs per batch: createPredictor's predict on the pairs' images and masks. Eval's
  // composite (known pixels copied back, a loop over the pixels) is left out: a copy, not compute.
  const predictor = await createPredictor(net, { kind: 'pconv', size, baselineFill: config.model.baselineFill, engine: args.inference });
  console.error(`inference engine: ${predictor.engine}`);
  for (const note of predictor.notes) console.error(`note: ${note}`);
  // Batch 1: at 512 px the paper network with batch 4 runs out of the wasm heap on the tfjs engine
  // (memory access out of bounds); ONNX Runtime runs batch 1 too, so that both engines compare.
  const batch = 1;
  const predictPairs = (from) => {
    const chunk = Array.from({ length: batch }, (_, i) => pairs[(from + i) % count]);
    const images = new Float32Array(batch * size * size * 3);
    const masks = new Float32Array(batch * size * size);
    for (const [i, p] of chunk.entries()) {
      images.set(p.image, i * size * size * 3);
      masks.set(p.valid, i * size * size);
    }
    return predictor.predict(images, masks, batch);
  };
  let inferenceMs;
  try {
    await predictPairs(0); // build (tfjs) or first run (ONNX Runtime) and warm up
    const t = performance.now();
    const batches = Math.max(1, Math.ceil(Math.min(count, 8) / batch));
    for (let i = 0; i < batches; i++) await predictPairs(i * batch);
    inferenceMs = (performance.now() - t) / (batches * batch);
  } finally {
    await predictor.dispose();
    for (const layer of net.layers()) layer.dispose();
  }

  const telea = await teleaInpainter();
  let t = performance.now();
  const outputs = pairs.map((p) => telea(p.image, p.valid, size, size));
  const teleaMs = (performance.now() - t) / count;
  t = performance.now();
  for (const [i, p] of pairs.entries()) imageMetrics(outputs[i], p.image, size, size, p.valid);
  const metricsMs = (performance.now() - t) / count;

  const peerRun = spawnSync('/usr/bin/python3', [join(root, 'bench/peers/eval_peer.py'), pairsDir], { encoding: 'utf8' });
  if (peerRun.status !== 0) throw new Error(`peer failed (apt-get install python3-opencv python3-skimage): ${peerRun.stderr}`);
  const peer = JSON.parse(peerRun.stdout);

  const date = new Date().toISOString().slice(0, 10);
  const rate = (ms) => (1000 / ms).toFixed(ms < 1000 ? 1 : 2);
  const table = [
    `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}. Date: ${date}. Command: \`npm run bench:eval -- --images ${count} --backend ${args.backend} --inference ${args.inference}\`. Backend: ${backend.name} (${backend.device}). Inference: ${predictor.engine}.`,
    `${count} pairs of 512x512 (bundled photos scaled up, paper-bin masks). Ratio = peer time / our time per image (above 1: we are faster), same run.`,
    '',
    '| part of eval, per 512x512 image | ours | peer (Python) | ratio |',
    '|---|---|---|---|',
    `| PConv UNet inference, paper size (8 levels, 64 base), batch ${batch}, ${predictor.engine} | ${inferenceMs.toFixed(0)} ms (${rate(inferenceMs)} img/s) | PyTorch: see issue 7's bench | - |`,
    `| Telea, radius 3 | ${teleaMs.toFixed(1)} ms (@opencvjs/node, WebAssembly) | ${peer.teleaMsPerImage.toFixed(1)} ms (cv2 ${peer.peer.split(' ')[2]?.replace(',', '')}, native) | ${(peer.teleaMsPerImage / teleaMs).toFixed(2)} |`,
    `| metrics: L1 holes + whole, PSNR, SSIM (Gaussian) | ${metricsMs.toFixed(1)} ms (separable Gaussian SSIM, JS) | ${peer.metricsMsPerImage.toFixed(1)} ms (scikit-image) | ${(peer.metricsMsPerImage / metricsMs).toFixed(2)} |`,
    `| eval per image, PConv + Telea + metrics for both | ${(inferenceMs + teleaMs + 2 * metricsMs).toFixed(0)} ms (${rate(inferenceMs + teleaMs + 2 * metricsMs)} img/s) | | |`,
  ].join('\n');
  console.log(table);
  if (args.write) {
    const file = join(root, 'BENCHMARKS.md');
    const text = readFileSync(file, 'utf8');
    const [start, end] = ['<!-- eval:start -->', '<!-- eval:end -->'];
    const a = text.indexOf(start);
    const b = text.indexOf(end);
    if (a < 0 || b < a) throw new Error(`BENCHMARKS.md lacks the ${start} ... ${end} markers`);
    writeFileSync(file, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
    console.error(`updated ${file}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
