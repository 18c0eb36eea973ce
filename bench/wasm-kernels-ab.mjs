#!/usr/bin/env node
// Training-step time on wasm with tfjs' own kernels ("before") and with ours ("after"), measured
// side by side: one process, one network, the two kernel sets swapped step by step (interleaved),
// so that the load of a shared machine hits both alike. See docs/profile-wasm.md.
// "before" = tfjs-backend-wasm 4.22's Conv2DBackpropInput, Slice, SplitV, Tile, DepthToSpace and
// ResizeNearestNeighborGrad, and our first Conv2DBackpropFilter (padded s rows too many, sliced).
// Usage: npm run build && PCONV_WASM_THREADS=1 node bench/wasm-kernels-ab.mjs [--size 64] [--batch 4]
//        [--rounds 5] [--dist dist] [--kernels Identity,Sum,Mean: "before" = tfjs' own of just these;
//        tfjs has no Conv2DBackpropFilter on wasm: listed, its "before" is our convolution form]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
// Loaded before setupBackend replaces its kernels, so that the originals can be kept.
import '@tensorflow/tfjs-backend-wasm';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '5' },
    dist: { type: 'string', default: 'dist' },
    kernels: { type: 'string' },
  },
});
const REPLACED = args.kernels?.split(',') ?? ['Conv2DBackpropInput', 'Slice', 'SplitV', 'Tile', 'DepthToSpace', 'ResizeNearestNeighborGrad'];
const originals = Object.fromEntries(REPLACED.map((name) => [name, tf.getKernel(name, 'wasm')?.kernelFunc]));
const dist = resolve(args.dist);
const { setupBackend } = await import(`${dist}/core/engine/backend.js`);
const { parseConfig } = await import(`${dist}/core/config/parse-config.js`);
// buildNetwork and weightMap live in core/model/network.js; a --dist built before they moved there has them in core/train/trainer.js.
const { buildNetwork, weightMap } = await import(`${dist}/core/model/network.js`).catch(() => import(`${dist}/core/train/trainer.js`));
const { trainStep } = await import(`${dist}/core/train/trainer.js`);
const { Adam } = await import(`${dist}/core/train/adam.js`);
const { conv2dBackpropFilterByForwardConv } = await import(`${dist}/core/engine/wasm/conv2d-backprop-filter.js`);
/** The filter gradient as a convolution that XNNPACK runs (before the SIMD tiles of wasm/simd/conv2d-backprop-filter.ts). */
originals.Conv2DBackpropFilter ??= ({ inputs, attrs }) =>
  conv2dBackpropFilterByForwardConv(inputs.x, inputs.dy, attrs.filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);

const [size, batch, rounds] = [Number(args.size), Number(args.batch), Number(args.rounds)];
const yaml = `name: ab
data: { root: data/photos, imageSize: ${size} }
model: { levels: ${Math.log2(size) - 1}, baseChannels: 64, maxChannels: 512 }
loss: { valid: 1, hole: 6, perceptual: 0, style: 0, tv: 0 }
`;
const config = parseConfig(yaml, 'ab.yaml', process.cwd());
const backend = await setupBackend('wasm');
const configs = Object.fromEntries([...REPLACED, ...(args.kernels ? [] : ['Conv2DBackpropFilter'])].map((name) => [name, tf.getKernel(name, 'wasm')]));
const ours = Object.fromEntries(Object.entries(configs).map(([name, config]) => [name, config.kernelFunc]));

/** The filter gradient as first registered: bottom/right padded s too many, then sliced to k x k. */
function firstFilterGradient({ inputs, attrs }) {
  const { x, dy } = inputs;
  const { strides, pad, dimRoundingMode, filterShape } = attrs;
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { top, left, bottom, right } = info.padInfo;
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [kh, kw, inChannels, outChannels] = filterShape;
  return tf.tidy(() => {
    const xpad = tf.pad(x, [[0, 0], [top, bottom + sh], [left, right + sw], [0, 0]]);
    const full = tf.conv2d(tf.transpose(xpad, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, 'valid', 'NHWC', [sh, sw]);
    return tf.transpose(tf.slice(full, [0, 0, 0, 0], [inChannels, kh, kw, outChannels]), [1, 2, 0, 3]);
  });
}
const use = {
  before: () => {
    for (const name of REPLACED) configs[name].kernelFunc = originals[name];
    if (!args.kernels) configs.Conv2DBackpropFilter.kernelFunc = firstFilterGradient;
  },
  after: () => {
    for (const [name, func] of Object.entries(ours)) configs[name].kernelFunc = func;
  },
};

const net = buildNetwork(config, 'pconv');
const trainable = new Map([...weightMap(net)].filter(([, w]) => w.trainable).map(([key, w]) => [key, w.read()]));
const adam = new Adam(2e-4);
const images = Float32Array.from({ length: batch * size * size * 3 }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.01));
const masks = Float32Array.from({ length: batch * size * size }, (_, i) => ((i >> 3) % 5 === 0 ? 0 : 1));
const data = { size, count: batch, images, masks };
const times = { before: [], after: [] };
// Round -1 warms both up and is not counted.
for (let round = -1; round < rounds; round++) {
  for (const [name, select] of Object.entries(use)) {
    select();
    const start = performance.now();
    await trainStep(net, 'pconv', config, data, trainable, adam);
    if (round >= 0) times[name].push(performance.now() - start);
  }
}
const median = (list) => [...list].sort((a, b) => a - b)[list.length >> 1];
console.log(
  `${backend.device}, ${size}x${size}, batch ${batch}, ${rounds} interleaved rounds: ` +
    Object.entries(times)
      .map(([name, list]) => `${name} median ${median(list).toFixed(0)} ms (min ${Math.min(...list).toFixed(0)})`)
      .join(', ') +
    `; speed-up ${(median(times.before) / median(times.after)).toFixed(2)}x`,
);
