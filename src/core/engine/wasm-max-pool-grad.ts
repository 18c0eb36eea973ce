import * as tf from '@tensorflow/tfjs';

/**
 * MaxPoolGrad for the wasm backend as one pass over the windows, in JavaScript on the heap.
 * tfjs-backend-wasm 4.22's own kernel searches, for every input pixel, every window that could
 * hold it: 42 ms for one 2x2 pool of the full loss's VGG16 at 64 px (12 x 64 x 64 x 64), ~3% of
 * a training step; this pass takes a few ms.
 *
 * Semantics are tfjs' cpu backend's (and PyTorch's): in each window the FIRST maximum in row-major
 * order (strictly greater replaces; NaN never does) receives the window's gradient; overlapping
 * windows add up. With ReLU features ties (zeros) are common, so the order matters; the tests
 * compare with the cpu backend on ties, overlaps and padding.
 */
export function maxPoolGradInto(dx: Float32Array, x: ArrayLike<number>, dy: ArrayLike<number>, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * inWidth * channels;
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(inHeight, y0 + filterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(inWidth, x0 + filterWidth);
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * channels;
        for (let c = 0; c < channels; c++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let y = yStart; y < yEnd; y++) {
            for (let xx = xStart; xx < xEnd; xx++) {
              const index = xBatch + (y * inWidth + xx) * channels + c;
              const value = x[index] as number;
              if (value > best) {
                best = value;
                at = index;
              }
            }
          }
          if (at >= 0) dx[at] = (dx[at] as number) + (dy[dyBase + c] as number);
        }
      }
    }
  }
}

let registered = false;

/**
 * Replaces the wasm backend's MaxPoolGrad (once) for float32, dilation 1 (the only dilation
 * tfjs' maxPool gradient supports); call before tf.setBackend('wasm').
 */
export function registerWasmMaxPoolGrad(): void {
  if (registered) return;
  const original = tf.getKernel(tf.MaxPoolGrad, 'wasm');
  if (!original) throw new Error('registerWasmMaxPoolGrad: import @tensorflow/tfjs-backend-wasm first');
  registered = true;
  tf.unregisterKernel(tf.MaxPoolGrad, 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: (params) => {
      const { dy, input } = params.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
      if (dy.dtype !== 'float32' || input.dtype !== 'float32') return original.kernelFunc(params);
      const { filterSize, strides, pad, dimRoundingMode } = params.attrs as unknown as tf.MaxPoolGradAttrs;
      const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
      const wasm = params.backend as unknown as {
        makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
        typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
      };
      const out = wasm.makeOutput([...input.shape], 'float32');
      // Views after makeOutput: an allocation may grow the heap and detach older ones.
      maxPoolGradInto(wasm.typedArrayFromHeap(out), wasm.typedArrayFromHeap(input), wasm.typedArrayFromHeap(dy), info);
      return out;
    },
  });
}
