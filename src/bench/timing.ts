import type { Timing } from '../protocol/bench.js';

/** Median, range and every sample of repeated timings (ms). The median resists one slow repeat on a busy machine. */
export function summarizeTimings(samples: readonly number[]): Timing {
  if (samples.length === 0) throw new RangeError('summarizeTimings: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted.at(-1) as number, samples: [...samples] };
}
