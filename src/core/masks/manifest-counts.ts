import type { MaskEntry, MaskManifest } from '../../protocol/mask-manifest.js';
import type { BorderSubset } from './mask-image.js';

/** The order every table and list of bins uses: bin by bin, "no-border" before "border". */
export function compareBinThenBorder(a: { binIndex: number; border: BorderSubset }, b: { binIndex: number; border: BorderSubset }): number {
  return a.binIndex - b.binIndex || (a.border === b.border ? 0 : a.border === 'no-border' ? -1 : 1);
}

export interface MaskGroup {
  readonly bin: string;
  readonly binIndex: number;
  readonly border: BorderSubset;
  /** Positions of the group's masks in the manifest. */
  readonly indices: number[];
}

/** The masks of a manifest grouped by bin and border subset, in compareBinThenBorder order. */
export function groupMasks(entries: readonly MaskEntry[]): MaskGroup[] {
  const groups = new Map<string, MaskGroup>();
  entries.forEach((entry, i) => {
    const key = `${entry.binIndex}|${entry.border}`;
    const group = groups.get(key) ?? { bin: entry.bin, binIndex: entry.binIndex, border: entry.border, indices: [] };
    group.indices.push(i);
    groups.set(key, group);
  });
  return [...groups.values()].sort(compareBinThenBorder);
}

/** Masks per bin and border subset, in compareBinThenBorder order. */
export function countMasks(entries: readonly MaskEntry[]): MaskManifest['counts'] {
  return groupMasks(entries).map(({ bin, border, indices }) => ({ bin, border, count: indices.length }));
}
