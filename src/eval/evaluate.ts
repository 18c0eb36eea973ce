import { readFile, rm } from 'node:fs/promises';
import { basename, relative } from 'node:path';
import pLimit from 'p-limit';
import { splitRoot } from '../core/data/image-list.js';
import { InterruptedError, UserError } from '../core/errors.js';
import { sha256Of } from '../core/io/stable-json.js';
import { groupMasks, type MaskGroup } from '../core/masks/manifest-counts.js';
import { readExistingManifest } from '../core/masks/read-mask-set.js';
import type { Drilldown } from '../protocol/drilldown.js';
import type { OnEvent } from '../protocol/events.js';
import type { MaskManifest } from '../protocol/mask-manifest.js';
import { RESULTS_FORMAT, type Results } from '../protocol/results.js';
import { runLayout } from '../protocol/run-layout.js';
import { writeDrilldownPictures } from './drilldown/drilldown-pictures.js';
import { drilldownRecord } from './drilldown/drilldown-record.js';
import { rerunPairs } from './drilldown/rerun-pairs.js';
import { samplePictures, samplesOf } from './eval-samples.js';
import { type ImageMetrics, METRIC_CONVENTIONS } from './metrics.js';
import { type ModelRunner, openModelRunner } from './model-runner.js';
import { type DecodedPair, decodeBatch, type ExternalOutputs, externalStampOf, type Pair, pairStampOf } from './pair-inputs.js';
import { type PairScore, readKeptScores, removeScores, ScoresWriter } from './pair-scores-store.js';
import type { PairJob, PairResult } from './pair-scoring.js';
import { openPublishedRunner, type PublishedModelSpec } from './published-models.js';
import { remakeSamplePictures } from './remake-samples.js';
import { writeSamplePictures } from './sample-stamps.js';
import { createScorePool } from './score-pool.js';
import { findScorers, type Scorer, type ScorerOptions } from './scorers.js';
import { type ScoredPairs, summariseScores } from './summarise-scores.js';
import { inspectTestImages } from './test-images.js';

/** The rows to score (ScorerOptions: config, run, backend, engine, published, external, Telea) and how. */
export interface EvaluateOptions extends ScorerOptions {
  readonly configHash: string;
  readonly testFiles: readonly string[];
  readonly versions: Record<string, string>;
  /** Pairs per inference call (default 4; memory grows with it: ~150 MB a pair for the bench's tiny UNet at 512 px on ONNX Runtime); results do not depend on it. */
  readonly batchSize?: number;
  /** Threads that composite, run Telea and score (default one per core; 0: the main thread). */
  readonly workers?: number;
  /** Only the pairs k with k mod count = index. */
  readonly shard?: { readonly index: number; readonly count: number };
  /** Forget the per-pair scores kept by earlier evaluations and score every pair again. */
  readonly restart?: boolean;
  readonly signal?: AbortSignal;
  readonly onEvent?: OnEvent;
}

const DEFAULT_BATCH = 4;
/** Batches handed to the scoring threads and not yet stored: bounds memory, keeps them busy. */
const BATCHES_IN_FLIGHT = 3;

/**
 * Scores every trained model of a run on the test split x the run's test mask set: the same
 * (image, mask) pairs for all models (mask k with test image k mod n, centre-cropped), metrics on
 * the composite output, summarised per bin and border subset, with paired differences against
 * PConv.
 */
export async function evaluateRun(options: EvaluateOptions): Promise<Results> {
  return summariseScores(await scoreRun(options));
}

/** What scoring one run (or one shard of it) produces, before the per-bin summaries. */
export interface RunScores extends ScoredPairs {
  /** Per model name, per pair k: the stamp of what was scored (see pair-scores-store.ts). */
  readonly stamps: ReadonlyMap<string, readonly (string | undefined)[]>;
  /** Per model name: what scored the pairs (see pair-scores-store.ts). */
  readonly fingerprints: ReadonlyMap<string, string>;
  /** drilldown.json's content (of this shard's pairs alone under --shard), its pictures written. */
  readonly drilldown: Drilldown;
}

