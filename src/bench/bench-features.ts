import { type ExperimentConfig, usesVggFeatures } from '../core/config/schema.js';
import type { FeatureExtractor } from '../core/model/inpainting-loss.js';
import { RANDOM_VGG_WEIGHTS } from './bench-config.js';

export interface BenchFeatures {
  readonly extractor: (FeatureExtractor & { dispose(): void }) | undefined;
  /** How the full loss's VGG16 features are computed, in words; null when the loss has no VGG terms. */
  readonly description: string | null;
}

/**
 * The VGG16 feature extractor of the bench's loss: train's own (featureExtractorFor) when the user
 * named a weights file, else the same extractor over random weights of the real shapes.
 */
export async function benchFeatures(config: ExperimentConfig, seed: number): Promise<BenchFeatures> {
  if (!usesVggFeatures(config.loss) || !config.loss.vgg) return { extractor: undefined, description: null };
  if (config.loss.vgg.weights !== RANDOM_VGG_WEIGHTS) {
    const { featureExtractorFor } = await import('../core/model/feature-extractor-for.js');
    return { extractor: await featureExtractorFor(config), description: `VGG16 block1-3 from ${config.loss.vgg.weights} (${config.loss.vgg.preprocessing})` };
  }
  const { vgg16FeatureExtractor } = await import('../core/model/vgg16-features.js');
  const { randomVgg16Weights } = await import('./random-vgg16-weights.js');
  return {
    extractor: vgg16FeatureExtractor(randomVgg16Weights(seed), config.loss.vgg.preprocessing),
    description: 'VGG16 block1-3, random He-uniform weights (same shapes and FLOPs as ImageNet weights), torch preprocessing',
  };
}
