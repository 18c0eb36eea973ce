import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { trainingConfigHash } from '../core/config/config-hash.js';
import type { ExperimentConfig } from '../core/config/schema.js';
import { discoverImages, splitImages, summariseSkipped } from '../core/data/image-list.js';
import { type BackendInfo, type BackendRequest, setupBackend } from '../core/engine/backend.js';
import { wasmThreadsForModel } from '../core/engine/wasm-threads.js';
import type { InferenceEngineRequest } from '../core/infer/predictor.js';
import { writeFileAtomic } from '../core/io/atomic.js';
import { sha256Of, stableStringify } from '../core/io/stable-json.js';
import { maskSetSpecOf } from '../core/masks/mask-plan.js';
import { writeMaskSet } from '../core/masks/write-mask-set.js';
import type { FeatureExtractor } from '../core/model/inpainting-loss.js';
import { loadCheckpoint } from '../core/train/checkpoint.js';
import { checkpointDir, checkTrainingFitsWasm, trainModel } from '../core/train/trainer.js';
import { evaluateRun } from '../eval/evaluate.js';
import { readResults, writeReport } from '../eval/report/write-report.js';
import type { OnEvent } from '../protocol/events.js';
import { type Results, ResultsSchema } from '../protocol/results.js';
import { filesFingerprint } from './files-fingerprint.js';
import { lockRunDir } from './run-lock.js';

export const STAGES = ['masks', 'train-pconv', 'train-conv', 'eval', 'report'] as const;
export type Stage = (typeof STAGES)[number];

export interface RunExperimentOptions {
  readonly config: ExperimentConfig;
  readonly configFile: string;
  readonly runDir: string;
  readonly backend: BackendRequest;
  /** The engine that runs the trained models in the eval stage (default auto). */
  readonly inference?: InferenceEngineRequest;
  /** Threads that score pairs in the eval stage (default one per core). */
  readonly evalWorkers?: number;
  /** Run this stage and every later one even if up to date. */
  readonly from?: Stage;
  /** Run only this stage (even if up to date). */
  readonly only?: Stage;
  readonly versions: Record<string, string>;
  readonly features?: () => Promise<FeatureExtractor | undefined>;
  readonly signal?: AbortSignal;
  readonly onEvent?: OnEvent;
}

export interface RunExperimentResult {
  readonly stages: readonly { readonly stage: Stage; readonly status: 'ran' | 'up to date' | 'not asked' }[];
  readonly results?: Results;
  readonly report?: string;
  readonly backend?: BackendInfo;
}

interface Marker {
  readonly inputs: string;
  readonly outputs: string;
  readonly finishedAt: string;
}

async function hashFile(path: string): Promise<string | undefined> {
  try {
    return sha256Of(await readFile(path));
  } catch {
    return undefined;
  }
}

/**
 * The whole experiment in one folder: test masks, PConv (phase 1, 2), baseline (phase 1, 2),
 * evaluation, report. Each stage records a marker with the hash of its inputs (its settings and its
 * upstream stages' outputs) and of its outputs; a stage is skipped only when both still match the
 * files on disk, so a finished stage is trusted by content, not by existence. An interrupted
 * training stage resumes from its last checkpoint. The folder is locked against a second run.
 */