/**
 * Scores the pairs of a run (all of them, or with `shard` those k with k mod count = index) as a
 * stream: pairs are decoded a batch ahead, run through each model on this thread, and composited,
 * inpainted by Telea and scored on a pool of threads, so memory depends on the batch size and not
 * on the number of pairs. Every scored pair is kept on disk (pair-scores-store.ts) before it counts
 * as done, and pairs kept by an earlier, interrupted evaluation of the same models are not scored
 * again: the summaries are the same bytes either way.
 */
export async function scoreRun(options: EvaluateOptions): Promise<RunScores> {
  const { config, runDir, shard } = options;
  const emit = options.onEvent ?? (() => {});
  const size = config.data.imageSize;
  const masksDir = runLayout(runDir).masksDir;
  emit({ type: 'stage', stage: 'eval', status: 'started', message: `reading the mask set and ${options.testFiles.length} test images` });
  const manifest = await readExistingManifest(masksDir);
  if (!manifest) {
    throw new UserError('EVAL_NO_MASKS', `no test mask set in ${masksDir}`, { hint: `Make it first: pconv-bench masks <config> --out ${runDir}` });
  }
  if (manifest.width !== size || manifest.height !== size) {
    throw new UserError('EVAL_MASK_SIZE', `the masks in ${masksDir} are ${manifest.width}x${manifest.height} but data.imageSize is ${size}`, {
      hint: 'Regenerate the masks for this config (pconv-bench masks <config> --force) or import a set of the right size.',
    });
  }
  const scorers = await findScorers(options);
  const images = options.testFiles.length;
  const pairs: Pair[] = manifest.masks
    .map((entry, k) => ({ k, entry, imageFile: options.testFiles[k % images] as string }))
    .filter((p) => !shard || p.k % shard.count === shard.index);
  // The overall count comes first: a progress bar follows it (the extension's does).
  emit({ type: 'progress', stage: 'eval', done: 0, total: pairs.length, unit: 'pairs' });
  const { stamps: imageStamps } = await inspectTestImages(options.testFiles, size, splitRoot(config.data, 'test'), (done) =>
    emit({ type: 'progress', stage: 'eval test images', done, total: images, unit: 'images' }),
  );
  const pairStamp = (p: Pair) => pairStampOf(imageStamps[p.k % images] as string, p.entry);
  const externalStamp = (tool: ExternalOutputs, p: Pair) => externalStampOf(pairStamp(p), tool, p.k, runDir);

  const groups = groupMasks(manifest.masks);
  const sampleGroup = new Map(groups.map((g) => [g.indices[0] as number, g]));
  const stampOf = (scorer: Scorer, p: Pair) => (scorer.external ? externalStamp(scorer.external, p) : pairStamp(p));
  const { scores, engines } = await validKeptScores({ runDir, scorers, pairs, stampOf, restart: options.restart === true, emit });
  const needs = (scorer: Scorer, k: number) => !scores.get(scorer.name)?.has(k);
  /** Pairs that some scorer has not scored yet. */
  const unscored = () => pairs.filter((p) => scorers.some((s) => needs(s, p.k)));
  const todo = unscored();
  const progress = () => {
    for (const scorer of scorers)
      emit({ type: 'progress', stage: `eval ${scorer.name}`, done: scores.get(scorer.name)?.size ?? 0, total: pairs.length, unit: 'pairs' });
    emit({ type: 'progress', stage: 'eval', done: pairs.length - unscored().length, total: pairs.length, unit: 'pairs' });
  };

  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH);
  const pool = createScorePool(todo.length === 0 ? 0 : options.workers);
  const writers = new Map<string, ScoresWriter>();
  const runners = new Map<string, ModelRunner>();
  const inFlight: Promise<void>[] = [];
  const names = scorers.map((s) => s.name);
  // Read once: results.json's masks.manifestSha256, and drilldown.json's tie to it.
  const masksSha256 = sha256Of(await readFile(runLayout(runDir).maskManifest));
  let perModel = new Map<string, (ImageMetrics | undefined)[]>();
  let drilldown: Drilldown | undefined;
  try {
    emit({
      type: 'log',
      level: 'info',
      message: `eval: ${scorers.map((s) => s.name).join(', ')} on ${pairs.length} pairs at ${size}x${size}${shard ? ` (shard ${shard.index}/${shard.count})` : ''}; ${todo.length} to score, ${batchSize} per batch, ${pool.workers > 0 ? `${pool.workers} scoring threads` : 'scoring on the main thread'}`,
    });
    progress();
    /** A model's runner, loaded on first use (disposed in `finally`); undefined for scorers that run no model. */
    const runnerOf = async (scorer: Scorer): Promise<ModelRunner | undefined> => {
      if (!scorer.model && !scorer.published) return undefined;
      const open = runners.get(scorer.name);
      if (open) return open;
      const from = scorer.model
        ? `${relative(runDir, scorer.model.dir)} (step ${scorer.step})`
        : `${scorer.published?.file} (${scorer.published?.format} weights)`;
      emit({ type: 'log', level: 'info', message: `eval: loading ${scorer.name} from ${from}` });
      const runner = scorer.model
        ? await openModelRunner(config, scorer.model, options.engine ?? 'auto')
        : await openPublishedRunner(config, scorer.published as PublishedModelSpec, options.backend.name);
      runners.set(scorer.name, runner);
      for (const note of runner.notes) emit({ type: 'log', level: 'info', message: `${scorer.name}: ${note}` });
      return runner;
    };
    for (const scorer of scorers) {
      if (!todo.some((p) => needs(scorer, p.k))) continue;
      const runner = await runnerOf(scorer);
      if (runner) {
        // Kept scores of another engine would mix two engines' numbers in one row: score afresh.
        if (engines.has(scorer.name) && engines.get(scorer.name) !== runner.engine) {
          emit({
            type: 'log',
            level: 'info',
            message: `${scorer.name}: kept scores came from ${engines.get(scorer.name)}, not ${runner.engine}: scoring every pair again`,
          });
          scores.get(scorer.name)?.clear();
          await removeScores(runDir, [scorer.name]);
        }
        engines.set(scorer.name, runner.engine);
      }
      writers.set(
        scorer.name,
        await ScoresWriter.open(runDir, { model: scorer.name, fingerprint: scorer.fingerprint, engine: engines.get(scorer.name) }, shard),
      );
    }
    // After the engine check above, which may have dropped kept scores.
    const batches: Pair[][] = [];
    const todoNow = unscored();
    for (let start = 0; start < todoNow.length; start += batchSize) batches.push(todoNow.slice(start, start + batchSize));

    const externalsOf = (k: number) => scorers.flatMap((s) => (s.external && needs(s, k) ? [s.external] : []));
    const decode = (batch: Pair[]) => decodeBatch(batch, size, masksDir, externalsOf, externalStamp);
    let next: Promise<DecodedPair[]> | undefined = batches.length > 0 ? quiet(decode(batches[0] as Pair[])) : undefined;
    for (let b = 0; b < batches.length; b++) {
      if (options.signal?.aborted) break;
      // A file that cannot be decoded throws here; `finally` still keeps the batches before it.
      const decoded = await (next as Promise<DecodedPair[]>);
      next = b + 1 < batches.length ? quiet(decode(batches[b + 1] as Pair[])) : undefined;
      const outputs = new Map<number, { name: string; data: Float32Array }[]>();
      for (const scorer of scorers) {
        const runner = runners.get(scorer.name);
        const wanted = decoded.filter((p) => needs(scorer, p.k));
        if (!runner || wanted.length === 0) continue;
        const predicted = await runner.predict(
          wanted.map((p) => p.image),
          wanted.map((p) => p.valid),
        );
        for (const [i, p] of wanted.entries()) outputs.set(p.k, [...(outputs.get(p.k) ?? []), { name: scorer.name, data: predicted[i] as Float32Array }]);
      }
      inFlight.push(
        quiet(
          scoreAndKeep(decoded, outputs, {
            runDir,
            size,
            scorers,
            needs,
            pool,
            writers,
            scores,
            sampleGroup,
            pairStamp,
            progress,
          }),
        ),
      );
      while (inFlight.length >= BATCHES_IN_FLIGHT) await inFlight.shift();
    }
    await settleAll(inFlight);
    for (const pending of inFlight) await pending;
    if (options.signal?.aborted) {
      const kept = pairs.length - unscored().length;
      throw new InterruptedError(
        `evaluation interrupted: the scores of ${kept} of ${pairs.length} pairs are kept in ${runLayout(runDir).scoresDir}; the same command continues from there`,
      );
    }
    // The pictures of a kept pair, made by running the models on it again: the sample pictures
    // lost since scoring, then the drill-down's.
    const pairsByK = new Map(pairs.map((p) => [p.k, p]));
    const rerun = rerunPairs({ pairs: pairsByK, size, masksDir, scorers, runnerOf, stampOf, externalStamp });
    const remade = await remakeSamplePictures({
      runDir,
      size,
      groups: groups.filter((g) => pairsByK.has(g.indices[0] as number)),
      models: names,
      source: rerun,
      signal: options.signal,
    });
    if (remade.made > 0)
      emit({
        type: 'log',
        level: 'info',
        message: `eval: ${remade.made} sample pictures made again (missing or not as eval wrote them) by running the models on their ${remade.groups} pairs; no pair scored again`,
      });
    // Every pair is scored: now the worst and best ones are known. Under --shard these are the
    // shard's own, whose pictures `merge` takes the chosen ones from.
    perModel = metricsByModel(scorers, scores, manifest.masks.length);
    drilldown = drilldownRecord({ groups, entries: manifest.masks, perModel, models: names, masksSha256 });
    const chosen = drilldown.pairs.map((p) => p.k);
    emit({ type: 'log', level: 'info', message: `eval: drill-down pictures of ${chosen.length} pairs (each model's worst and best per bin and subset)` });
    const { made } = await writeDrilldownPictures({
      runDir,
      size,
      ks: chosen,
      models: names,
      source: rerun,
      signal: options.signal,
      onPair: (done) => emit({ type: 'progress', stage: 'eval drill-down', done, total: chosen.length, unit: 'pairs' }),
    });
    if (options.signal?.aborted)
      throw new InterruptedError(
        `evaluation interrupted while writing sample or drill-down pictures: every pair's scores are kept in ${runLayout(runDir).scoresDir}; the same command continues from there`,
      );
    // Pictures reused are the same bytes as made ones (their stamps hold what would make them).
    emit({ type: 'log', level: 'info', message: `eval: drill-down pictures of ${made} pairs made, of ${chosen.length - made} reused (stamps match)` });
  } finally {
    // Batches already scored are appended before anything closes, whatever stopped the loop.
    await settleAll(inFlight);
    await pool.close();
    for (const runner of runners.values()) await runner.dispose();
    for (const writer of writers.values()) await writer.close();
  }
  emit({ type: 'stage', stage: 'eval', status: 'finished', message: `${pairs.length} pairs per model` });

  const stamps = new Map<string, (string | undefined)[]>();
  for (const scorer of scorers) {
    const stampsOf: (string | undefined)[] = new Array(manifest.masks.length);
    for (const [k, score] of scores.get(scorer.name) ?? []) stampsOf[k] = score.stamp;
    stamps.set(scorer.name, stampsOf);
  }
  const samples = samplesOf(groups, (k, name) => scores.get(name)?.has(k) === true, names);
  const header = await resultsHeader(options, manifest, masksSha256, scorers, engines);
  return {
    header,
    perModel,
    stamps,
    fingerprints: new Map(scorers.map((s) => [s.name, s.fingerprint])),
    entries: manifest.masks,
    samples,
    drilldown,
  };
}

