import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, type AdamScalars } from '../shared/adam-update.js';
import type { WebgpuBackendLike, WebgpuProgram } from './program.js';

type Output = 'm' | 'v' | 'w';

const INPUTS: Readonly<Record<Output, string[]>> = { m: ['m', 'g'], v: ['v', 'g'], w: ['w', 'g', 'm', 'v'] };

/**
 * The fused Adam step (PconvAdamUpdate, shared/adam-update.ts) for the webgpu backend: three
 * elementwise passes (m', v', then w' from the same inputs) with the step's constants as uniforms.
 * The tf-op form is 14 kernels per weight tensor, each number a scalar tensor uploaded to the GPU
 * (8 per weight): at 512 px the UNet's ~60 weight tensors made ~840 dispatches and ~480 uploads per
 * training step. With this kernel a 512 px step on an H200 went from 915 to 760 ms (same run,
 * docs/profile-webgpu.md).
 * Same formula as the tf ops in float32; the GPU compiler may contract a*b + c into one fused
 * multiply-add, so results agree to float32 rounding rather than bit for bit.
 */
class AdamPassProgram implements WebgpuProgram {
  readonly variableNames: string[];
  readonly uniforms =
    'beta1 : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32, correction1 : f32, correction2 : f32, epsilon : f32, learningRate : f32,';
  readonly workgroupSize: [number, number, number] = [256, 1, 1];
  readonly size = true;
  readonly dispatchLayout: { x: number[] };
  readonly outputShape: number[];
  readonly dispatch: [number, number, number];
  readonly shaderKey: string;

  constructor(
    private readonly output: Output,
    shape: readonly number[],
  ) {
    this.variableNames = INPUTS[output];
    this.outputShape = [...shape];
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    const size = shape.reduce((a, b) => a * b, 1);
    // The UNet's largest weight (3x3x1024x512) needs 18,432 workgroups, under WebGPU's 65,535 per
    // dimension; tfjs would fold a larger count into y and z (its reshapeDispatch) anyway.
    this.dispatch = [Math.max(1, Math.ceil(size / 256)), 1, 1];
    this.shaderKey = `pconvAdam_${output}`;
  }

  getUserCode(): string {
    const m1 = 'm[index] * uniforms.beta1 + g[index] * uniforms.oneMinusBeta1';
    const v1 = 'v[index] * uniforms.beta2 + (g[index] * g[index]) * uniforms.oneMinusBeta2';
    const body = {
      m: `result[index] = ${m1};`,
      v: `result[index] = ${v1};`,
      w: `let m1 = ${m1};
          let v1 = ${v1};
          let step = (m1 / uniforms.correction1) / (sqrt(v1 / uniforms.correction2) + uniforms.epsilon);
          result[index] = w[index] - step * uniforms.learningRate;`,
    }[this.output];
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }
    `;
  }
}

function webgpuAdamUpdate(args: { inputs: tf.NamedTensorInfoMap; backend: WebgpuBackendLike; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const inputs = args.inputs as Record<'w' | 'g' | 'm' | 'v', tf.TensorInfo>;
  const s = args.attrs as unknown as AdamScalars;
  const uniforms = [s.beta1, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.correction1, s.correction2, s.epsilon, s.learningRate].map((value) => ({
    type: 'float32',
    data: [value],
  }));
  const run = (output: Output) =>
    args.backend.runWebGPUProgram(
      new AdamPassProgram(output, inputs.w.shape),
      INPUTS[output].map((name) => inputs[name as keyof typeof inputs]),
      'float32',
      uniforms,
    );
  return [run('w'), run('m'), run('v')];
}

let registered = false;

/** Registers PconvAdamUpdate for the webgpu backend (once). */
export function registerWebgpuAdamUpdate(): void {
  if (registered) return;
  tf.registerKernel({ kernelName: ADAM_UPDATE, backendName: 'webgpu', kernelFunc: webgpuAdamUpdate as unknown as tf.KernelFunc });
  registered = true;
}
