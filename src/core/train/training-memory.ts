/** Whether a training fits the backend's memory, asked before any step: the wasm heap has a hard ceiling (BackendCapabilities.heapLimitBytes). */

import { type ExperimentConfig, lossWeightsOf, usesVggFeatures } from '../config/schema.js';
import type { BackendCapabilities } from '../engine/backend.js';
import { buildNetwork } from '../model/network.js';
import type { InpaintingUNet, ModelKind } from '../model/unet.js';

/**
 * Throws the backend's refusal (BackendInfo.checkFits) when training `net` at this batch cannot
 * fit its memory, after disposing the network's weights (the caller never gets to).
 */
export function refuseWhatCannotFit(
  backend: BackendCapabilities,
  net: InpaintingUNet,
  config: ExperimentConfig,
  batchSize: number,
  what: string,
  keys?: { readonly size: string; readonly batch: string },
): void {
  if (backend.heapLimitBytes === null) return;
  try {
    backend.checkFits(
      {
        kind: net.args.kind,
        parameters: net.countParameters(),
        baseChannels: config.model.baseChannels,
        imageSize: config.data.imageSize,
        batchSize,
        vggFeatures: usesVggFeatures(lossWeightsOf(net.args.kind, config.loss)),
      },
      what,
      keys,
    );
  } catch (error) {
    net.dispose();
    throw error;
  }
}

/**
 * For `run`: refuses before any stage a training that cannot fit the backend's memory (see
 * above); builds the network only where the backend has a ceiling.
 */
export function checkTrainingFits(backend: BackendCapabilities, config: ExperimentConfig, kind: ModelKind): void {
  if (!config.train || backend.heapLimitBytes === null) return;
  const net = buildNetwork(config, kind);
  refuseWhatCannotFit(backend, net, config, config.train.batchSize, `training ${kind}`);
  net.dispose();
}