/** Per model name, per pair k: the kept metrics (absent for pairs not scored here). */
function metricsByModel(
  scorers: readonly Scorer[],
  scores: ReadonlyMap<string, ReadonlyMap<number, PairScore>>,
  count: number,
): Map<string, (ImageMetrics | undefined)[]> {
  const perModel = new Map<string, (ImageMetrics | undefined)[]>();
  for (const scorer of scorers) {
    const values: (ImageMetrics | undefined)[] = new Array(count);
    for (const [k, score] of scores.get(scorer.name) ?? []) values[k] = score.metrics;
    perModel.set(scorer.name, values);
  }
  return perModel;
}

/** Everything results.json says besides the scores: what was evaluated, how, and with what. */
async function resultsHeader(
  options: EvaluateOptions,
  manifest: MaskManifest,
  manifestSha256: string,
  scorers: readonly Scorer[],
  engines: ReadonlyMap<string, string>,
): Promise<RunScores['header']> {
  const modelEngines = new Set(scorers.flatMap((s) => ((s.model || s.published) && engines.has(s.name) ? [engines.get(s.name) as string] : [])));
  return {
    format: RESULTS_FORMAT,
    experiment: { name: options.config.name, configHash: options.configHash },
    conventions: { ...METRIC_CONVENTIONS, pairs: 'mask k with test image k mod n, centre crop at data.imageSize', borderMargin: `${manifest.borderMargin} px` },
    masks: {
      manifestSha256,
      count: manifest.masks.length,
      width: manifest.width,
      height: manifest.height,
      binRule: manifest.binRule,
      borderMargin: manifest.borderMargin,
    },
    images: { split: 'test', count: options.testFiles.length, pairs: manifest.masks.length },
    backend: {
      name: options.backend.name,
      version: options.backend.version,
      device: options.backend.device,
      ...(modelEngines.size > 0 ? { inference: [...modelEngines].join('; ') } : {}),
    },
    versions: options.versions,
    models: scorers.map((s) => ({
      name: s.name,
      kind: s.kind,
      checkpoint: s.checkpoint,
      step: s.step,
      ...(s.trained ? { input: s.trained.input } : {}),
      ...(s.trained?.lossWeights ? { lossWeights: s.trained.lossWeights } : {}),
      ...(s.published ? { published: { format: s.published.format, file: basename(s.published.file), sha256: s.published.sha256 } } : {}),
    })),
    config: options.config as unknown as Record<string, unknown>,
  };
}

