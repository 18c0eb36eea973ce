import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, type AdamScalars, adamUpdateInto, checkedAdamInputs } from '../shared/adam-update.js';

/**
 * The fused Adam step (PconvAdamUpdate, shared/adam-update.ts) for the cpu backend: one JavaScript
 * loop over the weight tensor in float32 arithmetic (adamUpdateInto), bitwise the 13 tf ops it
 * replaces.
 */

interface CpuBackend {
  data: { get(id: tf.DataId): { values?: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

function cpuAdamUpdate({ inputs, attrs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { w, g, m, v } = checkedAdamInputs(inputs);
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

let registered = false;

/** Registers the kernel for cpu (once). Needs no backend started: tfjs looks kernels up by name when an op runs. */
export function registerCpuAdamUpdate(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: ADAM_UPDATE, backendName: 'cpu', kernelFunc: cpuAdamUpdate as tf.KernelFunc });
}
