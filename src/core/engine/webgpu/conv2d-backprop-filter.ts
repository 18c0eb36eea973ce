import * as tf from '@tensorflow/tfjs';
import { replaceKernel } from '../shared/replace-kernel.js';
import type { WebgpuBackendLike, WebgpuProgram } from './program.js';

/**
 * Conv2DBackpropFilter (a convolution's filter gradient dW; the term is explained in
 * src/core/engine/README.md) for the webgpu backend as a tiled matrix product split over the
 * reduction.
 *
 * tfjs-backend-webgpu 4.22 computes each filter weight in one thread that loops over the whole
 * batch and image (B * OH * OW terms, up to a million at 512 px): few threads, long serial loops.
 * Measured on an H200 at 512 px batch 4 it was 747 of the 872 GPU milliseconds of a training step,
 * 345 ms of it for the last 3x3 67 -> 3 layer alone (docs/profile-webgpu.md).
 *
 * Here the gradient is the product dW[m, o] = sum over n of A[n, m] * dy[n, o], with
 * n = (b, i, j) the output positions, m = (kh, kw, c) the filter taps and A the image patches
 * (A[n, m] = x[b, i*s + kh - top, j*s + kw - left, c], zero outside the image), read in place: no
 * im2col buffer. Each workgroup computes one TM x TN tile of dW over one chunk of n (a K split), so
 * that thin layers still fill the GPU; a second pass sums the chunks. Accumulation is float32, in
 * a different order from the cpu backend: results agree to float32 rounding, not bitwise.
 */

/** Rows of n staged in workgroup memory per step of the product loop. */
const TILE_K = 16;
/** The workgroup is THREADS_PER_SIDE x THREADS_PER_SIDE threads; tiles are multiples of it. */
const THREADS_PER_SIDE = 16;
const THREADS = THREADS_PER_SIDE * THREADS_PER_SIDE;
/** Workgroups wanted in flight: enough for ~130 streaming multiprocessors several times over. */
const TARGET_WORKGROUPS = 1024;
/** Fewest reduction rows per split: below this the partial sums cost more than they save. */
const MIN_CHUNK = 256;

interface TileShape {
  /** Rows of dW (filter taps m) per workgroup tile; THREADS_PER_SIDE threads each compute TM / that. */
  readonly tm: number;
  /** Columns of dW (output channels o) per tile; THREADS_PER_SIDE threads each compute TN / that. */
  readonly tn: number;
}

/** Few output channels (the UNet's last layer has 3): narrow tiles waste less of the product. */
export function tileShapeFor(outChannels: number): TileShape {
  return outChannels <= 16 ? { tm: 128, tn: 16 } : { tm: 64, tn: 64 };
}

export interface SplitPlan {
  readonly splits: number;
  /** Reduction rows per split: a multiple of TILE_K. */
  readonly chunk: number;
}

/** How many chunks the reduction of n rows is cut into for `tiles` output tiles. */
export function splitPlan(rows: number, tiles: number): SplitPlan {
  const wanted = Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.floor(rows / MIN_CHUNK)));
  const chunk = Math.ceil(Math.ceil(rows / wanted) / TILE_K) * TILE_K;
  return { splits: Math.ceil(rows / chunk), chunk };
}

/** The tiled product: partial sums of dW per split, shape [splits, kh * kw * C, O]. */
class FilterGradPartialsProgram implements WebgpuProgram {
  readonly variableNames = ['x', 'dy'];
  readonly uniforms = 'pads : vec2<i32>, strides : vec2<i32>, filterDims : vec2<i32>, chunkSteps : i32,';
  readonly workgroupSize: [number, number, number] = [THREADS_PER_SIDE, THREADS_PER_SIDE, 1];
  readonly dispatchLayout = { x: [2], y: [1], z: [0] };
  readonly outputShape: number[];
  readonly dispatch: [number, number, number];
  readonly shaderKey: string;

  constructor(
    splits: number,
    taps: number,
    outChannels: number,
    private readonly tile: TileShape,
  ) {
    this.outputShape = [splits, taps, outChannels];
    this.dispatch = [Math.ceil(outChannels / tile.tn), Math.ceil(taps / tile.tm), splits];
    this.shaderKey = `pconvFilterGrad_${tile.tm}_${tile.tn}_${TILE_K}`;
  }

