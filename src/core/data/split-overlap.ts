import { realpath } from 'node:fs/promises';
import { resolve, sep } from 'node:path';

export type SplitName = 'train' | 'validation' | 'test';

/** The files one discovery found (discoverFiles: one root), as they were dealt to the splits. */
export interface SplitSource {
  readonly root: string;
  /** Files reached through a link (discoverFiles' `linked`): their real paths need a realpath() each. */
  readonly linked: readonly string[];
  readonly splits: Partial<Record<SplitName, readonly string[]>>;
}

/** Files that more than one split holds, by real path, with one example. */
export interface SplitOverlap {
  /** Real files in two or more splits. */
  readonly count: number;
  /** The example: a file of `split` (test when any overlap involves test)... */
  readonly file: string;
  readonly split: SplitName;
  /** ...and the same file as another split lists it. */
  readonly sameAs: string;
  readonly sameAsSplit: SplitName;
}

/** realpath() calls in flight at once. */
const IN_FLIGHT = 16;

/**
 * Finds the files that two splits share: the same real file reached twice, through overlapping
 * folders (a test folder inside the train folder), links (to a file or a folder) or the same
 * folder given twice. A file's real path is its root's real path plus its path below the root,
 * unless it was reached through a link, when it is realpath() of the file. When no file came
 * through a link and the real roots of different discoveries neither hold one another, no file
 * can be shared and nothing is compared (the usual case, one string test per folder).
 */
export async function findSplitOverlap(sources: readonly SplitSource[]): Promise<SplitOverlap | undefined> {
  const realRoots = await Promise.all(sources.map((source) => realpath(resolve(source.root)).catch(() => resolve(source.root))));
  const inside = (a: string, b: string) => a === b || a.startsWith(b.endsWith(sep) ? b : `${b}${sep}`);
  const nested = realRoots.some((a, i) => realRoots.some((b, j) => i !== j && inside(a, b)));
  if (!nested && sources.every((source) => source.linked.length === 0)) return undefined;

  const realOf = await Promise.all(
    sources.map(async (source, i) => {
      const rootPath = resolve(source.root);
      const realRoot = realRoots[i] as string;
      const linked = new Map<string, string>();
      let next = 0;
      const worker = async () => {
        while (next < source.linked.length) {
          const file = source.linked[next++] as string;
          linked.set(file, await realpath(file).catch(() => file));
        }
      };
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, source.linked.length) }, worker));
      return (file: string): string => {
        const viaLink = linked.get(file);
        if (viaLink !== undefined) return viaLink;
        const rel = file.slice(rootPath.length).replace(/^[/\\]+/, '');
        return realRoot.endsWith(sep) ? `${realRoot}${rel}` : `${realRoot}${sep}${rel}`;
      };
    }),
  );

  // Test first, then validation, then train: an overlap is reported against the earliest split
  // that holds the file, so the example names a test image whenever one is shared.
  const order: readonly SplitName[] = ['test', 'validation', 'train'];
  const owner = new Map<string, { file: string; split: SplitName }>();
  const shared = new Set<string>();
  let example: SplitOverlap | undefined;
  for (const split of order) {
    const listed: string[] = [];
    for (const [i, source] of sources.entries()) {
      const of = realOf[i] as (file: string) => string;
      for (const file of source.splits[split] ?? []) {
        const real = of(file);
        const first = owner.get(real);
        if (first === undefined) {
          if (split !== 'train') listed.push(real, file);
        } else if (first.split !== split) {
          shared.add(real);
          example ??= { count: 0, file: first.file, split: first.split, sameAs: file, sameAsSplit: split };
        }
      }
    }
    // Added after the split is read: a file listed twice within one split is no overlap.
    for (let k = 0; k < listed.length; k += 2) {
      const real = listed[k] as string;
      if (!owner.has(real)) owner.set(real, { file: listed[k + 1] as string, split });
    }
  }
  return example && { ...example, count: shared.size };
}
