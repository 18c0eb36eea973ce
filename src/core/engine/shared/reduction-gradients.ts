import * as tf from '@tensorflow/tfjs';

/**
 * Gradients of Sum and Mean that broadcast dy on the backend instead of multiplying it by a
 * tensor of ones. tfjs-core 4.22 writes them as mul(reshape(dy), ones(x.shape)) (divided by the
 * reduced size for Mean), and ones() fills a JavaScript array of x's size and uploads it: at 512 px
 * batch 4 that is up to 16.8 million floats per batch-norm gradient (4x256x256x64) and 67 million
 * for the full loss's VGG block-1 features. Measured on an H200 (webgpu): filling those arrays was
 * ~30% of the JavaScript thread's time in training, uploading them most of another 28%
 * (docs/profile-webgpu.md). Multiplying by one changes no float
 * (NaN, infinities and -0 included), so broadcastTo(dy) gives the same values bit for bit.
 */
function expandedDy(dy: tf.Tensor, x: tf.Tensor, axes: number[]): tf.Tensor {
  const shape = x.shape.slice();
  for (const axis of axes) shape[axis] = 1;
  // ones(x.shape, 'float32') made the original's result float32 whatever dy was.
  const flat = dy.dtype === 'float32' ? dy : tf.cast(dy, 'float32');
  return tf.broadcastTo(tf.reshape(flat, shape), x.shape);
}

/** dy broadcast over the reduced axes (Sum's gradient), divided by the count reduced if `divideByCount` (Mean's). */
function registerBroadcastGradient(kernelName: typeof tf.Sum | typeof tf.Mean, divideByCount: boolean): void {
  tf.registerGradient({
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const axes = tf.util.parseAxisParam((attrs as unknown as tf.SumAttrs | tf.MeanAttrs).axis, x.shape);
      if (!divideByCount) return { x: () => expandedDy(dy as tf.Tensor, x, axes) };
      const reduceSize = tf.util.sizeFromShape(tf.backend_util.computeOutAndReduceShapes(x.shape, axes)[1]);
      return { x: () => tf.div(expandedDy(dy as tf.Tensor, x, axes), reduceSize) };
    },
  });
}

let registered = false;

/** Registers both gradients in place of tfjs' own (once; they apply to every backend). */
export function registerReductionGradients(): void {
  if (registered) return;
  registerBroadcastGradient(tf.Sum, false);
  registerBroadcastGradient(tf.Mean, true);
  registered = true;
}
