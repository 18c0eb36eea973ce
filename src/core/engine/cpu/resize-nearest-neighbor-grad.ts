import * as tf from '@tensorflow/tfjs';
import { replaceKernel } from '../shared/replace-kernel.js';
import { resizeNearestNeighborGradInto } from '../shared/resize-nearest-neighbor-grad.js';

/**
 * ResizeNearestNeighborGrad for the cpu backend: tfjs-backend-cpu 4.22's reads dy at the wrong
 * batch offset, so every sample after the first got the wrong gradient. The loop this kernel runs,
 * and how the original goes wrong, are in shared/resize-nearest-neighbor-grad.ts.
 */

let registered = false;

/** Replaces the cpu backend's ResizeNearestNeighborGrad (once). */
export function registerCpuResizeNearestNeighborGrad(): void {
  if (registered) return;
  registered = true;
  replaceKernel(
    tf.ResizeNearestNeighborGrad,
    'cpu',
    ({ inputs, attrs, backend }) => {
      const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
      const cpu = backend as unknown as {
        data: { get(id: tf.DataId): { values: ArrayLike<number> } };
        makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
      };
      const output = new Float32Array(images.shape.reduce((a, b) => a * b, 1));
      resizeNearestNeighborGradInto(
        output,
        cpu.data.get(dy.dataId).values,
        images.shape,
        dy.shape,
        (attrs as unknown as tf.ResizeNearestNeighborGradAttrs).alignCorners,
      );
      return cpu.makeTensorInfo(images.shape, 'float32', output);
    },
    'registerCpuResizeNearestNeighborGrad',
  );
}
