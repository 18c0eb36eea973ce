/**
 * max |a - b| / max(max |b|, floor): 0 when both agree exactly, infinite for a NaN, a length
 * mismatch, or a difference where b and the floor are all zero.
 */
export function maxRelativeDifference(a: Float32Array, b: Float32Array, floor = 0): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (Number.isNaN(d)) return Number.POSITIVE_INFINITY;
    diff = Math.max(diff, d);
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  if (diff === 0) return 0;
  return scale === 0 ? Number.POSITIVE_INFINITY : diff / scale;
}
