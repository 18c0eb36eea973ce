import { readFile, rm, stat } from 'node:fs/promises';
import type { ExperimentConfig } from '../core/config/schema.js';
import type { BackendInfo, BackendRequest } from '../core/engine/backend.js';
import { InterruptedError, isUserError, UserError } from '../core/errors.js';
import { writeFileAtomic } from '../core/io/atomic.js';
import type { FeatureExtractor } from '../core/model/inpainting-loss.js';
import type { OnEvent } from '../protocol/events.js';
import { type RunRecord, type RunStage, runLayout, type StageMarker, StageMarkerSchema, type StageStatus } from '../protocol/run-layout.js';
import { cleanStaging } from './clean-staging.js';
import { ExperimentInputs } from './experiment-inputs.js';
import { lockRunDir } from './run-lock.js';
import { resolvedConfigText, STAGE_TABLE, type StageContext, type StageDefinition, type StageOptions, type StageProducts } from './stage-table.js';

export interface RunStagesOptions {
  /** The CLI command, for the lock, the markers and run.json. */
  readonly command: string;
  readonly runDir: string;
  /** Every stage but report needs the config. */
  readonly config?: ExperimentConfig;
  readonly configFile?: string;
  readonly backend?: BackendRequest;
  readonly features?: () => Promise<(FeatureExtractor & { dispose?(): void }) | undefined>;
  /** The stages this command is about; the others are only read (their outputs feed the asked ones). */
  readonly stages: readonly RunStage[];
  /** The folder must exist already (eval, report: they read what earlier stages wrote there). */
  readonly existingRunDir?: boolean;
  /** Asked stages to run even when up to date. */
  readonly force?: readonly RunStage[];
  readonly options?: StageOptions;
  readonly versions: Record<string, string>;
  readonly signal?: AbortSignal;
  readonly onEvent?: OnEvent;
}

export interface RunStagesResult {
  readonly stages: readonly { readonly stage: RunStage; readonly status: StageStatus }[];
  readonly products: StageProducts;
  readonly backend?: BackendInfo;
}

/** Stages whose inputs are earlier stages' outputs: they must run again when one of those ran. */
const DOWNSTREAM: ReadonlySet<RunStage> = new Set(['eval', 'report']);

/**
 * Runs some stages of the experiment in its run folder with the same contract whichever command
 * asked: the folder is locked; what a killed process left half-written is cleared; a stage is
 * skipped only when its marker's inputs and outputs hashes still match the files (every output
 * intact: each mask PNG, each checkpoint's tensors); each finished stage writes its marker; and
 * run.json records how the command ended, failure included.
 */
