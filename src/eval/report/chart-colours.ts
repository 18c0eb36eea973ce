/**
 * The colours of pconv-bench's charts (the run report's, the comparison's): matplotlib's ten
 * "tab10" colours, so that the first models look as they do in matplotlib figures of the same data.
 * No imports: the VS Code extension renders the report with it too.
 */
export const CHART_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'] as const;

/** The colour of the i-th series; past ten they repeat. */
export function chartColour(index: number): string {
  return CHART_COLOURS[index % CHART_COLOURS.length] as string;
}

/** A #rrggbb colour as rgba() with the given opacity (a translucent fill of a series' colour). */
export function withAlpha(hex: string, alpha: number): string {
  const value = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}
