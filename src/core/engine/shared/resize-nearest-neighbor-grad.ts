/**
 * ResizeNearestNeighborGrad (the gradient of the UNet's nearest upsampling) as one scatter pass
 * over dy, the loop shared by the cpu kernel (cpu/resize-nearest-neighbor-grad.ts) and the wasm one
 * (wasm/resize-nearest-neighbor-grad.ts). Why both backends get one:
 *
 * cpu: tfjs-backend-cpu 4.22's kernel reads dy at the batch offset of the (smaller) input image,
 * b * H * W * C instead of b * H' * W' * C, so every sample after the first gets the gradient of
 * the wrong pixels and the UNet trains on garbage at batch > 1 (found comparing a training step
 * with wasm; test/core/engine/shared/resize-nearest-neighbor-grad.test.ts has the known answer).
 * wasm: its kernel is right but searches a window of dy for every input pixel; this one costs one
 * pass over dy (about 3% of a 128 px training step before), each dy row added by a wasm SIMD loop
 * where the channels come in vectors of 4 (wasm/simd/scatter-add.ts; ~5x the JavaScript loop on the
 * shared heap).
 *
 * The rule is the forward pass's and the original kernels' (source row = floor(y * scale), or
 * round with alignCorners; halfPixelCenters is ignored there too), as a scatter over dy: each dy
 * pixel adds to the input pixel it was copied from, in row-major order of dy, the order in which
 * the originals' window search adds them up.
 */
export function resizeNearestNeighborGradInto(
  output: Float32Array,
  dyValues: ArrayLike<number>,
  imagesShape: readonly number[],
  dyShape: readonly number[],
  alignCorners: boolean,
  rowAdder?: (sourceCols: Int32Array) => ((row: number, from: number) => void) | null,
): void {
  const [batch, xHeight, xWidth, depth] = imagesShape as [number, number, number, number];
  const [, yHeight, yWidth] = dyShape as [number, number, number, number];
  const scale = (x: number, y: number) => (alignCorners && y > 1 ? x - 1 : x) / (alignCorners && y > 1 ? y - 1 : y);
  const [heightScale, widthScale] = [scale(xHeight, yHeight), scale(xWidth, yWidth)];
  const source = (position: number, s: number, size: number) => Math.min(size - 1, alignCorners ? Math.round(position * s) : Math.floor(position * s));
  const sourceCols = Int32Array.from({ length: yWidth }, (_, x) => source(x, widthScale, xWidth) * depth);
  output.fill(0);
  // The caller's loop for one dy row (a wasm one, wasm/simd/scatter-add.ts), same adds in the same order.
  const addRow = rowAdder?.(sourceCols);
  let from = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < yHeight; y++) {
      const row = (b * xHeight + source(y, heightScale, xHeight)) * xWidth * depth;
      if (addRow) {
        addRow(row, from);
        from += yWidth * depth;
        continue;
      }
      for (let x = 0; x < yWidth; x++) {
        const to = row + (sourceCols[x] as number);
        for (let d = 0; d < depth; d++) output[to + d] = (output[to + d] as number) + (dyValues[from + d] as number);
        from += depth;
      }
    }
  }
}
