import type { ExperimentConfig } from '../core/config/schema.js';
import { concatFloat32 } from '../core/data/concat-float32.js';
import { createPredictor, type InferenceEngineRequest } from '../core/infer/predictor.js';
import type { ModelKind } from '../core/model/unet.js';
import { loadTrainedNetwork } from '../core/train/trained-network.js';

/** A trained model of the run, ready to fill batches of pairs. */
export interface ModelRunner {
  readonly engine: string;
  readonly notes: readonly string[];
  /** Raw predictions, one array per pair, each owning its buffer (so it can move to a thread). */
  predict(images: readonly Float32Array[], valid: readonly Float32Array[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export async function openModelRunner(
  config: ExperimentConfig,
  model: { readonly kind: ModelKind; readonly dir: string },
  engine: InferenceEngineRequest,
): Promise<ModelRunner> {
  const size = config.data.imageSize;
  // Built from the run's config, fed as the checkpoint records (an older baseline took the mask as a fourth channel).
  const { net, config: fed } = await loadTrainedNetwork(model.dir, { config, kind: model.kind });
  try {
    const predictor = await createPredictor(net, { kind: model.kind, size, baselineFill: fed.model.baselineFill, engine });
    const perImage = size * size * 3;
    return {
      engine: predictor.engine,
      notes: predictor.notes,
      async predict(images, valid) {
        const data = await predictor.predict(concatFloat32(images), concatFloat32(valid), images.length);
        return images.map((_, i) => data.slice(i * perImage, (i + 1) * perImage));
      },
      async dispose() {
        await predictor.dispose();
        net.dispose();
      },
    };
  } catch (error) {
    net.dispose();
    throw error;
  }
}
