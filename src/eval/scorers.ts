import { readdir } from 'node:fs/promises';
import { basename, relative } from 'node:path';
import { type ExperimentConfig, lossWeightsOf } from '../core/config/schema.js';
import type { BackendInfo } from '../core/engine/backend.js';
import { UserError } from '../core/errors.js';
import type { InferenceEngineRequest } from '../core/infer/predictor.js';
import { sha256Of } from '../core/io/stable-json.js';
import type { LossWeights } from '../core/model/inpainting-loss.js';
import { describeModelInput, type ModelInputDescription, recordedBaselineInput } from '../core/model/model-inputs.js';
import type { ModelKind } from '../core/model/unet.js';
import { loadCheckpoint } from '../core/train/checkpoint.js';
import { runLayout } from '../protocol/run-layout.js';
import { MODEL_NAMES, TELEA_NAME, TELEA_RADIUS } from '../protocol/scorer-names.js';
import type { ExternalOutputs } from './pair-inputs.js';
import { type PublishedModelSpec, publishedModelsOf, weightsSha256 } from './published-models.js';

/** One row of the results: a trained model, Telea or another tool's outputs. */
export interface Scorer {
  readonly name: string;
  readonly kind: 'pconv' | 'conv' | 'classical' | 'external' | 'published';
  readonly fingerprint: string;
  readonly checkpoint: string | null;
  readonly step: number | null;
  readonly model?: { readonly kind: ModelKind; readonly dir: string };
  /** A trained model's input and loss weights, from its checkpoint's recorded config (results.json models[]). */
  readonly trained?: { readonly input: ModelInputDescription; readonly lossWeights?: LossWeights };
  readonly external?: ExternalOutputs;
  /** A published model (config models:, eval --model): its weights file and their SHA-256. */
  readonly published?: PublishedModelSpec & { readonly sha256: string };
}

/** What decides a run's rows: its config and folder, how models run, and which other rows join them. */
export interface ScorerOptions {
  readonly config: ExperimentConfig;
  readonly runDir: string;
  readonly backend: BackendInfo;
  /** Which engine runs the models (core/infer/predictor.ts); default auto. */
  readonly engine?: InferenceEngineRequest;
  /** Outputs of other tools for the exported pairs (pconv-bench export), scored as more rows. */
  readonly external?: readonly { readonly name: string; readonly dir: string }[];
  /** Published models to score besides the config's models: (eval --model). */
  readonly published?: readonly PublishedModelSpec[];
  /** Score OpenCV's Telea inpainting too, as a classical floor (default true). */
  readonly classical?: boolean;
}

const LOSS_WEIGHT_KEYS = ['valid', 'hole', 'perceptual', 'style', 'tv'] as const;

/** The loss weights a checkpoint's recorded config trained `kind` with, or undefined if it does not hold them all. */
function recordedLossWeights(kind: ModelKind, recordedConfig: Readonly<Record<string, unknown>>): LossWeights | undefined {
  const loss = recordedConfig.loss as Record<string, unknown> | undefined;
  if (!loss || !LOSS_WEIGHT_KEYS.every((key) => typeof loss[key] === 'number')) return undefined;
  const baseline = typeof loss.baseline === 'object' && loss.baseline !== null ? (loss.baseline as Partial<LossWeights>) : undefined;
  return lossWeightsOf(kind, { ...(loss as unknown as LossWeights), baseline });
}

/** The trained models of the run (phase 2, else latest), published models, Telea and other tools' outputs. */
export async function findScorers(options: ScorerOptions): Promise<Scorer[]> {
  const { config, runDir } = options;
  const size = config.data.imageSize;
  const engine = options.engine ?? 'auto';
  const scorers: Scorer[] = [];
  for (const kind of ['pconv', 'conv'] as const) {
    for (const which of ['phase2', 'latest'] as const) {
      const dir = runLayout(runDir).checkpoint(kind, which);
      const found = await loadCheckpoint(dir).catch((error: unknown) => {
        if (error instanceof UserError && error.code === 'CHECKPOINT_MISSING') return undefined;
        throw error;
      });
      if (!found) continue;
      scorers.push({
        name: MODEL_NAMES[kind],
        kind,
        // The engine asked for and the backend are part of it: an ONNX Runtime score is not kept
        // for a TensorFlow.js run, nor one of another backend.
        fingerprint: sha256Of([kind, found.meta.tensorsSha256, sha256Of(JSON.stringify(config.model)), size, engine, options.backend.name].join('|')),
        // Relative to the run folder, so results.json does not depend on where the run lives.
        checkpoint: relative(runDir, dir),
        step: found.meta.step,
        model: { kind, dir },
        trained: {
          input: describeModelInput(kind, recordedBaselineInput(found.meta.config, config.model)),
          lossWeights: recordedLossWeights(kind, found.meta.config),
        },
      });
      break;
    }
  }
  for (const spec of publishedModelsOf(config, options.published)) {
    const sha256 = await weightsSha256(spec.file, spec.name);
    scorers.push({
      name: spec.name,
      kind: 'published',
      // Kept per-pair scores count only for the same weights file, read the same way, at this size and engine.
      fingerprint: sha256Of(['published', spec.format, sha256, size, engine, options.backend.name].join('|')),
      // Only the file's name: results.json holds no absolute paths of the machine it ran on.
      checkpoint: basename(spec.file),
      step: null,
      published: { ...spec, sha256 },
    });
  }
  // Published models alone are enough: their weights need no training here.
  if (scorers.length === 0) {
    throw new UserError('EVAL_NO_CHECKPOINTS', `no trained model in ${runLayout(runDir).checkpointsDir}`, {
      hint: `Train first (pconv-bench train <config> --run ${runDir}), or score a published model: models: in the config, or --model NAME=FORMAT:FILE.`,
    });
  }
  if (options.classical !== false) {
    scorers.push({ name: TELEA_NAME, kind: 'classical', fingerprint: sha256Of(`telea|${TELEA_RADIUS}|${size}`), checkpoint: null, step: null });
  }
  for (const tool of options.external ?? []) {
    const files = new Set(await readdir(tool.dir).catch(() => [] as string[]));
    scorers.push({
      name: tool.name,
      kind: 'external',
      fingerprint: sha256Of(`external|${tool.dir}|${size}`),
      checkpoint: tool.dir,
      step: null,
      external: { name: tool.name, dir: tool.dir, files },
    });
  }
  return scorers;
}