/**
 * The per-pair scores that earlier evaluations kept and that still hold: made by the same scorer
 * (fingerprint) of the same files (stamp). Files of another checkpoint, engine or size are removed.
 * A sample pair's score is kept whatever became of its pictures: remake-samples.ts makes a missing
 * or changed one again without scoring the pair.
 */
async function validKeptScores(args: {
  readonly runDir: string;
  readonly scorers: readonly Scorer[];
  readonly pairs: readonly Pair[];
  readonly stampOf: (scorer: Scorer, pair: Pair) => string | Promise<string>;
  readonly restart: boolean;
  readonly emit: OnEvent;
}): Promise<{ scores: Map<string, Map<number, PairScore>>; engines: Map<string, string> }> {
  const { runDir, scorers, pairs, emit } = args;
  if (args.restart)
    await removeScores(
      runDir,
      scorers.map((s) => s.name),
    );
  const scores = new Map<string, Map<number, PairScore>>();
  const engines = new Map<string, string>();
  const statLimit = pLimit(16);
  for (const scorer of scorers) {
    const kept = await readKeptScores(runDir, scorer.name, scorer.fingerprint);
    if (kept.stale.length > 0) {
      emit({ type: 'log', level: 'info', message: `${scorer.name}: ${kept.stale.length} score files of another checkpoint, engine or size removed` });
      for (const file of kept.stale) await rm(file, { force: true });
    }
    const valid = new Map<number, PairScore>();
    await Promise.all(
      pairs.map((p) =>
        statLimit(async () => {
          const score = kept.scores.get(p.k);
          if (score && score.stamp === (await args.stampOf(scorer, p))) valid.set(p.k, score);
        }),
      ),
    );
    scores.set(scorer.name, valid);
    if (kept.engine && valid.size > 0) engines.set(scorer.name, kept.engine);
  }
  for (const scorer of scorers) {
    const kept = scores.get(scorer.name)?.size ?? 0;
    if (kept > 0) emit({ type: 'log', level: 'info', message: `${scorer.name}: ${kept} of ${pairs.length} pairs kept from an earlier evaluation` });
  }
  return { scores, engines };
}

