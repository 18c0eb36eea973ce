import type * as tf from '@tensorflow/tfjs';

/**
 * The parts of tfjs-backend-webgpu's program interface that our kernels use. The package is an
 * optional dependency, so its types are restated here instead of imported: the shader source from
 * getUserCode is appended to a header the backend writes (bindings `result` and one per
 * variableName, a `uniforms` struct with each input's and the output's shape plus `uniforms`
 * below, and the builtins localId, localIndex, workgroupId, globalId).
 */
export interface WebgpuProgram {
  readonly variableNames: string[];
  readonly uniforms?: string;
  readonly workgroupSize: [number, number, number];
  readonly dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  readonly dispatch: [number, number, number];
  readonly outputShape: number[];
  readonly shaderKey: string;
  /** Adds `size : i32` (the output's element count) to the uniforms and calls main(index). */
  readonly size?: boolean;
  getUserCode(): string;
}

export interface WebgpuBackendLike {
  runWebGPUProgram(program: WebgpuProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms?: { type: string; data: number[] }[]): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}
