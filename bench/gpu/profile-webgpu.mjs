#!/usr/bin/env node
// GPU time per kernel of one PConv UNet training step on the webgpu backend (buildNetwork + loss +
// Adam, as `train` runs it), from tf.profile: tfjs-backend-webgpu gives every kernel its own compute
// pass with timestamp queries (the adapter's 'timestamp-query' feature), so the times are the GPU's
// own, without the batching of a normal step. Prints the top kernels by name and by input shapes.
// Usage: npm run build && node bench/gpu/profile-webgpu.mjs [--size 512] [--batch 4] [--loss l1]
//        [--steps 2] [--top 30] [--json]   (on a GPU machine: node .gpu-carry/profile.mjs ...)
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { benchConfig } from '../../dist/bench/bench-config.js';
import { benchFeatures } from '../../dist/bench/bench-features.js';
import { syntheticBatch } from '../../dist/bench/synthetic-batch.js';
import { setupBackend } from '../../dist/core/engine/backend.js';
import { Adam } from '../../dist/core/train/adam.js';
import { buildNetwork, weightMap } from '../../dist/core/model/network.js';
import { trainStep } from '../../dist/core/train/trainer.js';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '512' },
    batch: { type: 'string', default: '4' },
    loss: { type: 'string', default: 'l1' },
    steps: { type: 'string', default: '2' },
    top: { type: 'string', default: '30' },
    backend: { type: 'string', default: 'webgpu' },
    json: { type: 'boolean', default: false },
  },
});
const size = Number(args.size);
const batch = Number(args.batch);
const steps = Number(args.steps);
const backend = await setupBackend(args.backend);
const config = benchConfig({ size, batch, loss: args.loss, baseChannels: 64, maxChannels: 512, head: 'none', seed: 0 });
const net = buildNetwork(config, 'pconv');
const { extractor } = await benchFeatures(config, 0);
const trainable = new Map([...weightMap(net)].filter(([, w]) => w.trainable).map(([key, w]) => [key, w.read()]));
const adam = new Adam(config.train.phase1.learningRate);
const data = syntheticBatch(size, batch, 0);
const step = () => trainStep(net, 'pconv', config, data, trainable, adam, extractor);
for (let i = 0; i < 2; i++) await step();

const byName = new Map();
const byShape = new Map();
const add = (map, key, ms) => {
  const row = map.get(key) ?? { key, calls: 0, ms: 0 };
  row.calls += 1;
  row.ms += ms;
  map.set(key, row);
};
const wall = [];
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  const info = await tf.profile(step);
  wall.push(performance.now() - t0);
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    add(byName, k.name, ms);
    add(byShape, `${k.name} ${k.inputShapes.map((s) => (s ? s.join('x') : '-')).join(' ')}`, ms);
  }
}
const rows = (map) =>
  [...map.values()]
    .sort((a, b) => b.ms - a.ms)
    .map((r) => ({ key: r.key, calls: r.calls / steps, msPerStep: r.ms / steps }));
const kernelMs = [...byName.values()].reduce((s, r) => s + r.ms, 0) / steps;
const result = {
  backend: `${backend.name} (${backend.device})`,
  size,
  batch,
  loss: args.loss,
  profiledStepMs: wall.reduce((a, b) => a + b, 0) / steps,
  kernelMsPerStep: kernelMs,
  byName: rows(byName).slice(0, Number(args.top)),
  byShape: rows(byShape).slice(0, Number(args.top)),
};
if (args.json) console.log(JSON.stringify(result));
else {
  console.log(`${result.backend}, ${size}x${size}, batch ${batch}, loss ${args.loss}`);
  console.log(`profiled step ${result.profiledStepMs.toFixed(0)} ms (one pass per kernel), GPU time in kernels ${kernelMs.toFixed(1)} ms`);
  console.log('\n| kernel | calls/step | GPU ms/step | share |\n|---|---|---|---|');
  for (const r of result.byName) console.log(`| ${r.key} | ${r.calls} | ${r.msPerStep.toFixed(2)} | ${((100 * r.msPerStep) / kernelMs).toFixed(1)}% |`);
  console.log('\n| kernel and input shapes | calls/step | GPU ms/step |\n|---|---|---|');
  for (const r of result.byShape) console.log(`| ${r.key} | ${r.calls} | ${r.msPerStep.toFixed(2)} |`);
}
process.exit(0);
