/**
 * Hole-ratio bins. The paper's bins are half-open (lo, hi]; LaMa's are [lo, hi). The rule is a
 * config choice and every label shows which one is in force.
 */
export type BinRule = '(lo,hi]' | '[lo,hi)';

export interface Bin {
  readonly lo: number;
  readonly hi: number;
}

export const PAPER_BIN_EDGES = [0.01, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6] as const;

export function binsFromEdges(edges: readonly number[]): Bin[] {
  const bins: Bin[] = [];
  for (let i = 0; i + 1 < edges.length; i++) bins.push({ lo: edges[i] as number, hi: edges[i + 1] as number });
  return bins;
}

export function inBin(ratio: number, bin: Bin, rule: BinRule): boolean {
  return rule === '(lo,hi]' ? ratio > bin.lo && ratio <= bin.hi : ratio >= bin.lo && ratio < bin.hi;
}

/** Index of the bin that holds the ratio, or -1. */
export function findBin(ratio: number, bins: readonly Bin[], rule: BinRule): number {
  return bins.findIndex((bin) => inBin(ratio, bin, rule));
}

export function binLabel(bin: Bin, rule: BinRule): string {
  const [open, close] = rule === '(lo,hi]' ? ['(', ']'] : ['[', ')'];
  return `${open}${bin.lo}, ${bin.hi}${close}`;
}

/** A folder-safe name for a bin, e.g. "0.10-0.20". */
export function binDirName(bin: Bin): string {
  return `${bin.lo.toFixed(2)}-${bin.hi.toFixed(2)}`;
}

/**
 * The smallest and largest number of hole pixels, out of `total`, whose ratio lies in the bin, or
 * undefined when no count does (a bin narrower than one pixel). Counts avoid float drift at edges.
 */
export function holeCountRange(bin: Bin, rule: BinRule, total: number): { min: number; max: number } | undefined {
  let min = Math.max(0, Math.floor(bin.lo * total) - 1);
  while (min <= total && !inBin(min / total, bin, rule)) min++;
  if (min > total) return undefined;
  let max = Math.min(total, Math.ceil(bin.hi * total) + 1);
  while (max >= min && !inBin(max / total, bin, rule)) max--;
  return max >= min ? { min, max } : undefined;
}

/**
 * Problems with a list of bins as "message" strings: each bound in [0, 1] with lo < hi, the bins
 * sorted and not overlapping. Touching bins (one's hi is the next one's lo) are fine.
 */
export function binProblems(bins: readonly Bin[]): { index: number; message: string }[] {
  const problems: { index: number; message: string }[] = [];
  bins.forEach((bin, index) => {
    if (!(bin.lo >= 0 && bin.hi <= 1)) problems.push({ index, message: `bin [${bin.lo}, ${bin.hi}] lies outside (0, 1]; hole ratios are fractions` });
    else if (!(bin.lo < bin.hi)) problems.push({ index, message: `bin [${bin.lo}, ${bin.hi}] is empty: lo must be below hi` });
    const previous = bins[index - 1];
    if (previous && bin.lo < previous.hi) {
      problems.push({
        index,
        message: `bin [${bin.lo}, ${bin.hi}] overlaps or precedes bin ${index - 1} [${previous.lo}, ${previous.hi}]; list bins in increasing, non-overlapping order`,
      });
    }
  });
  return problems;
}
