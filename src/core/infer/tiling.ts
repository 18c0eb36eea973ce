/**
 * Tiles for inpainting an image of any size with a model trained on `tile` x `tile` crops.
 * Tiles overlap by half; each pixel's result is the weighted mean of the tiles that cover it,
 * with weights that fall smoothly to a small floor at tile edges (a raised cosine). Because the
 * weights are normalised per pixel, tiles that agree give exactly their common value: no seams
 * are made by the blending itself.
 */
export function tileStarts(length: number, tile: number): number[] {
  if (length <= tile) return [0];
  const stride = Math.max(1, Math.floor(tile / 2));
  const starts: number[] = [];
  for (let s = 0; s + tile < length; s += stride) starts.push(s);
  starts.push(length - tile);
  return starts;
}

/** Blend weight of a position inside a tile: raised cosine, never 0 so image borders stay covered. */
export function tileWeight(position: number, tile: number): number {
  const t = (position + 0.5) / tile;
  return 0.01 + Math.sin(Math.PI * t) ** 2;
}

export interface TileRequest {
  readonly x: number;
  readonly y: number;
  /** tile x tile x 3 pixels in [0, 1] (zero-padded past the image edge). */
  readonly image: Float32Array;
  /** tile x tile, 1 = valid (0 past the image edge). */
  readonly mask: Float32Array;
}

/**
 * Runs `predict` on overlapping tiles and blends the results into a width x height x 3 image.
 * Images smaller than a tile are padded (the padding counts as hole, so it never leaks in).
 */
export async function inpaintTiled(
  image: Float32Array,
  mask: Float32Array,
  width: number,
  height: number,
  tile: number,
  predict: (tiles: TileRequest[]) => Promise<Float32Array[]>,
  batchSize = 4,
): Promise<Float32Array> {
  const sum = new Float32Array(width * height * 3);
  const weightSum = new Float32Array(width * height);
  const requests: TileRequest[] = [];
  for (const y of tileStarts(height, tile)) {
    for (const x of tileStarts(width, tile)) {
      const tileImage = new Float32Array(tile * tile * 3);
      const tileMask = new Float32Array(tile * tile);
      for (let ty = 0; ty < tile && y + ty < height; ty++) {
        for (let tx = 0; tx < tile && x + tx < width; tx++) {
          const src = (y + ty) * width + (x + tx);
          const dst = ty * tile + tx;
          tileMask[dst] = mask[src] as number;
          for (let c = 0; c < 3; c++) tileImage[dst * 3 + c] = image[src * 3 + c] as number;
        }
      }
      requests.push({ x, y, image: tileImage, mask: tileMask });
    }
  }
  for (let i = 0; i < requests.length; i += batchSize) {
    const chunk = requests.slice(i, i + batchSize);
    const outputs = await predict(chunk);
    chunk.forEach((request, k) => {
      const out = outputs[k] as Float32Array;
      for (let ty = 0; ty < tile && request.y + ty < height; ty++) {
        const wy = tileWeight(ty, tile);
        for (let tx = 0; tx < tile && request.x + tx < width; tx++) {
          const w = wy * tileWeight(tx, tile);
          const dst = (request.y + ty) * width + (request.x + tx);
          weightSum[dst] = (weightSum[dst] as number) + w;
          for (let c = 0; c < 3; c++) sum[dst * 3 + c] = (sum[dst * 3 + c] as number) + w * (out[(ty * tile + tx) * 3 + c] as number);
        }
      }
    });
  }
  const result = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const w = weightSum[p] as number;
    for (let c = 0; c < 3; c++) result[p * 3 + c] = (sum[p * 3 + c] as number) / w;
  }
  return result;
}
