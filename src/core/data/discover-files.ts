import type { Dirent } from 'node:fs';
import { readdir, readlink, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import picomatch from 'picomatch';

/** Why a folder or link under the root was not listed. */
export type SkipReason = 'loop' | 'already listed' | 'broken link' | 'unreadable';

export interface SkippedPath {
  /** Absolute path as reached from the root (through any links on the way). */
  readonly path: string;
  readonly reason: SkipReason;
  /** For 'loop' and 'already listed': the path the same folder was listed under. */
  readonly sameAs?: string;
  /** For links: what the link points to, as written in it. */
  readonly target?: string;
  /** For 'unreadable' and 'broken link': the error code (EACCES, ENOENT, ELOOP, ...). */
  readonly code?: string;
}

export interface DiscoveredFiles {
  /** Matching files as absolute paths, sorted. */
  readonly files: string[];
  /** Sorted by path. */
  readonly skipped: SkippedPath[];
  /**
   * The files of `files` reached through a link (to the file, or to a folder on the way below the
   * root), sorted: the others' real paths are the root's real path plus their path below it.
   */
  readonly linked: string[];
}

/** The file system calls discovery makes; tests swap them to simulate errors root cannot provoke. */
export interface DiscoveryFs {
  readdir(path: string): Promise<Dirent[]>;
  stat(path: string): Promise<{ readonly dev: bigint; readonly ino: bigint; isDirectory(): boolean; isFile(): boolean }>;
  readlink(path: string): Promise<string>;
}

export const nodeDiscoveryFs: DiscoveryFs = {
  readdir: (path) => readdir(path, { withFileTypes: true }),
  stat: (path) => stat(path, { bigint: true }),
  readlink: (path) => readlink(path),
};

export interface DiscoverOptions {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly fs?: DiscoveryFs;
  /** Directory reads and stats in flight at once. */
  readonly concurrency?: number;
}

interface Dir {
  readonly path: string;
  /** Relative to the root, '/'-separated, '' for the root itself. */
  readonly rel: string;
  readonly id: string;
  readonly parent: Dir | undefined;
  /** Set when this folder was reached through a link, so a skip can say what the link holds. */
  readonly link: boolean;
  /** Set when this folder or one above it (below the root) was reached through a link. */
  readonly viaLink: boolean;
}

interface Matcher {
  file(rel: string, path: string): boolean;
  descend(rel: string, name: string): boolean;
}

// The options fast-glob passes to micromatch with caseSensitiveMatch: false, so patterns keep the meaning they had.
const MATCH_OPTIONS = { dot: false, nocase: true, posix: true, strictSlashes: false } as const;

function anyOf(patterns: readonly string[], options: picomatch.PicomatchOptions): (path: string) => boolean {
  if (patterns.length === 0) return () => false;
  return picomatch([...patterns], options);
}

function isNegative(pattern: string): boolean {
  return pattern.startsWith('!') && pattern[1] !== '(';
}

/**
 * fast-glob's include/exclude semantics as two tests: whether a file is listed, and whether a
 * folder can hold listed files. Excludes whose last segment is plain text (`masks`, `**\/tmp`) or
 * that end in `/**` drop whole folders, as in fast-glob; the rest are tested on files only.
 */
function matcherOf(include: readonly string[], exclude: readonly string[]): Matcher {
  const clean = (pattern: string) => (pattern.startsWith('./') ? pattern.slice(2) : pattern).replace(/(?!^)\/{2,}/g, '/');
  const positive = include.filter((p) => !isNegative(p)).map(clean);
  const negative = [...include.filter(isNegative).map((p) => p.slice(1)), ...exclude].map(clean);
  const included = anyOf(positive, MATCH_OPTIONS);
  const excludedRelative = anyOf(
    negative.filter((p) => !isAbsolute(p)),
    { ...MATCH_OPTIONS, dot: true },
  );
  const excludedAbsolute = anyOf(
    negative.filter((p) => isAbsolute(p)),
    { ...MATCH_OPTIONS, dot: true },
  );
  const prunes = (pattern: string) => {
    const last = pattern.slice(pattern.lastIndexOf('/') + 1);
    return pattern.endsWith('/**') || !picomatch.scan(last).isGlob;
  };
  const excludedFolder = anyOf(
    negative.filter((p) => !isAbsolute(p) && prunes(p)),
    MATCH_OPTIONS,
  );
  // Where each include pattern can match: below its fixed leading folders, and at most as deep as
  // it has segments unless it has a globstar. Slashes inside braces only overcount, so this never
  // prunes a folder that could hold a match.
  const reach = positive.map((pattern) => {
    const { base } = picomatch.scan(pattern);
    const fixed = pattern.includes('\\') ? '' : base.toLowerCase();
    return { fixed, segments: pattern.includes('**') ? Number.POSITIVE_INFINITY : pattern.split('/').length };
  });
  // `**` and `*` do not enter dot folders (dot: false); only a pattern that names one explicitly does.
  const dotFolders = positive.some((p) => /(^|[/{,(|])\./.test(p));
  return {
    file: (rel, path) => included(rel) && !excludedRelative(rel) && !excludedAbsolute(path),
    descend: (rel, name) => {
      if (!dotFolders && name.startsWith('.')) return false;
      if (excludedFolder(rel)) return false;
      const depth = rel.split('/').length;
      const lower = rel.toLowerCase();
      return reach.some(
        ({ fixed, segments }) => depth < segments && (fixed === '' || lower === fixed || lower.startsWith(`${fixed}/`) || fixed.startsWith(`${lower}/`)),
      );
    },
  };
}

async function mapLimited<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

const codeOf = (error: unknown) => String((error as NodeJS.ErrnoException).code ?? 'EIO');
const byRel = (a: { rel: string }, b: { rel: string }) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0);
const childPath = (dir: Dir, name: string) => (dir.path.endsWith('/') ? `${dir.path}${name}` : `${dir.path}/${name}`);
const childRel = (dir: Dir, name: string) => (dir.rel === '' ? name : `${dir.rel}/${name}`);

/**
 * The files under `root` that match `include` and not `exclude` (fast-glob patterns relative to
 * root, case-insensitive), following links to files and to folders, but reading no folder twice:
 * folders are known by device and inode, so a link back to an ancestor (`ln -s . loop`) or a
 * second link to a folder already read is skipped and reported instead of listing its files again.
 *
 * Which of several paths a folder is listed under is deterministic and prefers paths without
 * links: the whole real tree under root is read first, then the links found in it (in path order),
 * then links found inside those, and so on. So adding a link never changes the path, and with it
 * the split, of a photo that was already listed.
 */
export async function discoverFiles(root: string, options: DiscoverOptions): Promise<DiscoveredFiles> {
  const fs = options.fs ?? nodeDiscoveryFs;
  const concurrency = options.concurrency ?? 16;
  const match = matcherOf(options.include, options.exclude);
  const rootPath = resolve(root);
  const files: string[] = [];
  const linked: string[] = [];
  const skipped: SkippedPath[] = [];
  const listedAs = new Map<string, string>();
  const idOf = (info: { dev: bigint; ino: bigint }) => `${info.dev}:${info.ino}`;

  const readLink = async (path: string) => fs.readlink(path).catch(() => undefined);
  const skip = async (entry: SkippedPath, link: boolean) => {
    const target = link ? await readLink(entry.path) : undefined;
    skipped.push(target === undefined ? entry : { ...entry, target });
  };

  let rootInfo: Awaited<ReturnType<DiscoveryFs['stat']>>;
  try {
    rootInfo = await fs.stat(rootPath);
  } catch (error) {
    skipped.push({ path: rootPath, reason: 'unreadable', code: codeOf(error) });
    return { files, skipped, linked };
  }
  let generation: Dir[] = [{ path: rootPath, rel: '', id: idOf(rootInfo), parent: undefined, link: false, viaLink: false }];
  while (generation.length > 0) {
    const links: Dir[] = [];
    let level = generation;
    while (level.length > 0) {
      const claimed: Dir[] = [];
      for (const dir of level) {
        const first = listedAs.get(dir.id);
        if (first === undefined) {
          listedAs.set(dir.id, dir.path);
          claimed.push(dir);
          continue;
        }
        let ancestor = dir.parent;
        while (ancestor && ancestor.id !== dir.id) ancestor = ancestor.parent;
        await skip({ path: dir.path, reason: ancestor ? 'loop' : 'already listed', sameAs: first }, dir.link);
      }
      const listings = await mapLimited(claimed, concurrency, (dir) =>
        fs.readdir(dir.path).then(
          (entries) => ({ entries, error: undefined }),
          (error: unknown) => ({ entries: [] as Dirent[], error }),
        ),
      );
      const folders: { dir: Dir; name: string }[] = [];
      const symlinks: { dir: Dir; name: string }[] = [];
      for (const [i, dir] of claimed.entries()) {
        const { entries, error } = listings[i] as { entries: Dirent[]; error: unknown };
        if (error !== undefined) await skip({ path: dir.path, reason: 'unreadable', code: codeOf(error) }, dir.link);
        for (const entry of entries) {
          const name = entry.name;
          if (entry.isFile()) {
            const rel = childRel(dir, name);
            const path = childPath(dir, name);
            if (match.file(rel, path)) {
              files.push(path);
              if (dir.viaLink) linked.push(path);
            }
          } else if (entry.isDirectory()) {
            if (match.descend(childRel(dir, name), name)) folders.push({ dir, name });
          } else if (entry.isSymbolicLink()) {
            const rel = childRel(dir, name);
            if (match.file(rel, childPath(dir, name)) || match.descend(rel, name)) symlinks.push({ dir, name });
          }
        }
      }
      const next: Dir[] = [];
      const stats = await mapLimited([...folders, ...symlinks], concurrency, ({ dir, name }) =>
        fs.stat(childPath(dir, name)).then(
          (info) => ({ info, error: undefined }),
          (error: unknown) => ({ info: undefined, error }),
        ),
      );
      for (const [i, { dir, name }] of [...folders, ...symlinks].entries()) {
        const { info, error } = stats[i] as (typeof stats)[number];
        const isLink = i >= folders.length;
        const path = childPath(dir, name);
        const rel = childRel(dir, name);
        if (!info) {
          const code = codeOf(error);
          const broken = code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR';
          await skip({ path, reason: isLink && broken ? 'broken link' : 'unreadable', code }, isLink);
        } else if (info.isDirectory()) {
          if (!isLink) next.push({ path, rel, id: idOf(info), parent: dir, link: false, viaLink: dir.viaLink });
          else if (match.descend(rel, name)) links.push({ path, rel, id: idOf(info), parent: dir, link: true, viaLink: true });
        } else if (isLink && info.isFile() && match.file(rel, path)) {
          files.push(path);
          linked.push(path);
        }
      }
      level = next.sort(byRel);
    }
    generation = links.sort(byRel);
  }
  files.sort();
  linked.sort();
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, skipped, linked };
}
