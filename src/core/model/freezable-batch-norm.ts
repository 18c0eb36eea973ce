import * as tf from '@tensorflow/tfjs';

export interface FreezableBatchNormArgs {
  readonly name?: string;
  /** Weight of the old moving statistics in each update (PyTorch's momentum 0.1 is 0.9 here). */
  readonly momentum?: number;
  readonly epsilon?: number;
}

/**
 * Batch normalisation whose freezing is an explicit flag. tfjs' BatchNormalization ignores
 * `trainable` and follows only `training` (its call() reads kwargs.training alone), which cannot express the paper's
 * phase 2: encoder batch norm frozen while the decoder's keeps training in the same pass.
 *
 * - training and not frozen: normalise with the batch's moments and update the moving statistics;
 * - frozen, or not training: normalise with the moving statistics and leave them as they are.
 * Whether gamma and beta still learn is the optimizer's business (the trainer's variable list).
 */
export class FreezableBatchNorm extends tf.layers.Layer {
  static className = 'FreezableBatchNorm';
  /** Phase 2 sets this on the encoder's layers. */
  frozen = false;
  readonly momentum: number;
  readonly epsilon: number;
  gamma?: tf.LayerVariable;
  beta?: tf.LayerVariable;
  movingMean?: tf.LayerVariable;
  movingVariance?: tf.LayerVariable;

  constructor(args: FreezableBatchNormArgs = {}) {
    super({ name: args.name });
    this.momentum = args.momentum ?? 0.9;
    this.epsilon = args.epsilon ?? 1e-5;
  }

  override build(inputShape: (number | null)[] | (number | null)[][]): void {
    const shape = inputShape as (number | null)[];
    const channels = shape[shape.length - 1];
    if (channels == null) throw new Error('FreezableBatchNorm: the channel dimension must be known');
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', [channels], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [channels], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
    const { gamma, beta, movingMean, movingVariance } = this as Required<Pick<this, 'gamma' | 'beta' | 'movingMean' | 'movingVariance'>>;
    if (!gamma || !beta || !movingMean || !movingVariance) throw new Error('FreezableBatchNorm: call() before build()');
    if (kwargs.training && !this.frozen) {
      const axes = [...Array(x.rank - 1).keys()];
      const { mean, variance } = tf.moments(x, axes);
      tf.tidy(() => {
        const m = this.momentum;
        movingMean.write(tf.add(tf.mul(movingMean.read(), m), tf.mul(mean, 1 - m)));
        movingVariance.write(tf.add(tf.mul(movingVariance.read(), m), tf.mul(variance, 1 - m)));
      });
      return tf.batchNorm(x, mean, variance, beta.read(), gamma.read(), this.epsilon);
    }
    return tf.batchNorm(x, movingMean.read(), movingVariance.read(), beta.read(), gamma.read(), this.epsilon);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(FreezableBatchNorm);
