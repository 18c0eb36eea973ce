import * as tf from '@tensorflow/tfjs';
import { type ExperimentConfig, ExperimentConfigSchema } from '../config/schema.js';
import { UserError } from '../errors.js';
import { type BaselineInput, recordedBaselineInput } from '../model/model-inputs.js';
import { buildNetwork } from '../model/network.js';
import type { InpaintingUNet, ModelKind } from '../model/unet.js';
import { type CheckpointMeta, type LoadedCheckpoint, loadCheckpoint } from './checkpoint.js';

/**
 * `config` with the baseline's input form (model.baselineFill, model.baselineMaskChannel) that
 * `checkpoint` was trained with, from its recorded config (recordedBaselineInput): what a
 * checkpoint's network is built from, so an older 4-channel baseline still loads and is fed as it
 * was trained, whatever the current default.
 */
export function configForCheckpoint(config: ExperimentConfig, checkpoint: Pick<LoadedCheckpoint, 'meta'>): ExperimentConfig {
  const form: BaselineInput = recordedBaselineInput(checkpoint.meta.config, config.model);
  // The padding changes no weight's shape, so a mismatch would run silently 1 px off: the
  // checkpoint's own decides (checkpoints from before model.padding were trained with 'same').
  const recorded = (checkpoint.meta.config.model ?? {}) as { padding?: unknown };
  const padding = recorded.padding === 'symmetric' ? 'symmetric' : 'same';
  return { ...config, model: { ...config.model, ...form, padding } };
}

/** Loads a checkpoint's weights into a network built from the same config. */
export function restoreWeights(net: InpaintingUNet, checkpoint: LoadedCheckpoint): void {
  for (const layer of net.layers()) {
    const values = layer.weights.map((w, i) => {
      const key = `${layer.name}#${i}`;
      const saved = checkpoint.tensors.get(key);
      if (!saved || saved.shape.join('x') !== w.shape.join('x')) {
        throw new UserError(
          'CHECKPOINT_MISMATCH',
          `checkpoint weight ${key} ${saved ? `has shape ${saved.shape.join('x')}, the model ${w.shape.join('x')}` : 'is missing'}`,
          {
            hint: 'The checkpoint was made with other model settings (model.levels, baseChannels, maxChannels, head, baselineMaskChannel); use the config it was trained with.',
          },
        );
      }
      return tf.tensor(saved.values, saved.shape);
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** A checkpoint's network, ready to run, and what it was built from. */
export interface TrainedNetwork {
  readonly net: InpaintingUNet;
  readonly kind: ModelKind;
  /** The config the network was built from (configForCheckpoint's): its model and data.imageSize apply. */
  readonly config: ExperimentConfig;
  readonly meta: CheckpointMeta;
}

/**
 * Loads a checkpoint folder and returns its network, built and holding the checkpoint's weights.
 * The network is built from `options.config` (eval: the run's config), else from the config the
 * checkpoint records, parsed so that keys added since get today's defaults (inpaint); either way
 * with the checkpoint's own baseline input form and padding (configForCheckpoint). `options.kind`
 * is the kind expected (eval's model), else the checkpoint's. The caller disposes `net`.
 */
export async function loadTrainedNetwork(
  dir: string,
  options: { readonly config?: ExperimentConfig; readonly kind?: ModelKind } = {},
): Promise<TrainedNetwork> {
  const checkpoint = await loadCheckpoint(dir);
  const config = configForCheckpoint(options.config ?? ExperimentConfigSchema.parse(checkpoint.meta.config), checkpoint);
  const kind = options.kind ?? checkpoint.meta.model;
  const net = buildNetwork(config, kind);
  try {
    restoreWeights(net, checkpoint);
  } catch (error) {
    net.dispose();
    throw error;
  }
  return { net, kind, config, meta: checkpoint.meta };
}
