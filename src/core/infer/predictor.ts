import * as tf from '@tensorflow/tfjs';
import { activeBackendCapabilities } from '../engine/backend.js';
import { loadOnnxRuntime } from '../engine/onnx-runtime.js';
import { UserError } from '../errors.js';
import { fillPixelOf, modelInputs } from '../model/model-inputs.js';
import type { InpaintingUNet, ModelKind } from '../model/unet.js';
import { ONNX_INPUTS, ONNX_OUTPUT, unetToOnnx } from '../onnx/unet-to-onnx.js';

/**
 * Which engine runs inference. auto: ONNX Runtime when TensorFlow.js runs on a portable CPU
 * backend (BackendCapabilities.portableCpu: wasm, cpu) and onnxruntime-node loads, else
 * TensorFlow.js itself (tensorflow and webgpu are native already). Training always runs on
 * TensorFlow.js.
 */
export type InferenceEngineRequest = 'auto' | 'tfjs' | 'onnx';

/** A trained network's inference: images and masks in, the prediction clipped to [0, 1] out. */
export interface Predictor {
  /** What runs it, in words (recorded with results). */
  readonly engine: string;
  /** Why auto did not take ONNX Runtime, if it did not. */
  readonly notes: readonly string[];
  /**
   * images [count, size, size, 3] on [0, 1], masks [count, size, size, 1] with 1 = valid;
   * returns [count, size, size, 3]: the raw prediction (holes and known pixels) clipped to [0, 1].
   */
  predict(images: Float32Array, masks: Float32Array, count: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface PredictorOptions {
  readonly kind: ModelKind;
  readonly size: number;
  readonly baselineFill: 'mean-pixel' | 'grey';
  readonly engine: InferenceEngineRequest;
}

/**
 * The network's weights are copied into an ONNX model: later changes to `net` are not seen. In
 * auto mode anything that keeps ONNX Runtime from running this network (not installed, a graph it
 * refuses) falls back to TensorFlow.js with a note; asked for explicitly, it is an error.
 */
export async function createPredictor(net: InpaintingUNet, options: PredictorOptions): Promise<Predictor> {
  const notes: string[] = [];
  if (options.engine === 'onnx' || (options.engine === 'auto' && activeBackendCapabilities().portableCpu)) {
    const outcome = await onnxPredictor(net, options);
    if (typeof outcome !== 'string') return outcome;
    if (options.engine === 'onnx')
      throw new UserError('ONNX_UNAVAILABLE', `--inference onnx: ${outcome}`, {
        hint: 'Reinstall with npm ci (onnxruntime-node is a dependency; its CPU library is inside the package), or pass --inference tfjs.',
      });
    notes.push(`inference on TensorFlow.js ${tf.getBackend()}: ${outcome}`);
  }
  return tfjsPredictor(net, options, notes);
}

/** ONNX Runtime running the exported network, or why it cannot. */
async function onnxPredictor(net: InpaintingUNet, options: PredictorOptions): Promise<Predictor | string> {
  const runtime = await loadOnnxRuntime();
  if (typeof runtime === 'string') return runtime;
  let session: Awaited<ReturnType<typeof runtime.createSession>>;
  try {
    session = await runtime.createSession(unetToOnnx(net, { size: options.size, fillPixel: fillPixelOf(options.baselineFill) }));
  } catch (error) {
    return `ONNX Runtime did not take the network: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`;
  }
  const { size } = options;
  return {
    engine: runtime.version,
    notes: [],
    async predict(images, masks, count) {
      const out = await session.run({
        [ONNX_INPUTS.images]: { data: images, dims: [count, size, size, 3] },
        [ONNX_INPUTS.masks]: { data: masks, dims: [count, size, size, 1] },
      });
      return out[ONNX_OUTPUT] as Float32Array;
    },
    dispose: () => session.release(),
  };
}

function tfjsPredictor(net: InpaintingUNet, options: PredictorOptions, notes: string[]): Predictor {
  const { size, kind } = options;
  return {
    engine: `TensorFlow.js ${tf.getBackend()}`,
    notes,
    async predict(images, masks, count) {
      const out = tf.tidy(() => {
        const x = tf.tensor4d(images, [count, size, size, 3]);
        const m = tf.tensor4d(masks, [count, size, size, 1]);
        // The network knows whether it was built with the baseline's mask channel.
        const { input, mask } = modelInputs(kind, x, m, { baselineFill: options.baselineFill, baselineMaskChannel: net.args.maskChannel === true });
        return tf.clipByValue(net.predict(input, mask, false), 0, 1);
      });
      const data = (await out.data()) as Float32Array;
      out.dispose();
      return data;
    },
    dispose: async () => {},
  };
}
