import type { MaskManifest } from '../protocol/mask-manifest.js';

/** A table of a mask set: masks per bin and border subset with their measured hole ratios. */
export function formatMaskSummary(manifest: MaskManifest, dir: string): string {
  const rows = manifest.counts.map(({ bin, border, count }) => {
    const ratios = manifest.masks.filter((m) => m.bin === bin && m.border === border).map((m) => m.holeRatio);
    const mean = ratios.reduce((a, b) => a + b, 0) / Math.max(1, ratios.length);
    return [bin, border, String(count), Math.min(...ratios).toFixed(3), mean.toFixed(3), Math.max(...ratios).toFixed(3)];
  });
  const header = ['bin', 'border', 'masks', 'min ratio', 'mean', 'max'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  const skipped = manifest.skipped.length > 0 ? `\n${manifest.skipped.length} files skipped (listed in the manifest)` : '';
  return (
    [
      `${manifest.masks.length} masks, ${manifest.width}x${manifest.height}, border margin ${manifest.borderMargin}px: ${dir}`,
      line(header),
      ...rows.map(line),
    ].join('\n') + skipped
  );
}
