#!/usr/bin/env node
// Per-kernel profile of one PConv UNet training step (buildNetwork + loss + our Adam, exactly as
// `train` runs it) on a backend whose kernels run synchronously (wasm, cpu): self time per kernel
// name and per kernel + input shapes, share by kind, tensors and bytes. See docs/profile-wasm.md.
// Usage: npm run build && node bench/profile-wasm.mjs [--size 64] [--batch 4] [--levels L]
//        [--base 64] [--max 512] [--steps 3] [--backend wasm] [--top 25] [--dist DIR] [--json]
//        [--loss l1|full] [--inference: profile the TensorFlow.js inference pass instead, the one
//        `pconv-bench bench --inference tfjs` times]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '4' },
    levels: { type: 'string' },
    base: { type: 'string', default: '64' },
    max: { type: 'string', default: '512' },
    steps: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'wasm' },
    top: { type: 'string', default: '25' },
    dist: { type: 'string', default: 'dist' },
    json: { type: 'boolean', default: false },
    inference: { type: 'boolean', default: false },
    loss: { type: 'string', default: 'l1' },
  },
});
const dist = resolve(args.dist);
const { setupBackend } = await import(`${dist}/core/engine/backend.js`);
const { startKernelProfile } = await import(`${dist}/core/engine/kernel-profiler.js`);
// buildNetwork and weightMap live in core/model/network.js; a --dist built before they moved there has them in core/train/trainer.js.
const { buildNetwork, weightMap } = await import(`${dist}/core/model/network.js`).catch(() => import(`${dist}/core/train/trainer.js`));
const { trainStep } = await import(`${dist}/core/train/trainer.js`);
const { Adam } = await import(`${dist}/core/train/adam.js`);

const size = Number(args.size);
const batch = Number(args.batch);
// Depth follows the size as the paper's UNet does (8 levels at 512, docs/science.md): the bottleneck is 2x2.
const levels = args.levels ? Number(args.levels) : Math.log2(size) - 1;
// The bench's config and loss (l1: valid + 6 x hole; full: eq. 7 with random VGG16 weights).
const { benchConfig } = await import(`${dist}/bench/bench-config.js`);
const { benchFeatures } = await import(`${dist}/bench/bench-features.js`);
const config = benchConfig({ size, batch, loss: args.loss, levels, baseChannels: Number(args.base), maxChannels: Number(args.max), head: 'none', seed: 0 });
const backend = await setupBackend(args.backend);
const net = buildNetwork(config, 'pconv');
const { extractor } = await benchFeatures(config, 0);
const trainable = new Map([...weightMap(net)].filter(([, w]) => w.trainable).map(([key, w]) => [key, w.read()]));
const adam = new Adam(2e-4);

// A fixed batch: smooth images and rectangular holes (speed does not depend on content).
const images = new Float32Array(batch * size * size * 3);
const masks = new Float32Array(batch * size * size).fill(1);
for (let b = 0; b < batch; b++) {
  for (let i = 0; i < size * size * 3; i++) images[b * size * size * 3 + i] = 0.5 + 0.4 * Math.sin(i * 0.001 + b);
  const [y0, x0, side] = [(b * 7) % (size / 2), (b * 13) % (size / 2), size / 3 + b];
  for (let y = y0; y < Math.min(size, y0 + side); y++) for (let x = x0; x < Math.min(size, x0 + side); x++) masks[b * size * size + y * size + x] = 0;
}
const data = { size, count: batch, images, masks };

// --inference profiles the TensorFlow.js inference pass instead (predict in inference mode, clipped,
// as createPredictor's tfjs engine runs it): what `pconv-bench bench --inference tfjs` times. By
// default bench and eval infer with ONNX Runtime on wasm/cpu, which runs no tfjs kernels to profile.
const { modelInputs } = await import(`${dist}/core/model/model-inputs.js`);
const step = args.inference
  ? () => {
      const out = tf.tidy(() => {
        const x = tf.tensor4d(images, [batch, size, size, 3]);
        const m1 = tf.tensor4d(masks, [batch, size, size, 1]);
        const { input, mask } = modelInputs('pconv', x, m1, 'mean-pixel');
        return tf.clipByValue(net.predict(input, mask, false), 0, 1);
      });
      out.dataSync();
      out.dispose();
    }
  : () => trainStep(net, 'pconv', config, data, trainable, adam, extractor);
