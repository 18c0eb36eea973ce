import * as tf from '@tensorflow/tfjs';
import { type AdamScalars, adamScalars, adamUpdate, hasAdamUpdateKernel } from '../engine/shared/adam-update.js';

export interface AdamState {
  /** Updates applied so far. */
  readonly t: number;
  /** First and second moments per variable key. */
  readonly m: ReadonlyMap<string, tf.Tensor>;
  readonly v: ReadonlyMap<string, tf.Tensor>;
}

/**
 * One Adam step of one weight tensor as tf ops (13 elementwise kernels): the formulation for
 * backends without the fused kernel (webgl, webgpu, tensorflow). Returns [w', m', v'].
 * The fused kernel (src/core/engine/shared/adam-update.ts) computes the same floats bit for bit.
 */
export function adamUpdateOps(w: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: AdamScalars): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    // Each number becomes a float32 scalar tensor exactly as in the original form
    // (tf.mul(m, beta1), tf.mul(grad, 1 - beta1), ...): `s` holds those float32 values.
    const m1 = tf.add(tf.mul(m, s.beta1), tf.mul(g, s.oneMinusBeta1));
    const v1 = tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(g), s.oneMinusBeta2));
    const step = tf.div(tf.div(m1, s.correction1), tf.add(tf.sqrt(tf.div(v1, s.correction2)), s.epsilon));
    return [tf.sub(w, tf.mul(step, s.learningRate)), m1, v1];
  });
}

/**
 * Adam (Kingma and Ba 2015, PyTorch's form: eps outside the square root), written out so that its
 * state is plain tensors keyed by our stable variable names: a checkpoint saves and restores it
 * exactly, which tfjs' optimizer (state keyed by auto-generated variable names) does not allow.
 * On cpu and wasm each weight tensor takes one pass of a fused kernel; elsewhere adamUpdateOps.
 */
export class Adam {
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /**
   * Use the fused kernel where the backend has one (cpu, wasm). False runs adamUpdateOps
   * everywhere; the results are the same bits either way (A/B benchmarks and tests switch it).
   */
  useFusedKernel = true;
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
    const scalars = adamScalars(this.t, this);
    const update = this.useFusedKernel && hasAdamUpdateKernel() ? adamUpdate : adamUpdateOps;
    for (const [key, variable] of variables) {
      const grad = grads.get(key);
      if (!grad) continue;
      const [m, v] = tf.tidy(() => {
        const m0 = this.m.get(key) ?? tf.zerosLike(variable);
        const v0 = this.v.get(key) ?? tf.zerosLike(variable);
        const [w1, m1, v1] = update(variable, grad, m0, v0, scalars);
        variable.assign(w1);
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

  /** Back to a fresh Adam: moments freed (zero when next used), step count 0; the learning rate stays. */
  reset(): void {
    this.dispose();
  }

  dispose(): void {
    for (const tensor of [...this.m.values(), ...this.v.values()]) tensor.dispose();
    this.m.clear();
    this.v.clear();
    this.t = 0;
  }
}
