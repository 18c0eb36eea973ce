import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import pLimit from 'p-limit';
import sharp from 'sharp';
import type { ExperimentConfig } from '../core/config/schema.js';
import { concatFloat32 } from '../core/data/concat-float32.js';
import { CENTRE_CROP, loadImageCrop } from '../core/data/load-image.js';
import type { BackendInfo } from '../core/engine/backend.js';
import { InterruptedError, UserError } from '../core/errors.js';
import { createPredictor, type InferenceEngineRequest, type Predictor } from '../core/infer/predictor.js';
import { writeFileAtomic } from '../core/io/atomic.js';
import { sha256Of } from '../core/io/stable-json.js';
import { compareBinThenBorder, groupMasks } from '../core/masks/manifest-counts.js';
import { readExistingManifest } from '../core/masks/write-mask-set.js';
import type { ModelKind } from '../core/model/unet.js';
import { loadCheckpoint } from '../core/train/checkpoint.js';
import { buildNetwork, checkpointDir, restoreWeights } from '../core/train/trainer.js';
import type { OnEvent } from '../protocol/events.js';
import type { MaskEntry } from '../protocol/mask-manifest.js';
import { METRIC_NAMES, type MetricName, RESULTS_FORMAT, type Results } from '../protocol/results.js';
import { type ImageMetrics, imageMetrics, METRIC_CONVENTIONS } from './metrics.js';
import { pairedDifference, type Summary, summarize } from './statistics.js';
import { TELEA_RADIUS, teleaInpainter } from './telea.js';

export interface EvaluateOptions {
  readonly config: ExperimentConfig;
  readonly configHash: string;
  readonly runDir: string;
  readonly backend: BackendInfo;
  readonly testFiles: readonly string[];
  readonly versions: Record<string, string>;
  readonly batchSize?: number;
  /** Which engine runs the models (core/infer/predictor.ts); default auto. */
  readonly engine?: InferenceEngineRequest;
  /** Outputs of other tools for the exported pairs (pconv-bench export), scored as more rows. */
  readonly external?: readonly { readonly name: string; readonly dir: string }[];
  /** Score OpenCV's Telea inpainting too, as a classical floor (default true). */
  readonly classical?: boolean;
  readonly signal?: AbortSignal;
  readonly onEvent?: OnEvent;
}

const MODEL_NAMES: Record<ModelKind, string> = { pconv: 'PConv', conv: 'Conv (baseline)' };
const TELEA_NAME = `Telea (OpenCV, radius ${TELEA_RADIUS})`;

/** Known pixels from the image, the prediction elsewhere (HWC arrays, valid HxW). */
function compositeArrays(image: Float32Array, output: Float32Array, valid: Float32Array): Float32Array {
  const out = new Float32Array(image.length);
  for (let p = 0; p < valid.length; p++) {
    const known = (valid[p] as number) >= 0.5;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = known ? (image[p * 3 + c] as number) : (output[p * 3 + c] as number);
  }
  return out;
}

/**
 * Scores every trained model of a run on the test split x the run's test mask set: the same
 * (image, mask) pairs for all models (mask k with test image k mod n, centre-cropped), metrics on
 * the composite output, summarised per bin and border subset, with paired differences against
 * PConv. Inference runs on the chosen backend; metrics are computed in JavaScript beside it.
 */
export async function evaluateRun(options: EvaluateOptions): Promise<Results> {
  return summariseScores(await scoreRun(options));
}

/** What scoring one run (or one shard of it) produces, before the per-bin summaries. */
export interface RunScores {
  readonly header: Omit<Results, 'rows' | 'paired' | 'samples'>;
  /** Per model name, per pair k: the metrics (absent for pairs of other shards). */
  readonly perModel: ReadonlyMap<string, readonly (ImageMetrics | undefined)[]>;
  readonly entries: MaskEntry[];
  readonly samples: Results['samples'];
}

