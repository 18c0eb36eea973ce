import { type ExperimentConfig, lossWeightsOf, usesVggFeatures } from '../config/schema.js';
import type { FeatureExtractor } from './inpainting-loss.js';

/**
 * The frozen VGG16 feature extractor a config's loss needs, or undefined when the perceptual and
 * style weights are 0 for both models (loss.baseline may turn them on for the baseline alone).
 * Loads the weights file named by loss.vgg.weights.
 */
export async function featureExtractorFor(config: ExperimentConfig): Promise<(FeatureExtractor & { dispose(): void }) | undefined> {
  const needed = usesVggFeatures(lossWeightsOf('pconv', config.loss)) || usesVggFeatures(lossWeightsOf('conv', config.loss));
  if (!needed || !config.loss.vgg) return undefined;
  const { loadVgg16Weights } = await import('./load-vgg16-weights.js');
  const { vgg16FeatureExtractor } = await import('./vgg16-features.js');
  return vgg16FeatureExtractor(await loadVgg16Weights(config.loss.vgg.weights), config.loss.vgg.preprocessing);
}
