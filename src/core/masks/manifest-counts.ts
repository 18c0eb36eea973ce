import type { MaskEntry, MaskManifest } from '../../protocol/mask-manifest.js';

/** Masks per bin and border subset, in bin order then "no-border" before "border". */
export function countMasks(entries: readonly MaskEntry[]): MaskManifest['counts'] {
  const rows = new Map<string, MaskManifest['counts'][number] & { binIndex: number }>();
  for (const entry of entries) {
    const key = `${entry.binIndex}|${entry.border}`;
    const row = rows.get(key) ?? { bin: entry.bin, binIndex: entry.binIndex, border: entry.border, count: 0 };
    row.count++;
    rows.set(key, row);
  }
  return [...rows.values()]
    .sort((a, b) => a.binIndex - b.binIndex || (a.border === b.border ? 0 : a.border === 'no-border' ? -1 : 1))
    .map(({ bin, border, count }) => ({ bin, border, count }));
}
