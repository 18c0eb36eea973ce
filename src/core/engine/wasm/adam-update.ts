import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, type AdamScalars, adamUpdateInto, checkedAdamInputs } from '../shared/adam-update.js';
import { asWasmHeap, floatsOf, wasmMemoryOf } from './heap.js';
import { adamSimdFor } from './simd/adam-update.js';

/**
 * The fused Adam step (PconvAdamUpdate, shared/adam-update.ts) for the wasm backend, on its heap:
 * whole vectors of 4 by a WebAssembly SIMD loop (wasm/simd/adam-update.ts), the rest (and
 * everything where the engine has no wasm SIMD) by the shared float32 JavaScript loop. Bitwise
 * the 13 tf ops it replaces either way.
 */

/** Whether the fused step runs as wasm SIMD on this wasm backend (else as a JS loop on the heap, same results). */
export function wasmAdamUpdateUsesSimd(backend: tf.KernelBackend): boolean {
  const memory = wasmMemoryOf(asWasmHeap(backend));
  return memory !== undefined && adamSimdFor(memory) !== null;
}

function wasmAdamUpdate({ inputs, attrs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { w, g, m, v } = checkedAdamInputs(inputs);
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

let registered = false;

/** Registers the kernel for wasm (once). Needs no backend started: tfjs looks kernels up by name when an op runs. */
export function registerWasmAdamUpdate(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: ADAM_UPDATE, backendName: 'wasm', kernelFunc: wasmAdamUpdate as tf.KernelFunc });
}