export async function runExperiment(options: RunExperimentOptions): Promise<RunExperimentResult> {
  const { config, runDir } = options;
  const emit = options.onEvent ?? (() => {});
  const release = await lockRunDir(runDir, (message) => emit({ type: 'log', level: 'warn', message }));
  try {
    await writeFileAtomic(join(runDir, 'config.resolved.yaml'), `# resolved from ${options.configFile}\n${stringify(config)}`);
    const forced = (stage: Stage) => options.only === stage || (options.from !== undefined && STAGES.indexOf(stage) >= STAGES.indexOf(options.from));
    const wanted = (stage: Stage) => options.only === undefined || options.only === stage;
    const markerPath = (stage: Stage) => join(runDir, 'stages', `${stage}.json`);
    const outputsOf: Record<Stage, () => Promise<string | undefined>> = {
      masks: () => hashFile(join(runDir, 'masks', 'manifest.json')),
      'train-pconv': () => hashFile(join(checkpointDir(runDir, 'pconv', 'phase2'), 'checkpoint.json')),
      'train-conv': () => hashFile(join(checkpointDir(runDir, 'conv', 'phase2'), 'checkpoint.json')),
      eval: () => hashFile(join(runDir, 'results.json')),
      report: () => hashFile(join(runDir, 'index.html')),
    };
    const upToDate = async (stage: Stage, inputs: string) => {
      try {
        const marker = JSON.parse(await readFile(markerPath(stage), 'utf8')) as Marker;
        return marker.inputs === inputs && marker.outputs === (await outputsOf[stage]());
      } catch {
        return false;
      }
    };
    const finish = async (stage: Stage, inputs: string) => {
      const outputs = (await outputsOf[stage]()) ?? '';
      await writeFileAtomic(markerPath(stage), `${JSON.stringify({ inputs, outputs, finishedAt: new Date().toISOString() } satisfies Marker)}\n`);
      return outputs;
    };
    const stages: { stage: Stage; status: 'ran' | 'up to date' | 'not asked' }[] = [];
    let backend: BackendInfo | undefined;
    const needBackend = async () => {
      backend ??= await setupBackend(options.backend, { wasmThreads: wasmThreadsForModel(config.model) });
      return backend;
    };
    const images = await discoverImages(config.data);
    const skipped = summariseSkipped(images.skipped);
    if (skipped) emit({ type: 'log', level: 'warn', message: skipped });
    const splits = splitImages(images.files, config.data, config.seed);
    const trainHash = trainingConfigHash(config);
    const trainData = await filesFingerprint([...splits.train, ...splits.validation], config.data.root);
    const upstream: Partial<Record<Stage, string>> = {};

    const step = async (stage: Stage, inputs: string, work: () => Promise<void>) => {
      if (!wanted(stage)) {
        upstream[stage] = await outputsOf[stage]();
        stages.push({ stage, status: 'not asked' });
        return;
      }
      if (!forced(stage) && (await upToDate(stage, inputs))) {
        upstream[stage] = await outputsOf[stage]();
        emit({ type: 'stage', stage, status: 'skipped', message: 'up to date (inputs and outputs match their recorded hashes)' });
        stages.push({ stage, status: 'up to date' });
        return;
      }
      await work();
      upstream[stage] = await finish(stage, inputs);
      stages.push({ stage, status: 'ran' });
    };

    const trainInputs = sha256Of(`${trainHash}|${splits.train.length}|${splits.validation.length}|${trainData}`);
    const trainWillRun = async (kind: 'pconv' | 'conv') =>
      wanted(`train-${kind}`) && (forced(`train-${kind}`) || !(await upToDate(`train-${kind}`, trainInputs)));
    // A training that cannot fit the wasm heap is refused now, not after the mask stage's minutes.
    for (const kind of ['pconv', 'conv'] as const) {
      if ((await trainWillRun(kind)) && (await needBackend()).name === 'wasm') checkTrainingFitsWasm(config, kind);
    }
    const spec = maskSetSpecOf(config.masks, config.data.imageSize, config.seed);
    await step('masks', sha256Of(stableStringify(spec)), async () => {
      await writeMaskSet(spec, { outDir: runDir, force: true, signal: options.signal, onEvent: emit });
    });
    for (const kind of ['pconv', 'conv'] as const) {
      await step(`train-${kind}`, trainInputs, async () => {
        const info = await needBackend();
        const latest = await loadCheckpoint(checkpointDir(runDir, kind, 'latest')).catch(() => undefined);
        const resumable = latest?.meta.configHash === trainHash;
        await trainModel({
          config,
          configHash: trainHash,
          kind,
          runDir,
          backend: info,
          trainFiles: splits.train,
          validationFiles: splits.validation,
          resume: resumable,
          restart: !resumable,
          features: await options.features?.(),
          signal: options.signal,
          onEvent: emit,
        });
      });
    }
    let results: Results | undefined;
    // The requested inference engine is an input: `run --inference tfjs` after an auto run
    // re-evaluates rather than keep ONNX Runtime's numbers.
    const evalInputs = sha256Of(
      [
        upstream.masks,
        upstream['train-pconv'],
        upstream['train-conv'],
        await filesFingerprint(splits.test, config.data.root),
        `inference=${options.inference ?? 'auto'}`,
      ].join('|'),
    );
    await step('eval', evalInputs, async () => {
      results = ResultsSchema.parse(
        await evaluateRun({
          config,
          configHash: trainHash,
          runDir,
          backend: await needBackend(),
          engine: options.inference,
          workers: options.evalWorkers,
          // A forced eval (--from, --only) scores afresh; an interrupted or outdated one keeps
          // the per-pair scores that are still valid.
          restart: forced('eval'),
          testFiles: splits.test,
          versions: options.versions,
          signal: options.signal,
          onEvent: emit,
        }),
      );
      await writeFileAtomic(join(runDir, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
    });
    let report: string | undefined;
    await step('report', upstream.eval ?? '', async () => {
      report = (await writeReport(runDir)).path;
    });
    // Stages skipped as up to date: show what is on disk (--only may have run none of them).
    results ??= await readResults(join(runDir, 'results.json')).catch(() => undefined);
    report ??= existsSync(join(runDir, 'index.html')) ? join(runDir, 'index.html') : undefined;
    await writeFileAtomic(
      join(runDir, 'run.json'),
      `${JSON.stringify({ config: options.configFile, seed: config.seed, versions: options.versions, backend: backend ?? null, stages, finishedAt: new Date().toISOString() }, null, 1)}\n`,
    );
    return { stages, results, report, backend };
  } finally {
    await release();
  }
}
