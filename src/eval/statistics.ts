/** Summary of one metric over n values: mean, sample standard deviation and a 95% interval. */
export interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly std: number;
  /** mean -/+ t(0.975, n-1) * std / sqrt(n); equal to the mean when n < 2. */
  readonly ci95: readonly [number, number];
}

/** Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom; above 30 the normal 1.96 is within 4%. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tQuantile975(degrees: number): number {
  if (degrees < 1) return Number.NaN;
  if (degrees <= T975.length) return T975[degrees - 1] as number;
  // Cornish-Fisher style correction of the normal quantile, good to 1e-3 beyond 30 degrees.
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * degrees);
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: Number.NaN, std: Number.NaN, ci95: [Number.NaN, Number.NaN] };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, std: 0, ci95: [mean, mean] };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const std = Math.sqrt(variance);
  const half = (tQuantile975(n - 1) * std) / Math.sqrt(n);
  return { n, mean, std, ci95: [mean - half, mean + half] };
}

/** Paired differences a[i] - b[i] on the same (image, mask) pairs, summarised. */
export function pairedDifference(a: readonly number[], b: readonly number[]): Summary {
  if (a.length !== b.length) throw new RangeError(`pairedDifference: ${a.length} and ${b.length} values`);
  return summarize(a.map((v, i) => v - (b[i] as number)));
}
