import * as tf from '@tensorflow/tfjs';
import { asWasmHeap, floatsOf, wasmMemoryOf } from '../wasm/heap.js';
import { adamSimdFor } from '../wasm/simd/adam-update.js';

/**
 * One Adam step over one weight tensor as a single kernel, for the cpu and wasm backends: reads w,
 * g, m, v once and writes w', m', v' as three NEW tensors (tfjs tensors are immutable and data may
 * be shared, so an input is never written). It replaces 13 elementwise tfjs ops per weight tensor,
 * ~15% of a wasm training step at 64 px (docs/profile-wasm.md, issue 7).
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

type Inputs = { w: tf.TensorInfo; g: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo };

/** The four inputs, checked: float32, and g, m, v of w's size. */
function checkedInputs(inputs: tf.NamedTensorInfoMap): Inputs {
  const { w, g, m, v } = inputs as Partial<Inputs>;
  if (!w || !g || !m || !v) throw new Error(`${ADAM_UPDATE} needs the inputs w, g, m and v`);
  const size = tf.util.sizeFromShape(w.shape);
  for (const [label, t] of Object.entries({ w, g, m, v })) {
    if (t.dtype !== 'float32') throw new Error(`${ADAM_UPDATE}: ${label} must be float32, not ${t.dtype}`);
    if (tf.util.sizeFromShape(t.shape) !== size) throw new Error(`${ADAM_UPDATE}: ${label} has shape [${t.shape}], w has [${w.shape}]`);
  }
  return { w, g, m, v };
}

interface CpuBackend {
  data: { get(id: tf.DataId): { values?: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

function cpuAdamUpdate({ inputs, attrs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { w, g, m, v } = checkedInputs(inputs);
  const cpu = backend as unknown as CpuBackend;
  const values = (t: tf.TensorInfo) => {
    const data = cpu.data.get(t.dataId).values;
    if (!data) throw new Error(`${ADAM_UPDATE} on cpu: an input of shape [${t.shape}] has no values on this backend`);
    return data;
  };
  const size = tf.util.sizeFromShape(w.shape);
  const out = { w: new Float32Array(size), m: new Float32Array(size), v: new Float32Array(size) };
  adamUpdateInto(out, values(w), values(g), values(m), values(v), attrs as unknown as AdamScalars);
  return [cpu.makeTensorInfo(w.shape, 'float32', out.w), cpu.makeTensorInfo(w.shape, 'float32', out.m), cpu.makeTensorInfo(w.shape, 'float32', out.v)];
}

/** Whether the fused step runs as wasm SIMD on this wasm backend (else as a JS loop on the heap, same results). */
export function wasmAdamUpdateUsesSimd(backend: tf.KernelBackend): boolean {
  const memory = wasmMemoryOf(asWasmHeap(backend));
  return memory !== undefined && adamSimdFor(memory) !== null;
}

function wasmAdamUpdate({ inputs, attrs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { w, g, m, v } = checkedInputs(inputs);
  const wasm = asWasmHeap(backend);
  const outputs = [wasm.makeOutput(w.shape, 'float32'), wasm.makeOutput(w.shape, 'float32'), wasm.makeOutput(w.shape, 'float32')];
  // Views only now: an allocation may grow the heap and detach older ones.
  const [wv, gv, mv, vv] = [w, g, m, v].map((t) => floatsOf(wasm, t)) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const [wOut, mOut, vOut] = outputs.map((t) => floatsOf(wasm, t)) as [Float32Array, Float32Array, Float32Array];
  const s = attrs as unknown as AdamScalars;
  const size = wv.length;
  const memory = wasmMemoryOf(wasm);
  const simd = memory ? adamSimdFor(memory) : null;
  // Whole vectors of 4 in wasm SIMD, the rest (and everything where SIMD is missing) in JS.
  const vectorized = simd ? size - (size % 4) : 0;
  if (simd && vectorized > 0) {
    simd(
      wv.byteOffset,
      gv.byteOffset,
      mv.byteOffset,
      vv.byteOffset,
      wOut.byteOffset,
      mOut.byteOffset,
      vOut.byteOffset,
      vectorized * 4,
      s.beta1,
      s.oneMinusBeta1,
      s.beta2,
      s.oneMinusBeta2,
      s.correction1,
      s.correction2,
      s.epsilon,
      s.learningRate,
    );
  }
  adamUpdateInto({ w: wOut, m: mOut, v: vOut }, wv, gv, mv, vv, s, vectorized, size);
  return outputs;
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

let registered = false;

/**
 * Registers the kernel for cpu and wasm (once). Needs neither backend started: tfjs looks kernels
 * up by name when an op runs.
 */
export function registerAdamUpdateKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: ADAM_UPDATE, backendName: 'cpu', kernelFunc: cpuAdamUpdate as tf.KernelFunc });
  tf.registerKernel({ kernelName: ADAM_UPDATE, backendName: 'wasm', kernelFunc: wasmAdamUpdate as tf.KernelFunc });
}