/**
 * Scores the pairs of a run (all of them, or with `shard` those k with k mod count = index):
 * inference, Telea and external tools, metrics per pair, sample images for the report.
 */
export async function scoreRun(options: EvaluateOptions & { readonly shard?: { index: number; count: number } }): Promise<RunScores> {
  const { config, runDir } = options;
  const emit = options.onEvent ?? (() => {});
  const size = config.data.imageSize;
  const masksDir = join(runDir, 'masks');
  const manifest = await readExistingManifest(masksDir);
  if (!manifest) {
    throw new UserError('EVAL_NO_MASKS', `no test mask set in ${masksDir}`, { hint: `Make it first: pconv-bench masks <config> --out ${runDir}` });
  }
  if (manifest.width !== size || manifest.height !== size) {
    throw new UserError('EVAL_MASK_SIZE', `the masks in ${masksDir} are ${manifest.width}x${manifest.height} but data.imageSize is ${size}`, {
      hint: 'Regenerate the masks for this config (pconv-bench masks <config> --force) or import a set of the right size.',
    });
  }
  const models: { kind: ModelKind; dir: string; step: number }[] = [];
  for (const kind of ['pconv', 'conv'] as const) {
    for (const which of ['phase2', 'latest'] as const) {
      const dir = checkpointDir(runDir, kind, which);
      const found = await loadCheckpoint(dir).catch((error: unknown) => {
        if (error instanceof UserError && error.code === 'CHECKPOINT_MISSING') return undefined;
        throw error;
      });
      if (found) {
        models.push({ kind, dir, step: found.meta.step });
        break;
      }
    }
  }
  if (models.length === 0) {
    throw new UserError('EVAL_NO_CHECKPOINTS', `no trained model in ${join(runDir, 'checkpoints')}`, {
      hint: `Train first: pconv-bench train <config> --run ${runDir}`,
    });
  }
  await assertLargeEnough(options.testFiles, size);

  emit({
    type: 'stage',
    stage: 'eval',
    status: 'started',
    message: `${models.length} trained models${options.classical === false ? '' : ' and Telea'} x ${manifest.masks.length} pairs at ${size}x${size}`,
  });
  // Decoded ahead with bounded concurrency (sharp works in libuv's thread pool).
  const limit = pLimit(Math.max(2, availableParallelism() * 2));
  const images = await Promise.all(options.testFiles.map((file) => limit(() => loadImageCrop(file, size, CENTRE_CROP))));
  const masks = await Promise.all(manifest.masks.map((entry) => limit(() => loadValidMask(join(masksDir, entry.file), size))));
  const allPairs = manifest.masks.map((entry, k) => ({ k, entry, image: images[k % images.length] as Float32Array, mask: masks[k] as Float32Array }));
  const shard = options.shard;
  const pairs = shard ? allPairs.filter((p) => p.k % shard.count === shard.index) : allPairs;
  const perModel = new Map<string, (ImageMetrics | undefined)[]>();
  const batchSize = options.batchSize ?? 16;
  const groups = groupMasks(manifest.masks);
  // The first pair of every bin and subset is kept as a picture for the report.
  const sampleOf = new Map(groups.map((g) => [g.indices[0] as number, g]));
  const sampleOutputs = new Map<number, Map<string, Float32Array>>();
  const done = new Map<string, number>();
  const score = (name: string, outputs: Float32Array[], chunk: typeof pairs, scores: (ImageMetrics | undefined)[]) => {
    for (const [i, pair] of chunk.entries()) {
      if (sampleOf.has(pair.k)) sampleOutputs.set(pair.k, (sampleOutputs.get(pair.k) ?? new Map()).set(name, Float32Array.from(outputs[i] as Float32Array)));
      scores[pair.k] = imageMetrics(outputs[i] as Float32Array, pair.image, size, size, pair.mask);
    }
    done.set(name, (done.get(name) ?? 0) + chunk.length);
    emit({ type: 'progress', stage: `eval ${name}`, done: done.get(name) as number, total: pairs.length, unit: 'pairs' });
  };
  const engines = new Set<string>();
  for (const model of models) {
    const checkpoint = await loadCheckpoint(model.dir);
    const net = buildNetwork(config, model.kind);
    restoreWeights(net, checkpoint);
    const scores: (ImageMetrics | undefined)[] = new Array(allPairs.length);
    let predictor: Predictor | undefined;
    try {
      predictor = await createPredictor(net, { kind: model.kind, size, baselineFill: config.model.baselineFill, engine: options.engine ?? 'auto' });
      engines.add(predictor.engine);
      for (const note of predictor.notes) emit({ type: 'log', level: 'info', message: `${MODEL_NAMES[model.kind]}: ${note}` });
      for (let start = 0; start < pairs.length; start += batchSize) {
        if (options.signal?.aborted) throw new InterruptedError('evaluation interrupted; nothing was written');
        const chunk = pairs.slice(start, start + batchSize);
        const data = await predictor.predict(concatFloat32(chunk.map((p) => p.image)), concatFloat32(chunk.map((p) => p.mask)), chunk.length);
        score(
          MODEL_NAMES[model.kind],
          chunk.map((pair, i) => compositeArrays(pair.image, data.subarray(i * size * size * 3, (i + 1) * size * size * 3), pair.mask)),
          chunk,
          scores,
        );
      }
    } finally {
      await predictor?.dispose();
      net.dispose();
    }
    perModel.set(MODEL_NAMES[model.kind], scores);
  }
  if (options.classical !== false) {
    const telea = await teleaInpainter();
    const scores: (ImageMetrics | undefined)[] = new Array(allPairs.length);
    for (let start = 0; start < pairs.length; start += batchSize) {
      if (options.signal?.aborted) throw new InterruptedError('evaluation interrupted; nothing was written');
      const chunk = pairs.slice(start, start + batchSize);
      // Telea's output keeps known pixels already; compositing makes that exact.
      const outputs = chunk.map((pair) => compositeArrays(pair.image, telea(pair.image, pair.mask, size, size), pair.mask));
      score(TELEA_NAME, outputs, chunk, scores);
    }
    perModel.set(TELEA_NAME, scores);
  }
  for (const tool of options.external ?? []) {
    const scores: (ImageMetrics | undefined)[] = new Array(allPairs.length);
    for (let start = 0; start < pairs.length; start += batchSize) {
      if (options.signal?.aborted) throw new InterruptedError('evaluation interrupted; nothing was written');
      const chunk = pairs.slice(start, start + batchSize);
      // Read in parallel, but report the first problem in pair order, so the message is stable.
      const settled = await Promise.allSettled(
        chunk.map(async (pair) => compositeArrays(pair.image, await loadPrediction(tool.dir, pairId(pair.k), size), pair.mask)),
      );
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      const outputs = settled.map((r) => (r as PromiseFulfilledResult<Float32Array>).value);
      score(tool.name, outputs, chunk, scores);
    }
    perModel.set(tool.name, scores);
  }
  const entries = [
    ...models.map((m) => ({
      name: MODEL_NAMES[m.kind],
      kind: m.kind as 'pconv' | 'conv' | 'classical' | 'external',
      // Relative to the run folder, so results.json does not depend on where the run lives.
      checkpoint: relative(runDir, m.dir) as string | null,
      step: m.step as number | null,
    })),
    ...(perModel.has(TELEA_NAME) ? [{ name: TELEA_NAME, kind: 'classical' as const, checkpoint: null, step: null }] : []),
    ...(options.external ?? []).map((tool) => ({ name: tool.name, kind: 'external' as const, checkpoint: tool.dir, step: null })),
  ];

  const samples = await writeSamples(runDir, size, allPairs, sampleOf, sampleOutputs);
  emit({ type: 'stage', stage: 'eval', status: 'finished', message: `${pairs.length} pairs per model` });
  const header: RunScores['header'] = {
    format: RESULTS_FORMAT,
    experiment: { name: config.name, configHash: options.configHash },
    conventions: { ...METRIC_CONVENTIONS, pairs: 'mask k with test image k mod n, centre crop at data.imageSize', borderMargin: `${manifest.borderMargin} px` },
    masks: {
      manifestSha256: sha256Of(await readFile(join(masksDir, 'manifest.json'))),
      count: manifest.masks.length,
      width: manifest.width,
      height: manifest.height,
      binRule: manifest.binRule,
      borderMargin: manifest.borderMargin,
    },
    images: { split: 'test', count: images.length, pairs: allPairs.length },
    backend: {
      name: options.backend.name,
      version: options.backend.version,
      device: options.backend.device,
      ...(engines.size > 0 ? { inference: [...engines].join('; ') } : {}),
    },
    versions: options.versions,
    models: entries,
    config: config as unknown as Record<string, unknown>,
  };
  return { header, perModel, entries: manifest.masks, samples };
}

