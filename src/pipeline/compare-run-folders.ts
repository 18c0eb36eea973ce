import { mkdir } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { UserError } from '../core/errors.js';
import { writeFileAtomic } from '../core/io/atomic.js';
import { readComparedRun } from '../eval/read-compared-run.js';
import { chartJsSource } from '../eval/report/chart-js-source.js';
import { comparisonCharts } from '../eval/report/comparison-chart-data.js';
import { renderComparison } from '../eval/report/render-comparison.js';
import { writeComparisonCharts } from '../eval/report/write-comparison-charts.js';
import { type ComparedRun, compareRuns } from '../eval/run-comparison.js';
import { COMPARE_FILES, type Compare, CompareSchema } from '../protocol/compare.js';
import { changedKeys, configValueText } from './config-differences.js';

/**
 * `pconv-bench compare`: reads evaluated run folders, finds the runs that differ only in their
 * seed and the config keys that differ at all, compares the runs on their shared pairs
 * (src/eval/run-comparison.ts) and writes the page, compare.json and the charts' PNGs (assets/)
 * into the output folder, each atomically.
 */

/**
 * Config keys that do not change what a run computes (what it is called and where it writes, the
 * tolerances of `check`): runs that differ only in these and `seed` are seeds of one experiment.
 */
export const SEED_IGNORED_KEYS: readonly string[] = ['$schema', 'name', 'description', 'output', 'check'];

/** The keys a seed group may differ in: the master seed and training's own. */
const SEED_KEYS: readonly string[] = ['seed', 'train.seed'];
const isIgnored = (key: string) => SEED_IGNORED_KEYS.some((k) => key === k || key.startsWith(`${k}.`));

/** Each run's label: the shortest tail of its folder's path that no other run's ends with. */
export function runNames(dirs: readonly string[]): string[] {
  const parts = dirs.map((d) => resolve(d).split(sep).filter(Boolean));
  return parts.map((p) => {
    for (let n = 1; n < p.length; n++) {
      const tail = p.slice(-n).join('/');
      if (parts.every((other) => other === p || other.slice(-n).join('/') !== tail)) return tail;
    }
    return p.join('/') || '/';
  });
}

/** The keys whose values differ between any of the configs, with each config's value (null: unset). */
export function configDifferenceTable(configs: readonly unknown[]): Compare['configDifferences'] {
  const [first, ...others] = configs;
  const keys = [...new Set(others.flatMap((config) => changedKeys(first, config).map((c) => c.key)))].sort();
  return keys.map((key) => ({
    key,
    values: configs.map((config) => {
      const value = valueAt(config, key);
      return value === undefined ? null : configValueText(value);
    }),
    ignoredForSeeds: isIgnored(key),
  }));
}

/** The value at a dotted key of a config (changedKeys's keys), or undefined. */
function valueAt(config: unknown, key: string): unknown {
  let value = config;
  for (const part of key.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * Runs whose configs are the same apart from the seeds (`seed`, `train.seed`) and SEED_IGNORED_KEYS,
 * with at least two training seeds among them (train.seed where set, else seed): groups of run indices, each with the ignored keys that do differ in it.
 */
export function findSeedGroups(configs: readonly unknown[]): { runs: number[]; ignoredKeys: string[] }[] {
  const groups: number[][] = [];
  configs.forEach((config, i) => {
    const same = groups.find((g) => changedKeys(configs[g[0] as number], config).every((c) => SEED_KEYS.includes(c.key) || isIgnored(c.key)));
    if (same) same.push(i);
    else groups.push([i]);
  });
  const seedOf = (config: unknown) => {
    const c = config as { seed?: unknown; train?: { seed?: unknown } | null } | null;
    return c?.train?.seed ?? c?.seed;
  };
  return groups
    .filter((g) => new Set(g.map((i) => JSON.stringify(seedOf(configs[i]) ?? null))).size >= 2)
    .map((g) => ({
      runs: g,
      ignoredKeys: [...new Set(g.slice(1).flatMap((i) => changedKeys(configs[g[0] as number], configs[i]).map((c) => c.key)))].filter(isIgnored).sort(),
    }));
}

export interface CompareRunFoldersResult {
  readonly compare: Compare;
  /** The page and compare.json, absolute. */
  readonly page: string;
  readonly json: string;
}

export async function compareRunFolders(options: { readonly runDirs: readonly string[]; readonly out: string }): Promise<CompareRunFoldersResult> {
  const dirs = options.runDirs.map((d) => resolve(d));
  const out = resolve(options.out);
  if (dirs.length < 2)
    throw new UserError('COMPARE_ONE_RUN', `compare needs at least two run folders; got ${dirs.length === 0 ? 'none' : `only ${dirs[0]}`}`, {
      hint: 'Name two or more evaluated run folders: pconv-bench compare runs/a runs/b --out runs/a-vs-b',
    });
  const twice = dirs.find((d, i) => dirs.indexOf(d) !== i);
  if (twice) throw new UserError('COMPARE_SAME_RUN', `run folder ${twice} is named twice`, { hint: 'Name each run folder once.' });
  if (dirs.includes(out))
    throw new UserError('COMPARE_OUT_IS_RUN', `--out ${out} is one of the compared run folders: the page would replace its report`, {
      hint: 'Write the comparison to a folder of its own, e.g. --out runs/compare.',
    });
  const names = runNames(dirs);
  const runs: ComparedRun[] = [];
  for (const [i, dir] of dirs.entries()) runs.push({ name: names[i] as string, dir, ...(await readComparedRun(dir)) });
  const configs = runs.map((r) => r.results.config);
  const compare = CompareSchema.parse(
    compareRuns({
      runs,
      seedGroups: findSeedGroups(configs),
      configDifferences: configDifferenceTable(configs),
    }),
  );
  await mkdir(out, { recursive: true });
  const json = join(out, COMPARE_FILES.json);
  const page = join(out, COMPARE_FILES.page);
  await writeFileAtomic(json, `${JSON.stringify(compare, null, 1)}\n`);
  const chartPngs = await writeComparisonCharts(out, comparisonCharts(compare));
  await writeFileAtomic(page, renderComparison(compare, { chartJs: await chartJsSource(), chartPngs }));
  return { compare, page, json };
}
