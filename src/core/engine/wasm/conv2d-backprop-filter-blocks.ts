import { type FilterGradientTile, MAX_INPUT_CHANNELS_PER_TILE, MAX_OUTPUT_VECTORS_PER_TILE, tileIndex } from './simd/conv2d-backprop-filter.js';

/**
 * A convolution's filter gradient (tfjs' kernel Conv2DBackpropFilter; wasm/conv2d-backprop-filter.ts
 * explains the term and registers the kernel) cut into blocks for the SIMD tile functions
 * (wasm/simd/conv2d-backprop-filter.ts). Pure arithmetic on byte addresses (no tfjs, no
 * allocation): the calls it emits are made on the main thread, or recorded for a helper thread
 * that shares the wasm heap (wasm/call-helper.ts).
 */

/** Shapes and byte addresses on the heap of one NHWC filter gradient (dilation 1). */
export interface FilterGradientJob {
  /** x [batch, inHeight, inWidth, inChannels], dy [batch, outHeight, outWidth, outChannels], out [filterHeight, filterWidth, inChannels, outChannels] zeroed; outChannels a multiple of 4. */
  readonly x: number;
  readonly dy: number;
  readonly out: number;
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly outChannels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/**
 * Cache blocking, in bytes. A block of output positions holds ~16 KiB of dy (64 positions at 64
 * output channels, 8 at 512), which stays in L1 while every tile of a channel chunk runs over it;
 * a chunk of input channels holds ~128 KiB of the tap's gradient, which stays in L2 over all
 * blocks. Chosen on this machine (AMD EPYC, 32 KiB L1d, 1 MiB L2) from blocks of 8-32 KiB and
 * chunks of 64 KiB to whole on the UNet's layer shapes, one thread (scratch measurements, noisy:
 * +-30% between runs): 16 KiB / 128 KiB was never far from the best of any shape. Before blocks
 * were sized in bytes, a fixed 256 positions per block (512 KiB of dy at 512 outputs) ran the
 * 4x8x8x1024 -> 512 gradient at half the speed of a fixed 64 positions.
 */
const BLOCK_BYTES = 16384;
const CHUNK_BYTES = 131072;

/**
 * The output positions i in [0, outSize) whose input index i * stride + tap - pad lies in
 * [0, inSize): [first, end).
 */
export function validRange(outSize: number, inSize: number, stride: number, tap: number, pad: number): [number, number] {
  const first = Math.max(0, Math.ceil((pad - tap) / stride));
  const end = Math.min(outSize, Math.floor((inSize - 1 + pad - tap) / stride) + 1);
  return [first, Math.max(first, end)];
}

/**
 * Receives one call of a tile function: its tileIndex, then its 13 arguments (see
 * wasm/simd/conv2d-backprop-filter.ts). Either makes the call or records it for a helper thread.
 */
export type TileCallSink = (tile: number, ...args: Parameters<FilterGradientTile>) => void;

/**
 * The calls that add the gradient of input channels [channelBegin, channelEnd) over every tap and
 * every output position to job.out. Calls for disjoint channel ranges write disjoint parts of
 * job.out, so threads may make them at once.
 */
export function filterGradientCalls(job: FilterGradientJob, channelBegin: number, channelEnd: number, sink: TileCallSink): void {
  if (job.outChannels % 4 !== 0) throw new RangeError(`filterGradientCalls: output channels come in vectors of 4, not ${job.outChannels}`);
  const chunk = Math.max(
    MAX_INPUT_CHANNELS_PER_TILE,
    Math.floor(CHUNK_BYTES / (job.outChannels * 4 * MAX_INPUT_CHANNELS_PER_TILE)) * MAX_INPUT_CHANNELS_PER_TILE,
  );
  for (let c = channelBegin; c < channelEnd; c += chunk) channelChunkCalls(job, c, Math.min(channelEnd, c + chunk), sink);
}

/** The tiles that cover channels [channelBegin, channelEnd) and every output channel: the widest, then one narrower for what is left of each. */
function tilesOf(channelBegin: number, channelEnd: number, outChannels: number) {
  const widest = MAX_INPUT_CHANNELS_PER_TILE;
  const channelSplit = channelBegin + Math.floor((channelEnd - channelBegin) / widest) * widest;
  const outVectors = outChannels / 4;
  const outputSplit = Math.floor(outVectors / MAX_OUTPUT_VECTORS_PER_TILE) * MAX_OUTPUT_VECTORS_PER_TILE;
  const tiles: [tile: number, cBegin: number, cEnd: number, oBegin: number, oEnd: number][] = [];
  for (const [cBegin, cEnd] of [
    [channelBegin, channelSplit],
    [channelSplit, channelEnd],
  ] as const) {
    for (const [oBegin, oEnd] of [
      [0, outputSplit],
      [outputSplit, outVectors],
    ] as const) {
      if (cEnd <= cBegin || oEnd <= oBegin) continue;
      const tile = tileIndex(Math.min(widest, cEnd - cBegin), Math.min(MAX_OUTPUT_VECTORS_PER_TILE, oEnd - oBegin));
      tiles.push([tile, cBegin * 4, cEnd * 4, oBegin * 16, oEnd * 16]);
    }
  }
  return tiles;
}

function channelChunkCalls(job: FilterGradientJob, channelBegin: number, channelEnd: number, sink: TileCallSink): void {
  const { inChannels: C, outChannels: O } = job;
  const outRow = O * 4;
  const tiles = tilesOf(channelBegin, channelEnd, O);
  const xPixel = C * 4;
  const xColStep = job.strideWidth * xPixel;
  const xRowStep = job.strideHeight * job.inWidth * xPixel;
  const dyRowStep = job.outWidth * outRow;
  const blockPositions = Math.max(1, Math.floor(BLOCK_BYTES / outRow));
  for (let ky = 0; ky < job.filterHeight; ky++) {
    const [oy0, oy1] = validRange(job.outHeight, job.inHeight, job.strideHeight, ky, job.padTop);
    for (let kx = 0; kx < job.filterWidth; kx++) {
      const [ox0, ox1] = validRange(job.outWidth, job.inWidth, job.strideWidth, kx, job.padLeft);
      const cols = ox1 - ox0;
      if (oy1 <= oy0 || cols === 0) continue;
      const out = job.out + (ky * job.filterWidth + kx) * C * outRow;
      const rowsPerBlock = Math.max(1, Math.floor(blockPositions / cols));
      const ix0 = ox0 * job.strideWidth + kx - job.padLeft;
      for (let b = 0; b < job.batch; b++) {
        for (let oy = oy0; oy < oy1; oy += rowsPerBlock) {
          const rows = Math.min(rowsPerBlock, oy1 - oy);
          const iy = oy * job.strideHeight + ky - job.padTop;
          const x = job.x + ((b * job.inHeight + iy) * job.inWidth + ix0) * xPixel;
          const dy = job.dy + ((b * job.outHeight + oy) * job.outWidth + ox0) * outRow;
          for (const [tile, cBegin, cEnd, oBegin, oEnd] of tiles)
            sink(tile, x, dy, out, rows, cols, xColStep, xRowStep, dyRowStep, outRow, cBegin, cEnd, oBegin, oEnd);
        }
      }
    }
  }
}
