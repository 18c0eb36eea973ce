#!/usr/bin/env node
// Adam's fused kernel ("fused", src/core/engine/shared/adam-update.ts) against the 13 tf ops it
// replaced ("ops"), measured side by side: one process, one network, one optimizer whose
// useFusedKernel flips every step (interleaved), so that the load of a shared machine hits both
// alike. Both give the same bits, so the training itself is the same either way.
// Reports per variant the median training step (trainStep, exactly as `train` runs it) and the
// median time inside adam.apply in those steps (its share of the step).
// Usage: npm run build && PCONV_WASM_THREADS=1 node bench/adam-ab.mjs [--size 64] [--batch 4]
//        [--rounds 7] [--backend wasm] [--dist dist]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '7' },
    backend: { type: 'string', default: 'wasm' },
    dist: { type: 'string', default: 'dist' },
  },
});
const dist = resolve(args.dist);
const { setupBackend } = await import(`${dist}/core/engine/backend.js`);
const { benchConfig } = await import(`${dist}/bench/bench-config.js`);
// buildNetwork and weightMap live in core/model/network.js; a --dist built before they moved there has them in core/train/trainer.js.
const { buildNetwork, weightMap } = await import(`${dist}/core/model/network.js`).catch(() => import(`${dist}/core/train/trainer.js`));
const { trainStep } = await import(`${dist}/core/train/trainer.js`);
const { Adam } = await import(`${dist}/core/train/adam.js`);

const [size, batch, rounds] = [Number(args.size), Number(args.batch), Number(args.rounds)];
// The bench's config: paper widths (64..512 channels), depth by the paper rule (2x2 bottleneck),
// loss valid + 6 x hole.
const config = benchConfig({ size, batch, loss: 'l1', baseChannels: 64, maxChannels: 512, head: 'none', seed: 0 });
const backend = await setupBackend(args.backend);
const net = buildNetwork(config, 'pconv');
const trainable = new Map([...weightMap(net)].filter(([, w]) => w.trainable).map(([key, w]) => [key, w.read()]));
const weights = [...trainable.values()].reduce((sum, w) => sum + w.size, 0);
const adam = new Adam(2e-4);
// Wasm and cpu kernels finish before they return, so the time around apply is its real cost.
let applyMs = 0;
const apply = adam.apply.bind(adam);
adam.apply = (variables, grads) => {
  const start = performance.now();
  apply(variables, grads);
  applyMs = performance.now() - start;
};
const images = Float32Array.from({ length: batch * size * size * 3 }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.01));
const masks = Float32Array.from({ length: batch * size * size }, (_, i) => ((i >> 3) % 5 === 0 ? 0 : 1));
const data = { size, count: batch, images, masks };
const times = { ops: { step: [], adam: [] }, fused: { step: [], adam: [] } };
// Round -1 warms both up and is not counted; the order alternates so neither always goes first.
for (let round = -1; round < rounds; round++) {
  const order = round % 2 === 0 ? ['ops', 'fused'] : ['fused', 'ops'];
  for (const name of order) {
    adam.useFusedKernel = name === 'fused';
    const start = performance.now();
    await trainStep(net, 'pconv', config, data, trainable, adam);
    if (round >= 0) {
      times[name].step.push(performance.now() - start);
      times[name].adam.push(applyMs);
    }
  }
}
const median = (list) => [...list].sort((a, b) => a - b)[list.length >> 1];
const line = (name) => {
  const { step, adam: a } = times[name];
  return `${name}: step median ${median(step).toFixed(0)} ms (min ${Math.min(...step).toFixed(0)}), adam median ${median(a).toFixed(1)} ms (${((100 * median(a)) / median(step)).toFixed(1)}% of the step)`;
};
console.log(`${backend.device}, ${size}x${size}, batch ${batch}, ${(weights / 1e6).toFixed(2)} M weights in ${trainable.size} tensors, ${rounds} interleaved rounds`);
console.log(line('ops'));
console.log(line('fused'));
console.log(
  `speed-up: step ${(median(times.ops.step) / median(times.fused.step)).toFixed(3)}x, adam ${(median(times.ops.adam) / median(times.fused.adam)).toFixed(2)}x`,
);