  getUserCode(): string {
    const { tm, tn } = this.tile;
    const rm = tm / THREADS_PER_SIDE;
    const rn = tn / THREADS_PER_SIDE;
    const side = THREADS_PER_SIDE;
    // The THREADS threads load a TILE_K x tm slab of A and a TILE_K x tn slab of dy per step; consecutive
    // threads take consecutive columns (consecutive channels: contiguous in NHWC memory).
    return `
      const TM = ${tm};
      const TN = ${tn};
      const TK = ${TILE_K};
      var<workgroup> tileA : array<array<f32, TM>, TK>;
      var<workgroup> tileB : array<array<f32, TN>, TK>;

      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let li = i32(localIndex);
        let tileCol = i32(workgroupId.x) * TN;
        let tileRow = i32(workgroupId.y) * TM;
        let split = i32(workgroupId.z);
        let taps = uniforms.outShape[1];
        let outChannels = uniforms.outShape[2];
        let inChannels = uniforms.xShape[3];
        let inHeight = uniforms.xShape[1];
        let inWidth = uniforms.xShape[2];
        let outWidth = uniforms.dyShape[2];
        let outArea = uniforms.dyShape[1] * outWidth;
        let rows = uniforms.dyShape[0] * outArea;
        let chunk = uniforms.chunkSteps * TK;
        let rowStart = split * chunk;
        let rowEnd = min(rows, rowStart + chunk);

        // This thread's column of A (a filter tap) is the same at every step: decode it once.
        let aCol = li % TM;
        let tap = tileRow + aCol;
        let tapValid = tap < taps;
        let channel = tap % inChannels;
        let position = tap / inChannels;
        let offsetY = position / uniforms.filterDims.y - uniforms.pads.x;
        let offsetX = position % uniforms.filterDims.y - uniforms.pads.y;
        let bCol = li % TN;
        let outChannel = tileCol + bCol;
        let outChannelValid = outChannel < outChannels;

        var acc : array<array<f32, ${rn}>, ${rm}>;
        for (var i = 0; i < ${rm}; i++) {
          for (var j = 0; j < ${rn}; j++) {
            acc[i][j] = 0.0;
          }
        }
        // The trip count comes from a uniform, so the barriers below are in uniform control flow;
        // rows past this split's end load zeros.
        for (var step = 0; step < uniforms.chunkSteps; step++) {
          let base = rowStart + step * TK;
          for (var r = li / TM; r < TK; r += ${THREADS / tm}) {
            let n = base + r;
            var value = 0.0;
            if (tapValid && n < rowEnd) {
              let b = n / outArea;
              let rest = n - b * outArea;
              let oy = rest / outWidth;
              let ox = rest - oy * outWidth;
              let iy = oy * uniforms.strides.x + offsetY;
              let ix = ox * uniforms.strides.y + offsetX;
              if (iy >= 0 && iy < inHeight && ix >= 0 && ix < inWidth) {
                value = x[((b * inHeight + iy) * inWidth + ix) * inChannels + channel];
              }
            }
            tileA[r][aCol] = value;
          }
          for (var r = li / TN; r < TK; r += ${THREADS / tn}) {
            let n = base + r;
            var value = 0.0;
            if (outChannelValid && n < rowEnd) {
              value = dy[n * outChannels + outChannel];
            }
            tileB[r][bCol] = value;
          }
          workgroupBarrier();
          for (var k = 0; k < TK; k++) {
            var a : array<f32, ${rm}>;
            for (var i = 0; i < ${rm}; i++) {
              a[i] = tileA[k][ty + ${side} * i];
            }
            for (var j = 0; j < ${rn}; j++) {
              let bValue = tileB[k][tx + ${side} * j];
              for (var i = 0; i < ${rm}; i++) {
                acc[i][j] = fma(a[i], bValue, acc[i][j]);
              }
            }
          }
          workgroupBarrier();
        }
        for (var i = 0; i < ${rm}; i++) {
          let row = tileRow + ty + ${side} * i;
          for (var j = 0; j < ${rn}; j++) {
            let col = tileCol + tx + ${side} * j;
            if (row < taps && col < outChannels) {
              result[(split * taps + row) * outChannels + col] = acc[i][j];
            }
          }
        }
      }
    `;
  }
}

/** Sums the splits' partial products into the filter gradient [kh, kw, C, O]. */
class SumSplitsProgram implements WebgpuProgram {
  readonly variableNames = ['partials'];
  readonly uniforms = 'splits : i32,';
  readonly workgroupSize: [number, number, number] = [256, 1, 1];
  readonly size = true;
  readonly dispatchLayout: { x: number[] };
  readonly outputShape: number[];
  readonly dispatch: [number, number, number];
  readonly shaderKey = 'pconvSumSplits';

  constructor(filterShape: readonly number[]) {
    this.outputShape = [...filterShape];
    this.dispatchLayout = { x: [0, 1, 2, 3] };
    const size = filterShape.reduce((a, b) => a * b, 1);
    this.dispatch = [Math.ceil(size / 256), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var sum = 0.0;
          for (var s = 0; s < uniforms.splits; s++) {
            sum += partials[s * uniforms.size + index];
          }
          result[index] = sum;
        }
      }
    `;
  }
}

/** The webgpu kernel: channels-last input, any stride, padding and rounding tfjs accepts. */
export function webgpuConv2dBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: WebgpuBackendLike; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  const backend = args.backend;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const [kh, kw, inChannels, outChannels] = attrs.filterShape;
  const taps = kh * kw * inChannels;
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const tile = tileShapeFor(outChannels);
  const { splits, chunk } = splitPlan(rows, Math.ceil(taps / tile.tm) * Math.ceil(outChannels / tile.tn));
  const partials = backend.runWebGPUProgram(new FilterGradPartialsProgram(splits, taps, outChannels, tile), [x, dy], 'float32', [
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [kh, kw] },
    { type: 'int32', data: [chunk / TILE_K] },
  ]);
  const summed = backend.runWebGPUProgram(new SumSplitsProgram(attrs.filterShape), [partials], 'float32', [{ type: 'int32', data: [splits] }]);
  backend.disposeData(partials.dataId);
  return summed;
}

let registered = false;

/** Registers the kernel for the webgpu backend (once); NCHW input still goes to tfjs' own. */
export function registerWebgpuConv2dBackpropFilter(): void {
  if (registered) return;
  const original = replaceKernel(
    'Conv2DBackpropFilter',
    'webgpu',
    (args) => {
      // tfjs always passes dataFormat; anything but NHWC (channels last) is tfjs' kernel's.
      if ((args.attrs as { dataFormat?: string } | undefined)?.dataFormat !== 'NHWC') return original.kernelFunc(args);
      return webgpuConv2dBackpropFilter(args as unknown as Parameters<typeof webgpuConv2dBackpropFilter>[0]);
    },
    'registerWebgpuConv2dBackpropFilter',
  );
  registered = true;
}
