#!/usr/bin/env node
// Training loader throughput: images/s that the real BatchSource (decode, random crop and flip,
// training mask per sample, as `train` builds it in trainer.ts) delivers at 512 px, batch 6, with
// nothing consuming the batches; that is the most the loader can feed a training step. Also the
// images alone (masks fixed) and the training masks alone, to show where the time goes.
// Usage: npm run bench:loader -- [--photos DIR]... [--images 200] [--size 512] [--batch 6] [--sharp-cache]
// Without --photos: data/photos (256 px PNGs, upscaled to 512); pass a folder of your own larger
// JPEGs with --photos to see decoding at a realistic size. --sharp-cache keeps sharp's
// operation cache on; off by default, because a real data set repeats a photo only once an epoch.
import { readdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    photos: { type: 'string', multiple: true },
    images: { type: 'string', default: '200' },
    size: { type: 'string', default: '512' },
    batch: { type: 'string', default: '6' },
    'sharp-cache': { type: 'boolean', default: false },
  },
});
const size = Number(args.size);
const batchSize = Number(args.batch);
const steps = Math.ceil(Number(args.images) / batchSize);
if (!args['sharp-cache']) sharp.cache(false);

const { loadConfig } = await import(join(repo, 'dist/core/config/load-config.js'));
const { BatchSource } = await import(join(repo, 'dist/core/data/batch-source.js'));
const { trainingMaskSampler } = await import(join(repo, 'dist/core/train/training-masks.js'));
const { deriveSeed } = await import(join(repo, 'dist/core/rng.js'));

const dirs = args.photos ?? [join(repo, 'data/photos')];
// The paper setup's masks (six bins, border subsets, pconv-keras strokes) at the benchmark size.
const { config: paper } = await loadConfig(join(repo, 'configs/imagenet.yaml'));
const config = { ...paper, data: { ...paper.data, imageSize: size } };
const masks = await trainingMaskSampler(config);
const fixedMask = new Uint8Array(size * size).fill(255);

async function timeSource(files, sampler) {
  const source = new BatchSource({ files, size, batchSize, seed: deriveSeed(config.seed, 'train', 'pconv'), masks: sampler });
  await source.next(0); // warm-up: sharp's first call and the first prefetch
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let step = 1; step <= steps; step++) await source.next(step);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate: (steps * batchSize) / seconds, cores: (used.user + used.system) / 1e6 / seconds };
}

async function timeMasks() {
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < steps * batchSize; i++) await masks(deriveSeed(config.seed, 'train-mask', i));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate: (steps * batchSize) / seconds, cores: (used.user + used.system) / 1e6 / seconds };
}

console.log(
  `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}; ${size} px, batch ${batchSize}, ${steps * batchSize} images after one warm-up batch; sharp ${sharp.versions.sharp}, libvips threads ${sharp.concurrency()}, operation cache ${args['sharp-cache'] ? 'on' : 'off'}`,
);
console.log('');
console.log(`load average before: ${loadavg()[0].toFixed(2)}`);
console.log('');
console.log('| photos | images + masks (as train) | images only | masks only (main thread) |');
console.log('| --- | ---: | ---: | ---: |');
// CPU time per image is the figure least disturbed by other load on the machine.
const shown = ({ rate, cores }) => `${rate.toFixed(1)} img/s, ${((cores / rate) * 1000).toFixed(0)} CPU ms/img`;
const maskRate = await timeMasks();
for (const dir of dirs) {
  const files = readdirSync(dir)
    .filter((f) => /\.(jpe?g|png|webp|tiff?)$/i.test(f))
    .map((f) => join(dir, f))
    .sort();
  const meta = await sharp(files[0]).metadata();
  const full = await timeSource(files, masks);
  const imagesOnly = await timeSource(files, () => fixedMask);
  console.log(
    `| ${dir} (${files.length} files, e.g. ${meta.width}x${meta.height} ${meta.format}) | ${shown(full)} | ${shown(imagesOnly)} | ${shown(maskRate).replace('img/s', 'masks/s').replace('ms/img', 'ms/mask')} |`,
  );
}