/** PNGs of each sample pair (masked input, ground truth, every model's composite) under eval-samples/. */
async function writeSamples(
  runDir: string,
  size: number,
  pairs: readonly { entry: MaskEntry; image: Float32Array; mask: Float32Array }[],
  sampleOf: ReadonlyMap<number, { bin: string; binIndex: number; border: 'no-border' | 'border' }>,
  outputs: ReadonlyMap<number, ReadonlyMap<string, Float32Array>>,
): Promise<Results['samples']> {
  const png = (data: Float32Array) =>
    sharp(Buffer.from(Uint8Array.from(data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255))), { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toBuffer();
  const samples: Results['samples'] = [];
  for (const [index, group] of sampleOf) {
    const pair = pairs[index];
    // Under --shard, the samples of other shards' pairs are written by those shards.
    if (!pair || !outputs.has(index)) continue;
    const folder = `eval-samples/${group.binIndex}-${group.border}`;
    const save = async (name: string, data: Float32Array) => {
      const file = `${folder}/${name
        .replace(/[^A-Za-z0-9]+/g, '-')
        .replace(/^-|-$/g, '')
        .toLowerCase()}.png`;
      await writeFileAtomic(join(runDir, file), await png(data));
      return file;
    };
    const masked = Float32Array.from(pair.image, (v, i) => ((pair.mask[Math.floor(i / 3)] as number) >= 0.5 ? v : 1));
    const modelOutputs: Record<string, string> = {};
    for (const [name, data] of outputs.get(index) ?? []) modelOutputs[name] = await save(name, data);
    samples.push({
      bin: group.bin,
      binIndex: group.binIndex,
      border: group.border,
      input: await save('input', masked),
      target: await save('target', pair.image),
      outputs: modelOutputs,
    });
  }
  return samples.sort(compareBinThenBorder);
}

/** Per-bin summaries and paired differences of scored pairs (a whole run, or merged shards). */
export function summariseScores(scores: RunScores): Results {
  const { perModel, samples } = scores;
  const groups = groupMasks(scores.entries);
  const entries = scores.header.models;
  const rows: Results['rows'] = [];
  const paired: Results['paired'] = [];
  for (const model of entries) {
    const modelScores = perModel.get(model.name) ?? [];
    for (const group of groups) {
      const pick = (metric: MetricName) => group.indices.map((i) => modelScores[i]?.[metric]).filter((v): v is number => v !== undefined);
      rows.push({
        model: model.name,
        bin: group.bin,
        binIndex: group.binIndex,
        border: group.border,
        metrics: Object.fromEntries(METRIC_NAMES.map((metric) => [metric, jsonSummary(summarize(pick(metric)))])) as Results['rows'][number]['metrics'],
      });
    }
  }
  const reference = perModel.get(MODEL_NAMES.pconv);
  if (reference) {
    for (const model of entries.filter((m) => m.kind !== 'pconv')) {
      const modelScores = perModel.get(model.name) ?? [];
      for (const group of groups) {
        for (const metric of METRIC_NAMES) {
          const a = group.indices.map((i) => reference[i]?.[metric]);
          const b = group.indices.map((i) => modelScores[i]?.[metric]);
          const both = a.map((v, j) => [v, b[j]] as const).filter((p): p is readonly [number, number] => p[0] !== undefined && p[1] !== undefined);
          paired.push({
            model: MODEL_NAMES.pconv,
            against: model.name,
            bin: group.bin,
            binIndex: group.binIndex,
            border: group.border,
            metric,
            difference: jsonSummary(
              pairedDifference(
                both.map((p) => p[0]),
                both.map((p) => p[1]),
              ),
            ),
          });
        }
      }
    }
  }
  return { ...scores.header, rows, samples, paired };
}

/** The stable name of pair k in exports and in other tools' outputs. */
export function pairId(k: number): string {
  return `pair-${String(k).padStart(5, '0')}`;
}

/**
 * Another tool's output for a pair: <dir>/<id>.png, or LaMa's <dir>/<id>_mask000.png. Same size
 * as the pair; JPEG or PNG.
 */
async function loadPrediction(dir: string, id: string, size: number): Promise<Float32Array> {
  for (const name of [`${id}.png`, `${id}_mask000.png`, `${id}.jpg`]) {
    const path = join(dir, name);
    const meta = await sharp(path)
      .metadata()
      .catch(() => undefined);
    if (!meta) continue;
    if (meta.width !== size || meta.height !== size) {
      throw new UserError('PREDICTION_SIZE', `prediction ${path} is ${meta.width}x${meta.height}, not ${size}x${size}`, {
        hint: 'Score the outputs at the size of the exported pairs.',
      });
    }
    const { data, info } = await sharp(path).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const out = new Float32Array(size * size * 3);
    for (let p = 0; p < size * size; p++)
      for (let c = 0; c < 3; c++) out[p * 3 + c] = (data[p * info.channels + Math.min(c, info.channels - 1)] as number) / 255;
    return out;
  }
  throw new UserError('PREDICTION_MISSING', `no output for ${id} in ${dir} (looked for ${id}.png, ${id}_mask000.png, ${id}.jpg)`, {
    hint: 'Run the other tool on the pairs written by pconv-bench export, into one folder.',
  });
}

/** JSON has no NaN: empty summaries carry nulls. */
function jsonSummary(s: Summary) {
  const num = (v: number) => (Number.isFinite(v) ? v : null);
  return { n: s.n, mean: num(s.mean), std: num(s.std), ci95: [num(s.ci95[0]), num(s.ci95[1])] as [number | null, number | null] };
}

async function loadValidMask(path: string, size: number): Promise<Float32Array> {
  const { data, info } = await sharp(path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size)
    throw new UserError('EVAL_MASK_SIZE', `mask ${path} is ${info.width}x${info.height}, not ${size}x${size}`, {
      hint: 'Regenerate the mask set for this config.',
    });
  return Float32Array.from(data, (v) => (v >= 128 ? 1 : 0));
}

/** Test images must cover the model input: scores on upscaled images would flatter every model. */
async function assertLargeEnough(files: readonly string[], size: number): Promise<void> {
  const small: string[] = [];
  await Promise.all(
    files.map(async (file) => {
      const meta = await sharp(file)
        .metadata()
        .catch(() => undefined);
      if (!meta?.width || !meta.height)
        throw new UserError('IMAGE_UNREADABLE', `cannot decode test image ${file}`, { hint: 'Remove it or exclude it with data.exclude.' });
      if (Math.min(meta.width, meta.height) < size) small.push(`${file} (${meta.width}x${meta.height})`);
    }),
  );
  if (small.length > 0) {
    throw new UserError('EVAL_IMAGES_TOO_SMALL', `${small.length} test images are smaller than data.imageSize ${size}`, {
      details: small.slice(0, 10),
      hint: 'Exclude them with data.exclude, or lower data.imageSize.',
    });
  }
}
