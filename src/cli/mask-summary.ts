import type { MaskManifest } from '../protocol/mask-manifest.js';
import { formatTable } from './format-table.js';

/** A table of a mask set: masks per bin and border subset with their measured hole ratios. */
export function formatMaskSummary(manifest: MaskManifest, dir: string): string {
  const rows = manifest.counts.map(({ bin, border, count }) => {
    const ratios = manifest.masks.filter((m) => m.bin === bin && m.border === border).map((m) => m.holeRatio);
    const mean = ratios.reduce((a, b) => a + b, 0) / Math.max(1, ratios.length);
    return [bin, border, String(count), Math.min(...ratios).toFixed(3), mean.toFixed(3), Math.max(...ratios).toFixed(3)];
  });
  const skipped = manifest.skipped.length > 0 ? `\n${manifest.skipped.length} files skipped (listed in the manifest)` : '';
  const table = formatTable(['bin', 'border', 'masks', 'min ratio', 'mean', 'max'], rows);
  return `${manifest.masks.length} masks, ${manifest.width}x${manifest.height}, border margin ${manifest.borderMargin}px: ${dir}\n${table}${skipped}`;
}
