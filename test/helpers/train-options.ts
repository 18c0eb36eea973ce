import type { ExperimentConfig } from '../../src/core/config/schema.js';
import { listImages, splitImages } from '../../src/core/data/image-list.js';
import type { BackendInfo } from '../../src/core/engine/backend.js';
import { sha256Of, stableStringify } from '../../src/core/io/stable-json.js';
import type { TrainOptions } from '../../src/core/train/trainer.js';

/** trainModel's options for a config's own split, as `train` builds them (PConv unless `extra` says otherwise). */
export async function trainOptions(config: ExperimentConfig, backend: BackendInfo, runDir: string, extra: Partial<TrainOptions> = {}): Promise<TrainOptions> {
  const splits = splitImages(await listImages(config.data), config.data, config.seed);
  return {
    config,
    configHash: sha256Of(stableStringify(config)),
    kind: 'pconv',
    runDir,
    backend,
    trainFiles: splits.train,
    validationFiles: splits.validation,
    ...extra,
  };
}
