import * as tf from '@tensorflow/tfjs';

export interface AdamState {
  /** Updates applied so far. */
  readonly t: number;
  /** First and second moments per variable key. */
  readonly m: ReadonlyMap<string, tf.Tensor>;
  readonly v: ReadonlyMap<string, tf.Tensor>;
}

/**
 * Adam (Kingma and Ba 2015, PyTorch's form: eps outside the square root), written out so that its
 * state is plain tensors keyed by our stable variable names: a checkpoint saves and restores it
 * exactly, which tfjs' optimizer (state keyed by auto-generated variable names) does not allow.
 */
export class Adam {
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private t = 0;
  private readonly m = new Map<string, tf.Tensor>();
  private readonly v = new Map<string, tf.Tensor>();

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8) {
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  /** Applies one update to `variables` (key -> variable) with `grads` (key -> gradient). */
  apply(variables: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>): void {
    this.t++;
    const { beta1, beta2, epsilon } = this;
    const correction1 = 1 - beta1 ** this.t;
    const correction2 = 1 - beta2 ** this.t;
    for (const [key, variable] of variables) {
      const grad = grads.get(key);
      if (!grad) continue;
      const [m, v] = tf.tidy(() => {
        const m0 = this.m.get(key) ?? tf.zerosLike(variable);
        const v0 = this.v.get(key) ?? tf.zerosLike(variable);
        const m1 = tf.add(tf.mul(m0, beta1), tf.mul(grad, 1 - beta1));
        const v1 = tf.add(tf.mul(v0, beta2), tf.mul(tf.square(grad), 1 - beta2));
        const step = tf.div(tf.div(m1, correction1), tf.add(tf.sqrt(tf.div(v1, correction2)), epsilon));
        variable.assign(tf.sub(variable, tf.mul(step, this.learningRate)));
        return [m1, v1];
      });
      this.m.get(key)?.dispose();
      this.v.get(key)?.dispose();
      this.m.set(key, m);
      this.v.set(key, v);
    }
  }

  state(): AdamState {
    return { t: this.t, m: this.m, v: this.v };
  }

  /** Replaces the state (tensors are kept, not copied). */
  restore(state: AdamState): void {
    this.dispose();
    this.t = state.t;
    for (const [key, tensor] of state.m) this.m.set(key, tensor);
    for (const [key, tensor] of state.v) this.v.set(key, tensor);
  }

  dispose(): void {
    for (const tensor of [...this.m.values(), ...this.v.values()]) tensor.dispose();
    this.m.clear();
    this.v.clear();
    this.t = 0;
  }
}
