import * as tf from '@tensorflow/tfjs';

/**
 * One Adam step over one weight tensor as a single kernel, PconvAdamUpdate: reads w, g, m, v once
 * and writes w', m', v' as three NEW tensors (tfjs tensors are immutable and data may be shared,
 * so an input is never written). It replaces 13 elementwise tfjs ops per weight tensor, ~15% of a
 * wasm training step at 64 px (docs/profile-wasm.md, issue 7).
 *
 * This file holds what every backend's kernel shares: the kernel's name and attributes (the
 * step's scalars), the op that runs it (adamUpdate), the input checks and the float32 loop used by
 * the cpu kernel (cpu/adam-update.ts) and by the wasm kernel for what its SIMD loop leaves
 * (wasm/adam-update.ts); webgpu's is webgpu/adam-update.ts.
 *
 * The results are bitwise those of the tf-op formulation in src/core/train/adam.ts: the same
 * float32 operations in the same order, with the scalars rounded to float32 as tfjs rounds a
 * number when it makes a scalar tensor (AdamScalars). In JS every operation is followed by
 * Math.fround: +, -, *, / and sqrt computed in double and rounded to float32 give the correctly
 * rounded float32 result (double has more than 2 x 24 + 2 bits), so this equals float32 arithmetic.
 */
export const ADAM_UPDATE = 'PconvAdamUpdate';

/** The float32 constants of one Adam step (all already rounded to float32). */
export interface AdamScalars {
  readonly beta1: number;
  readonly oneMinusBeta1: number;
  readonly beta2: number;
  readonly oneMinusBeta2: number;
  /** 1 - beta1^t and 1 - beta2^t: the bias corrections of step t. */
  readonly correction1: number;
  readonly correction2: number;
  readonly epsilon: number;
  readonly learningRate: number;
}

/**
 * The constants of step t as the tf-op formulation sees them: each JS number (computed in double,
 * like `1 - beta1 ** t` there) becomes a float32 scalar tensor.
 */
export function adamScalars(t: number, hyper: { beta1: number; beta2: number; epsilon: number; learningRate: number }): AdamScalars {
  const f = Math.fround;
  return {
    beta1: f(hyper.beta1),
    oneMinusBeta1: f(1 - hyper.beta1),
    beta2: f(hyper.beta2),
    oneMinusBeta2: f(1 - hyper.beta2),
    correction1: f(1 - hyper.beta1 ** t),
    correction2: f(1 - hyper.beta2 ** t),
    epsilon: f(hyper.epsilon),
    learningRate: f(hyper.learningRate),
  };
}

/**
 * Elements [from, to) of one Adam step in float32 arithmetic (see the file comment). Used by the
 * cpu kernel for all elements and by the wasm kernel for what its SIMD loop leaves.
 */
export function adamUpdateInto(
  out: { w: Float32Array; m: Float32Array; v: Float32Array },
  w: ArrayLike<number>,
  g: ArrayLike<number>,
  m: ArrayLike<number>,
  v: ArrayLike<number>,
  s: AdamScalars,
  from = 0,
  to = out.w.length,
): void {
  const f = Math.fround;
  const { beta1, oneMinusBeta1, beta2, oneMinusBeta2, correction1, correction2, epsilon, learningRate } = s;
  const [wOut, mOut, vOut] = [out.w, out.m, out.v];
  for (let i = from; i < to; i++) {
    const gi = g[i] as number;
    const m1 = f(f((m[i] as number) * beta1) + f(gi * oneMinusBeta1));
    const v1 = f(f((v[i] as number) * beta2) + f(f(gi * gi) * oneMinusBeta2));
    const step = f(f(m1 / correction1) / f(f(Math.sqrt(f(v1 / correction2))) + epsilon));
    mOut[i] = m1;
    vOut[i] = v1;
    wOut[i] = f((w[i] as number) - f(step * learningRate));
  }
}

/** The kernel's four inputs. */
export type AdamInputs = { w: tf.TensorInfo; g: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo };

/** The four inputs, checked: float32, and g, m, v of w's size (for the cpu and wasm kernels). */
export function checkedAdamInputs(inputs: tf.NamedTensorInfoMap): AdamInputs {
  const { w, g, m, v } = inputs as Partial<AdamInputs>;
  if (!w || !g || !m || !v) throw new Error(`${ADAM_UPDATE} needs the inputs w, g, m and v`);
  const size = tf.util.sizeFromShape(w.shape);
  for (const [label, t] of Object.entries({ w, g, m, v })) {
    if (t.dtype !== 'float32') throw new Error(`${ADAM_UPDATE}: ${label} must be float32, not ${t.dtype}`);
    if (tf.util.sizeFromShape(t.shape) !== size) throw new Error(`${ADAM_UPDATE}: ${label} has shape [${t.shape}], w has [${w.shape}]`);
  }
  return { w, g, m, v };
}

/** Whether the active backend has the fused kernel (the Adam class falls back to tf ops if not). */
export function hasAdamUpdateKernel(backendName: string = tf.getBackend()): boolean {
  return tf.getKernel(ADAM_UPDATE, backendName) !== undefined;
}

/** Runs the fused step: [w', m', v'], new tensors (tracked by tidy like any op's result). */
export function adamUpdate(w: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, scalars: AdamScalars): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const attrs = { ...scalars } as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel(ADAM_UPDATE, { w, g, m, v }, attrs) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
