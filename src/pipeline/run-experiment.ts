import { existsSync } from 'node:fs';
import type { ExperimentConfig } from '../core/config/schema.js';
import type { BackendInfo, BackendRequest } from '../core/engine/backend.js';
import type { InferenceEngineRequest } from '../core/infer/predictor.js';
import type { FeatureExtractor } from '../core/model/inpainting-loss.js';
import { readResults } from '../eval/report/write-report.js';
import type { OnEvent } from '../protocol/events.js';
import type { Results } from '../protocol/results.js';
import { RUN_STAGES, type RunStage, runLayout, type StageStatus } from '../protocol/run-layout.js';
import { runStages } from './run-stages.js';

export { RUN_STAGES as STAGES, type RunStage as Stage } from '../protocol/run-layout.js';

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
  readonly from?: RunStage;
  /** Run only this stage (even if up to date). */
  readonly only?: RunStage;
  readonly versions: Record<string, string>;
  readonly features?: () => Promise<(FeatureExtractor & { dispose?(): void }) | undefined>;
  readonly signal?: AbortSignal;
  readonly onEvent?: OnEvent;
}

export interface RunExperimentResult {
  readonly stages: readonly { readonly stage: RunStage; readonly status: StageStatus }[];
  readonly results?: Results;
  readonly report?: string;
  readonly backend?: BackendInfo;
}

/**
 * The whole experiment in one folder: test masks, PConv (phase 1, 2), baseline (phase 1, 2),
 * evaluation, report; every stage of the table in src/pipeline/stage-table.ts, walked by
 * runStages (which the single-stage commands use too). An interrupted training stage resumes
 * from its last checkpoint, an interrupted evaluation from its kept per-pair scores.
 */
export async function runExperiment(options: RunExperimentOptions): Promise<RunExperimentResult> {
  const from = options.from === undefined ? undefined : RUN_STAGES.indexOf(options.from);
  const outcome = await runStages({
    command: 'run',
    runDir: options.runDir,
    config: options.config,
    configFile: options.configFile,
    backend: options.backend,
    features: options.features,
    stages: options.only ? [options.only] : RUN_STAGES,
    force: options.only ? [options.only] : from === undefined ? [] : RUN_STAGES.slice(from),
    options: { eval: { engine: options.inference, workers: options.evalWorkers } },
    versions: options.versions,
    signal: options.signal,
    onEvent: options.onEvent,
  });
  const layout = runLayout(options.runDir);
  // Stages skipped as up to date: show what is on disk (--only may have run none of them).
  const results = outcome.products.results ?? (await readResults(layout.results).catch(() => undefined));
  const report = outcome.products.report?.path ?? (existsSync(layout.report) ? layout.report : undefined);
  return { stages: outcome.stages, results, report, backend: outcome.backend };
}
