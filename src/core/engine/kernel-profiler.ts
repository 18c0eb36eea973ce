import * as tf from '@tensorflow/tfjs';

/** Time and output of one kernel name (or one name and input shapes) over a profiled stretch. */
export interface KernelProfileRow {
  /** Kernel name, or name and input shapes ("Conv2D 4x32x32x64 3x3x64x64") for `byShape`. */
  readonly key: string;
  readonly calls: number;
  /** Time inside the kernel minus the kernels it ran itself (ours are built from other kernels). */
  readonly selfMs: number;
  /** Time inside the kernel, nested kernels included. */
  readonly totalMs: number;
  /** Bytes of the tensors it returned (float32/int32: 4 per element). */
  readonly bytesOut: number;
}

export interface KernelProfile {
  /** One row per kernel name, by self time, largest first. */
  readonly byName: KernelProfileRow[];
  /** One row per kernel name and input shapes, by self time, largest first. */
  readonly byShape: KernelProfileRow[];
  /** Sum of self times: the time spent in kernels at all. */
  readonly kernelMs: number;
}

interface Accumulator {
  calls: number;
  selfMs: number;
  totalMs: number;
  bytesOut: number;
}

function shapeOf(info: tf.TensorInfo | undefined): string {
  return info ? info.shape.join('x') || 'scalar' : '-';
}

function bytesOf(out: tf.TensorInfo | tf.TensorInfo[]): number {
  const list = Array.isArray(out) ? out : [out];
  return list.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'complex64' ? 8 : 4), 0);
}

/**
 * A profiling-only mode: wraps every kernel registered for `backendName` so that each call is
 * timed with performance.now(). Exact for backends whose kernels finish before they return (wasm
 * and cpu: both compute synchronously on this thread); meaningless for GPU backends, which only
 * queue work. `stop()` puts the original kernels back and returns the table.
 *
 * tf.profile() also times kernels, but it neither separates a kernel built from other kernels from
 * those kernels (our Conv2DBackpropFilter) nor groups by shape, which is what says which layer is slow.
 */
export function startKernelProfile(backendName: string): { stop(): KernelProfile } {
  const configs = tf.getKernelsForBackend(backendName);
  const originals = new Map<tf.KernelConfig, tf.KernelFunc>();
  const byName = new Map<string, Accumulator>();
  const byShape = new Map<string, Accumulator>();
  // Time of the kernels called from inside the running kernel, per nesting level.
  const childMs: number[] = [];
  const add = (map: Map<string, Accumulator>, key: string, selfMs: number, totalMs: number, bytesOut: number) => {
    const acc = map.get(key) ?? { calls: 0, selfMs: 0, totalMs: 0, bytesOut: 0 };
    acc.calls++;
    acc.selfMs += selfMs;
    acc.totalMs += totalMs;
    acc.bytesOut += bytesOut;
    map.set(key, acc);
  };
  for (const config of configs) {
    const original = config.kernelFunc;
    originals.set(config, original);
    // The registry hands out the config object it keeps, and the engine reads kernelFunc at each
    // call, so replacing the property reroutes every later call.
    (config as { kernelFunc: tf.KernelFunc }).kernelFunc = (params) => {
      childMs.push(0);
      const start = performance.now();
      const out = original(params);
      const totalMs = performance.now() - start;
      const nestedMs = childMs.pop() ?? 0;
      if (childMs.length > 0) childMs[childMs.length - 1] = (childMs[childMs.length - 1] ?? 0) + totalMs;
      const bytes = bytesOf(out);
      add(byName, config.kernelName, totalMs - nestedMs, totalMs, bytes);
      const shapes = Object.values(params.inputs).map((t) => shapeOf(t as tf.TensorInfo | undefined));
      add(byShape, `${config.kernelName} ${shapes.join(' ')}`, totalMs - nestedMs, totalMs, bytes);
      return out;
    };
  }
  return {
    stop(): KernelProfile {
      for (const [config, original] of originals) (config as { kernelFunc: tf.KernelFunc }).kernelFunc = original;
      const rows = (map: Map<string, Accumulator>) => [...map].map(([key, acc]) => ({ key, ...acc })).sort((a, b) => b.selfMs - a.selfMs);
      const named = rows(byName);
      return { byName: named, byShape: rows(byShape), kernelMs: named.reduce((sum, row) => sum + row.selfMs, 0) };
    },
  };
}