export async function runStages(options: RunStagesOptions): Promise<RunStagesResult> {
  const emit = options.onEvent ?? (() => {});
  const layout = runLayout(options.runDir);
  if (options.existingRunDir && !(await isFolder(options.runDir))) {
    throw new UserError('RUN_MISSING', `there is no run folder at ${options.runDir}`, {
      hint: 'Name the folder of an existing run (--run DIR, or the default <output.dir>/<name> of the config), or make one with `pconv-bench run <config>`.',
    });
  }
  const release = await lockRunDir(options.runDir, options.command, (message) => emit({ type: 'log', level: 'warn', message }));
  const startedAt = new Date().toISOString();
  const stages: { stage: RunStage; status: StageStatus }[] = [];
  const products: StageProducts = {};
  const inputs = options.config ? new ExperimentInputs(options.config, options.backend ?? 'auto', options.features, emit) : undefined;
  let current: RunStage | undefined;
  let outcome: RunRecord['outcome'] = { status: 'finished' };
  try {
    for (const message of await cleanStaging(layout)) emit({ type: 'log', level: 'info', message });
    if (options.config && options.configFile) await writeFileAtomic(layout.resolvedConfig, resolvedConfigText(options.config, options.configFile));
    const upstream: Partial<Record<RunStage, string>> = {};
    const contextOf = (stage: RunStage): StageContext => ({
      layout,
      inputs,
      options: options.options ?? {},
      upstream,
      forced: options.force?.includes(stage) ?? false,
      command: options.command,
      configFile: options.configFile,
      versions: options.versions,
      products,
      signal: options.signal,
      emit,
    });
    const missingOutputs = async (need: RunStage, stage: RunStage) => {
      const missing = STAGE_TABLE.find((n) => n.stage === need)?.missing;
      return missing ? await missing(layout) : new Error(`${stage} needs the outputs of ${need}`);
    };
    // Checking outputs reads every mask and checkpoint byte (about a second at paper scale): once
    // per stage, again only after the stage has run.
    const checked = new Map<RunStage, Promise<string | undefined>>();
    const outputsOf = (stage: RunStage) => {
      let outputs = checked.get(stage);
      if (!outputs) {
        outputs = (STAGE_TABLE.find((d) => d.stage === stage) as StageDefinition).outputs(layout);
        checked.set(stage, outputs);
      }
      return outputs;
    };
    const markerOf = async (stage: RunStage): Promise<StageMarker | undefined> => {
      try {
        return StageMarkerSchema.parse(JSON.parse(await readFile(layout.stageMarker(stage), 'utf8')));
      } catch {
        return undefined;
      }
    };
    const upToDate = async (stage: RunStage, inputsHash: string) => {
      try {
        const marker = await markerOf(stage);
        if (marker?.inputs !== inputsHash) return undefined;
        const outputs = await outputsOf(stage);
        return outputs !== undefined && outputs === marker.outputs ? outputs : undefined;
      } catch {
        return undefined;
      }
    };

    // Preflight: what would refuse later is refused before any stage's minutes or hours.
    const asked = STAGE_TABLE.filter((d) => options.stages.includes(d.stage));
    const onDisk: Partial<Record<RunStage, string>> = {};
    for (const d of STAGE_TABLE) onDisk[d.stage] = await outputsOf(d.stage);
    let earlierRuns = false;
    for (const d of asked) {
      // An upstream output that no stage of this command will make must be there already.
      for (const need of d.needs) if (!options.stages.includes(need) && onDisk[need] === undefined) throw await missingOutputs(need, d.stage);
      const base = { ...contextOf(d.stage), upstream: onDisk };
      const inputsHash = await d.inputs(base);
      const ctx = { ...base, inputsHash, marker: await markerOf(d.stage) };
      const willRun = ctx.forced || (earlierRuns && DOWNSTREAM.has(d.stage)) || (await upToDate(d.stage, inputsHash)) === undefined;
      if (!willRun) continue;
      earlierRuns = true;
      await d.preflight?.(ctx);
    }

    for (const d of STAGE_TABLE) {
      const { stage } = d;
      if (!options.stages.includes(stage)) {
        upstream[stage] = onDisk[stage];
        stages.push({ stage, status: 'not asked' });
        continue;
      }
      for (const need of d.needs) if (upstream[need] === undefined) throw await missingOutputs(need, stage);
      const ctx = contextOf(stage);
      const inputsHash = await d.inputs(ctx);
      const kept = ctx.forced ? undefined : await upToDate(stage, inputsHash);
      if (kept !== undefined) {
        upstream[stage] = kept;
        emit({ type: 'stage', stage, status: 'skipped', message: 'up to date (inputs and outputs match their recorded hashes)' });
        stages.push({ stage, status: 'up to date' });
        continue;
      }
      current = stage;
      checked.delete(stage);
      await d.run(ctx);
      current = undefined;
      checked.delete(stage);
      if (d.complete?.(ctx) === false) {
        // Part of a stage (a shard, one phase) is not the stage: no marker, and no old one left to vouch for it.
        await rm(layout.stageMarker(stage), { force: true });
        upstream[stage] = await outputsOf(stage);
      } else {
        const outputs = await outputsOf(stage);
        if (outputs === undefined) throw new Error(`stage ${stage} finished but its outputs in ${layout.dir} are incomplete`);
        const marker = { inputs: inputsHash, outputs, finishedAt: new Date().toISOString(), command: options.command };
        await writeFileAtomic(layout.stageMarker(stage), `${JSON.stringify(marker)}\n`);
        upstream[stage] = outputs;
      }
      stages.push({ stage, status: 'ran' });
    }
    return { stages, products, backend: inputs?.startedBackend };
  } catch (error) {
    outcome =
      error instanceof InterruptedError || options.signal?.aborted
        ? { status: 'interrupted', ...(current ? { stage: current } : {}) }
        : {
            status: 'failed',
            ...(current ? { stage: current } : {}),
            error: { code: isUserError(error) ? error.code : 'INTERNAL', message: error instanceof Error ? error.message : String(error) },
          };
    throw error;
  } finally {
    const record: RunRecord = {
      command: options.command,
      config: options.configFile ?? null,
      seed: options.config?.seed ?? null,
      versions: options.versions,
      backend: inputs?.startedBackendRecord() ?? null,
      stages,
      outcome,
      startedAt,
      finishedAt: new Date().toISOString(),
    };
    // A record that cannot be written (a full disk) must not hide why the command ended.
    await writeFileAtomic(layout.record, `${JSON.stringify(record, null, 1)}\n`).catch((error: unknown) =>
      emit({ type: 'log', level: 'warn', message: `could not write ${layout.record}: ${(error as Error).message}` }),
    );
    await inputs?.dispose();
    await release();
  }
}

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}
