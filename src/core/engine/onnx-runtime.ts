/**
 * ONNX Runtime (onnxruntime-node), the engine inference runs on where TensorFlow.js has only its
 * portable CPU backends (wasm, cpu). Why: wasm has 128-bit SIMD and no FMA, so a convolution
 * there reaches ~36 GFLOP/s on this machine's cores, where native code with AVX-512 (PyTorch,
 * ONNX Runtime's MLAS) reaches ~180 (BENCHMARKS.md); tfjs' native backend (tfjs-node) downloads
 * libtensorflow at install time, which fails offline. onnxruntime-node ships its CPU library
 * inside the npm package. Training stays on TensorFlow.js (ONNX Runtime for Node cannot train).
 */
import { availableParallelism } from 'node:os';
import { UserError } from '../errors.js';

export interface OnnxSession {
  run(feeds: Record<string, { data: Float32Array; dims: readonly number[] }>): Promise<Record<string, Float32Array>>;
  release(): Promise<void>;
}

export interface OnnxRuntime {
  /** e.g. "onnxruntime-node 1.30.0 (CPU, 2 threads)". */
  readonly version: string;
  createSession(model: Uint8Array): Promise<OnnxSession>;
}

interface OrtModule {
  env: { versions: { node?: string; common?: string } };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
  InferenceSession: {
    create(
      model: Uint8Array,
      options: { executionProviders: string[]; graphOptimizationLevel: 'all'; intraOpNumThreads: number; interOpNumThreads: number },
    ): Promise<{ run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>; release(): Promise<void> }>;
  };
}

let loading: Promise<OnnxRuntime | string> | undefined;

/**
 * Threads of one inference: PCONV_ONNX_THREADS if set (a positive integer), else one per core
 * (what ONNX Runtime picks itself, made explicit so that it is recorded with the results).
 */
export function onnxThreads(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.PCONV_ONNX_THREADS;
  if (value === undefined || value === '') return availableParallelism();
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1))
    throw new UserError('BAD_ENV', `PCONV_ONNX_THREADS must be a positive integer, not "${value}"`, {
      hint: 'Unset it (one thread per core) or set e.g. PCONV_ONNX_THREADS=1.',
    });
  return n;
}

/** Loads onnxruntime-node once; a string says why it is not available. */
export function loadOnnxRuntime(): Promise<OnnxRuntime | string> {
  loading ??= (async () => {
    const threads = onnxThreads();
    let ort: OrtModule;
    try {
      const module = (await import('onnxruntime-node')) as unknown as OrtModule & { default?: OrtModule };
      ort = module.InferenceSession ? module : (module.default as OrtModule);
    } catch (error) {
      return `onnxruntime-node did not load: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`;
    }
    return {
      version: `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common ?? '?'} (CPU, ${threads} thread${threads === 1 ? '' : 's'})`,
      async createSession(model) {
        const session = await ort.InferenceSession.create(model, {
          executionProviders: ['cpu'],
          graphOptimizationLevel: 'all',
          intraOpNumThreads: threads,
          interOpNumThreads: 1,
        });
        return {
          async run(feeds) {
            const tensors = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new ort.Tensor('float32', t.data, t.dims)]));
            const results = await session.run(tensors);
            return Object.fromEntries(Object.entries(results).map(([name, t]) => [name, t.data as Float32Array]));
          },
          release: () => session.release(),
        };
      },
    };
  })();
  return loading;
}