interface KeepContext {
  readonly runDir: string;
  readonly size: number;
  readonly scorers: readonly Scorer[];
  readonly needs: (scorer: Scorer, k: number) => boolean;
  readonly pool: ReturnType<typeof createScorePool>;
  readonly writers: ReadonlyMap<string, ScoresWriter>;
  readonly scores: Map<string, Map<number, PairScore>>;
  readonly sampleGroup: ReadonlyMap<number, MaskGroup>;
  readonly pairStamp: (p: Pair) => string;
  readonly progress: () => void;
}

/**
 * Scores a batch on the pool, writes the sample pictures of its sample pairs (the composites just
 * scored) with their stamp, then appends every score to its model's file and only then counts the
 * pairs as done, so a kept score's pictures are those of what it scored. A picture lost later is
 * made again from the kept score's pair (remake-samples.ts), the same bytes.
 */
async function scoreAndKeep(
  batch: readonly DecodedPair[],
  outputs: ReadonlyMap<number, { name: string; data: Float32Array }[]>,
  ctx: KeepContext,
): Promise<void> {
  const telea = ctx.scorers.find((s) => s.kind === 'classical');
  const jobs = batch.map((pair): { pair: DecodedPair; job: PairJob } => {
    const group = ctx.sampleGroup.get(pair.k);
    const modelOutputs = [...(outputs.get(pair.k) ?? []), ...[...pair.predictions].map(([name, prediction]) => ({ name, data: prediction.data }))];
    return {
      pair,
      job: {
        k: pair.k,
        size: ctx.size,
        // The pool takes these buffers; a sample pair keeps a copy for its pictures.
        image: group ? pair.image.slice() : pair.image,
        valid: group ? pair.valid.slice() : pair.valid,
        outputs: modelOutputs,
        ...(telea && ctx.needs(telea, pair.k) ? { telea: telea.name } : {}),
        keepComposites: group ? ctx.scorers.map((s) => s.name) : [],
      },
    };
  });
  const results: PairResult[] = await Promise.all(jobs.map(({ job }) => ctx.pool.score(job)));
  for (const [i, result] of results.entries()) {
    const pair = jobs[i]?.pair as DecodedPair;
    const group = ctx.sampleGroup.get(pair.k);
    if (!group) continue;
    await writeSamplePictures(ctx.runDir, group, pair.k, await samplePictures(group, pair, result.composites, ctx.size));
  }
  for (const scorer of ctx.scorers) {
    const fresh: PairScore[] = [];
    for (const [i, result] of results.entries()) {
      const pair = jobs[i]?.pair as DecodedPair;
      const metrics = result.metrics.find((m) => m.name === scorer.name)?.metrics;
      if (!metrics) continue;
      // Another tool's output is stamped with its file too (decodeBatch); the rest with the pair's.
      fresh.push({ k: result.k, stamp: pair.predictions.get(scorer.name)?.stamp ?? ctx.pairStamp(pair), metrics });
    }
    if (fresh.length === 0) continue;
    await ctx.writers.get(scorer.name)?.append(fresh);
    const kept = ctx.scores.get(scorer.name);
    for (const score of fresh) kept?.set(score.k, score);
  }
  ctx.progress();
}

/** A promise whose rejection is handled now and reported when it is awaited. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

async function settleAll(promises: readonly Promise<unknown>[]): Promise<void> {
  await Promise.allSettled(promises);
}
