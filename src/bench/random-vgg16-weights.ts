import { type ConvWeights, VGG16_LAYERS, type Vgg16Weights } from '../core/model/vgg16-features.js';
import { Rng } from '../core/rng.js';

/**
 * VGG16 block1..block3 weights with He-uniform random values and zero biases: the real layer
 * shapes, so the full loss costs exactly the FLOPs it costs with ImageNet weights (nothing ships
 * or is downloaded). The PyTorch peer draws its own random weights of the same shapes.
 */
export function randomVgg16Weights(seed: number): Vgg16Weights {
  const rng = new Rng(seed);
  return new Map(
    VGG16_LAYERS.map(([name, cin, cout]): [(typeof VGG16_LAYERS)[number][0], ConvWeights] => {
      const limit = Math.sqrt(6 / (9 * cin));
      const kernel = new Float32Array(9 * cin * cout);
      for (let i = 0; i < kernel.length; i++) kernel[i] = rng.uniform(-limit, limit);
      return [name, { kernel, bias: new Float32Array(cout) }];
    }),
  );
}
