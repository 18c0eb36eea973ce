/**
 * The border margin of the test masks: a mask is "no-border" when no hole pixel lies within this
 * many px of the image edge. The paper (Liu et al. 2018, section 4, "Irregular Mask Dataset") splits
 * its 512x512 test masks into masks with and without holes close to the border, the second split
 * keeping every hole at least 50 px from the edge (docs/science.md, "Test masks: border subsets").
 * Pure arithmetic, no I/O: the report and the VS Code extension use it too.
 */
export const PAPER_BORDER_MARGIN = { px: 50, imageSize: 512 } as const;

/** The paper's margin scaled to a square image of `imageSize` px: round(50 * imageSize / 512), at least 1. */
export function paperBorderMargin(imageSize: number): number {
  return Math.max(1, Math.round((PAPER_BORDER_MARGIN.px * imageSize) / PAPER_BORDER_MARGIN.imageSize));
}

/**
 * Where a margin stands against the paper's rule, in words for the report, e.g. "the paper's 50 px at
 * 512 px scaled to 64 px: round(50 x 64 / 512) = 6" or "not the paper's rule, which gives 6 px at 64 px".
 */
export function borderMarginRule(margin: number, imageSize: number): string {
  const { px, imageSize: paperSize } = PAPER_BORDER_MARGIN;
  const scaled = paperBorderMargin(imageSize);
  if (margin !== scaled) return `set in the config; the paper's rule (${px} px at ${paperSize} px, scaled) gives ${scaled} px at ${imageSize} px`;
  if (imageSize === paperSize) return `the paper's ${px} px at ${paperSize} px`;
  return `the paper's ${px} px at ${paperSize} px scaled to ${imageSize} px: max(1, round(${px} x ${imageSize} / ${paperSize})) = ${scaled}`;
}