for (let i = 0; i < 2; i++) await step();
const steps = Number(args.steps);
const wall = [];
let profile;
const before = tf.memory();
let peakBytes = 0;
{
  const profiler = startKernelProfile(tf.getBackend());
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const info = await tf.profile(() => step());
    wall.push(performance.now() - t0);
    peakBytes = Math.max(peakBytes, info.peakBytes);
  }
  profile = profiler.stop();
}
const after = tf.memory();
const perStep = (ms) => ms / steps;
const stepMs = wall.reduce((a, b) => a + b, 0) / steps;
const kind = (name) => {
  if (name === 'Conv2D' || name === 'FusedConv2D') return 'conv forward';
  if (name === 'Conv2DBackpropInput') return 'conv grad input (ours, self)';
  if (name === 'Conv2DBackpropFilter') return 'conv grad filter (ours, self)';
  if (name === 'BatchMatMul') return 'matmul (deep conv grad input)';
  if (/BatchNorm|Moments/.test(name)) return 'batch norm';
  if (/Concat|Slice|Split|Tile|Transpose|Pad|Reshape|Identity|Pack|Unpack/.test(name)) return 'copies (concat, slice, tile, transpose, pad)';
  if (/Resize/.test(name)) return 'resize';
  if (/Sum|Mean|Max$|Min$|Prod/.test(name)) return 'reductions';
  return 'elementwise';
};
const kinds = new Map();
for (const row of profile.byName) kinds.set(kind(row.key), (kinds.get(kind(row.key)) ?? 0) + row.selfMs);
const result = {
  backend: `${backend.name} (${backend.device})`,
  size,
  batch,
  levels,
  channels: `${args.base}..${args.max}`,
  stepMsWithProfiling: stepMs,
  kernelMsPerStep: perStep(profile.kernelMs),
  outsideKernelsMsPerStep: stepMs - perStep(profile.kernelMs),
  kinds: [...kinds].sort((a, b) => b[1] - a[1]).map(([k, ms]) => ({ kind: k, msPerStep: perStep(ms), share: ms / profile.kernelMs })),
  byName: profile.byName.slice(0, Number(args.top)).map((r) => ({ ...r, selfMs: perStep(r.selfMs), totalMs: perStep(r.totalMs), calls: r.calls / steps, bytesOut: r.bytesOut / steps })),
  byShape: profile.byShape.slice(0, Number(args.top)).map((r) => ({ ...r, selfMs: perStep(r.selfMs), totalMs: perStep(r.totalMs), calls: r.calls / steps, bytesOut: r.bytesOut / steps })),
  kernelCallsPerStep: profile.byName.reduce((s, r) => s + r.calls, 0) / steps,
  bytesOutPerStep: profile.byName.reduce((s, r) => s + r.bytesOut, 0) / steps,
  peakBytes,
  tensorsLeaked: after.numTensors - before.numTensors,
};
if (args.json) {
  console.log(JSON.stringify(result));
} else {
  const mb = (b) => (b / 2 ** 20).toFixed(1);
  console.log(`${result.backend}, ${size}x${size}, batch ${batch}, ${levels} levels, channels ${result.channels}`);
  console.log(
    `step ${stepMs.toFixed(1)} ms (profiled), in kernels ${result.kernelMsPerStep.toFixed(1)} ms, outside ${result.outsideKernelsMsPerStep.toFixed(1)} ms; ` +
      `${result.kernelCallsPerStep} kernel calls, ${mb(result.bytesOutPerStep)} MiB written, peak ${mb(result.peakBytes)} MiB, leaked ${result.tensorsLeaked} tensors`,
  );
  console.log('\n| kind | ms/step | share |\n|---|---|---|');
  for (const k of result.kinds) console.log(`| ${k.kind} | ${k.msPerStep.toFixed(1)} | ${(100 * k.share).toFixed(1)}% |`);
  console.log('\n| kernel | calls/step | self ms/step | total ms/step | MiB out/step |\n|---|---|---|---|---|');
  for (const r of result.byName) console.log(`| ${r.key} | ${r.calls} | ${r.selfMs.toFixed(1)} | ${r.totalMs.toFixed(1)} | ${mb(r.bytesOut)} |`);
  console.log('\n| kernel and input shapes | calls/step | self ms/step |\n|---|---|---|');
  for (const r of result.byShape) console.log(`| ${r.key} | ${r.calls} | ${r.selfMs.toFixed(1)} |`);
}
