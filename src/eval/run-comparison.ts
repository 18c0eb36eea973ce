import { UserError } from '../core/errors.js';
import { compareBinThenBorder } from '../core/masks/manifest-counts.js';
import { COMPARE_FORMAT, type Compare, type CompareSummary } from '../protocol/compare.js';
import type { MaskEntry } from '../protocol/mask-manifest.js';
import { METRIC_NAMES, type MetricName, type Results } from '../protocol/results.js';
import { MODEL_NAMES } from '../protocol/scorer-names.js';
import type { ImageMetrics } from './metrics.js';
import { pairedDifference, type Summary, summarize } from './statistics.js';

/**
 * Several evaluated runs compared on the (image, mask) pairs they all scored: pure (no I/O), so the
 * maths is tested on small hand-computed cases. Reading the run folders is read-compared-run.ts's.
 *
 * A pair is named by its stamp in the per-pair scores (pair-scores-store.ts: the test image's path
 * below the test folder, its size and modification time, and the mask's hash), so two runs share a
 * pair when they scored the same mask on the same test image, whatever its position k in each run.
 */
export interface ComparedRun {
  /** The run's label ("<name>/<model>" labels its models). */
  readonly name: string;
  readonly dir: string;
  readonly results: Results;
  /** The run's test masks by k (masks/manifest.json): each pair's bin and border subset. */
  readonly entries: readonly MaskEntry[];
  /** Per model name, per pair k: what was scored (stamp) and the metrics. */
  readonly scores: ReadonlyMap<string, ReadonlyMap<number, { readonly stamp: string; readonly metrics: ImageMetrics }>>;
}

export interface CompareRunsInput {
  readonly runs: readonly ComparedRun[];
  /** Groups of run indices whose configs differ only in the seed (src/pipeline/compare-run-folders.ts). */
  readonly seedGroups?: readonly { readonly runs: readonly number[]; readonly ignoredKeys: readonly string[] }[];
  readonly configDifferences?: Compare['configDifferences'];
}

/** The pairs the runs share: their names in the first run's order, and each run's k of each. */
export interface SharedPairs {
  readonly ids: readonly string[];
  /** kOf[run][p]: the position of shared pair p in that run's mask set. */
  readonly kOf: readonly (readonly number[])[];
  /** Per run: how many pairs it scored with every one of its models. */
  readonly evaluated: readonly number[];
}

/**
 * Each run's pairs scored by every one of its models, by name: the stamp of its own models (other
 * tools' outputs carry a stamp of their files, so they only vouch for a pair, never name it), with
 * "#2", "#3" added when the same image and mask come back at another k.
 */
export function scoredPairIds(run: ComparedRun): Map<string, number> {
  const models = run.results.models;
  const namers = models.filter((m) => m.kind !== 'external').map((m) => m.name);
  const ids = new Map<string, number>();
  const seen = new Map<string, number>();
  for (let k = 0; k < run.entries.length; k++) {
    if (!models.every((m) => run.scores.get(m.name)?.has(k))) continue;
    const stamps = new Set(namers.map((name) => run.scores.get(name)?.get(k)?.stamp));
    const [stamp] = stamps;
    if (stamps.size !== 1 || stamp === undefined) continue;
    const times = (seen.get(stamp) ?? 0) + 1;
    seen.set(stamp, times);
    ids.set(times === 1 ? stamp : `${stamp}#${times}`, k);
  }
  return ids;
}

export function sharedPairs(runs: readonly ComparedRun[]): SharedPairs {
  const perRun = runs.map(scoredPairIds);
  const first = perRun[0] ?? new Map<string, number>();
  const ids = [...first.keys()].filter((id) => perRun.every((m) => m.has(id)));
  return { ids, kOf: perRun.map((m) => ids.map((id) => m.get(id) as number)), evaluated: perRun.map((m) => m.size) };
}

/** JSON has no NaN: an empty summary carries nulls (as results.json does). */
export function jsonSummary(s: Summary): CompareSummary {
  const num = (v: number) => (Number.isFinite(v) ? v : null);
  return { n: s.n, mean: num(s.mean), std: num(s.std), ci95: [num(s.ci95[0]), num(s.ci95[1])] };
}

const mean = (values: readonly number[]) => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);

/** The reference of a seed group's model-to-model differences: PConv when every run has it, else the first model. */
function referenceModel(models: readonly string[]): string | undefined {
  return models.includes(MODEL_NAMES.pconv) ? MODEL_NAMES.pconv : models[0];
}

/**
 * Compares runs on their shared pairs: each run's models per bin and subset, the same model across
 * runs pair by pair, and for runs that differ only in the seed, the seed-to-seed spread next to the
 * difference between models. Refuses runs that share no pair.
 */
export function compareRuns(input: CompareRunsInput): Compare {
  const { runs } = input;
  const names = runs.map((r) => r.name);
  const shared = sharedPairs(runs);
  if (shared.ids.length === 0) {
    throw new UserError('COMPARE_NO_SHARED_PAIRS', `the runs ${names.join(', ')} share no (image, mask) pairs`, {
      details: runs.map(
        (r, i) =>
          `${r.name} (${r.dir}): ${shared.evaluated[i]} pairs scored, ${r.results.images.count} test images, mask set sha256 ${r.results.masks.manifestSha256.slice(0, 12)}`,
      ),
      hint: 'Runs share a pair when they scored the same test mask on the same test image (its path below the test folder, size and modification time). To repeat a training with other seeds, vary train.seed (not seed: it also draws the test masks and, with data.root, the split). Otherwise evaluate the runs on one mask set (copy masks/ into each run folder before `pconv-bench eval`) and the same test images (data.test, or data.root with the same seed).',
    });
  }
  const first = runs[0] as ComparedRun;
  const kOfFirst = shared.kOf[0] as readonly number[];
  // Cells of the first run's bins; each shared pair p lands in one.
  const cells = new Map<string, { bin: string; binIndex: number; border: 'no-border' | 'border'; pairs: number[] }>();
  kOfFirst.forEach((k, p) => {
    const entry = first.entries[k] as MaskEntry;
    const key = `${entry.binIndex}|${entry.border}`;
    const cell = cells.get(key) ?? { bin: entry.bin, binIndex: entry.binIndex, border: entry.border, pairs: [] };
    cell.pairs.push(p);
    cells.set(key, cell);
  });
  const groups = [...cells.values()].sort(compareBinThenBorder);
  const cellOf = (g: (typeof groups)[number]) => ({ bin: g.bin, binIndex: g.binIndex, border: g.border });

  /** Values of one metric of run r's model over the pairs of a cell (undefined where a pair has none, e.g. hole L1 without holes). */
  const values = (r: number, model: string, pairs: readonly number[], metric: MetricName) => {
    const scores = runs[r]?.scores.get(model);
    const kOf = shared.kOf[r] as readonly number[];
    return pairs.map((p) => scores?.get(kOf[p] as number)?.metrics[metric]);
  };
  const defined = (list: readonly (number | undefined)[]) => list.filter((v): v is number => v !== undefined);
  /** Pair-by-pair a - b where both have a value. */
  const difference = (a: readonly (number | undefined)[], b: readonly (number | undefined)[]) => {
    const both = a.flatMap((v, i) => (v !== undefined && b[i] !== undefined ? [[v, b[i] as number] as const] : []));
    return pairedDifference(
      both.map((x) => x[0]),
      both.map((x) => x[1]),
    );
  };

  const rows: Compare['rows'] = [];
  runs.forEach((run, r) => {
    for (const model of run.results.models) {
      for (const g of groups) {
        rows.push({
          run: run.name,
          model: model.name,
          label: `${run.name}/${model.name}`,
          ...cellOf(g),
          metrics: Object.fromEntries(
            METRIC_NAMES.map((metric) => [metric, jsonSummary(summarize(defined(values(r, model.name, g.pairs, metric))))]),
          ) as Compare['rows'][number]['metrics'],
        });
      }
    }
  });

  // The same model in two runs: the later run on the command line minus the earlier.
  const paired: Compare['paired'] = [];
  const modelNames = [...new Set(runs.flatMap((r) => r.results.models.map((m) => m.name)))];
  for (const model of modelNames) {
    const having = runs.flatMap((run, r) => (run.results.models.some((m) => m.name === model) ? [r] : []));
    for (const [ai, a] of having.entries()) {
      for (const b of having.slice(ai + 1)) {
        for (const g of groups) {
          for (const metric of METRIC_NAMES) {
            paired.push({
              model,
              run: names[b] as string,
              against: names[a] as string,
              ...cellOf(g),
              metric,
              difference: jsonSummary(difference(values(b, model, g.pairs, metric), values(a, model, g.pairs, metric))),
            });
          }
        }
      }
    }
  }

  const seedGroups: Compare['seedGroups'] = (input.seedGroups ?? []).map((group) => {
    const members = group.runs;
    const models = (runs[members[0] as number]?.results.models ?? [])
      .map((m) => m.name)
      .filter((name) => members.every((r) => runs[r]?.results.models.some((m) => m.name === name)));
    const spread: Compare['seedGroups'][number]['spread'] = [];
    const effects: Compare['seedGroups'][number]['effects'] = [];
    for (const g of groups) {
      for (const metric of METRIC_NAMES) {
        for (const model of models) {
          const runMeans = members.map((r) => mean(defined(values(r, model, g.pairs, metric))));
          const known = runMeans.filter((v): v is number => v !== null);
          const s = summarize(known);
          spread.push({
            model,
            ...cellOf(g),
            metric,
            runMeans,
            mean: known.length > 0 ? s.mean : null,
            sd: known.length > 1 ? s.std : null,
          });
        }
        const reference = referenceModel(models);
        for (const against of models) {
          if (reference === undefined || against === reference) continue;
          const perSeed = members.map((r) => {
            const d = difference(values(r, reference, g.pairs, metric), values(r, against, g.pairs, metric));
            return d.n > 0 ? d.mean : null;
          });
          effects.push({
            model: reference,
            against,
            ...cellOf(g),
            metric,
            perSeed,
            acrossSeeds: jsonSummary(summarize(perSeed.filter((v): v is number => v !== null))),
          });
        }
      }
    }
    return {
      runs: members.map((r) => names[r] as string),
      seeds: members.map((r) => seedOf(runs[r] as ComparedRun)),
      ignoredKeys: [...group.ignoredKeys],
      models,
      spread,
      effects,
    };
  });

  return {
    format: COMPARE_FORMAT,
    runs: runs.map((run, r) => ({
      name: run.name,
      dir: run.dir,
      experiment: run.results.experiment.name,
      configHash: run.results.experiment.configHash,
      seed: seedOf(run),
      manifestSha256: run.results.masks.manifestSha256,
      testImages: run.results.images.count,
      pairs: shared.evaluated[r] as number,
      models: run.results.models.map((m) => ({ name: m.name, kind: m.kind, label: `${run.name}/${m.name}` })),
    })),
    sharedPairs: shared.ids.length,
    notes: notesOf(runs, shared),
    groups: groups.map((g) => ({ ...cellOf(g), pairs: g.pairs.length })),
    rows,
    paired,
    seedGroups,
    configDifferences: [...(input.configDifferences ?? [])],
  };
}

/** The seed the run's training drew from: train.seed where set, else the master seed. */
function seedOf(run: ComparedRun): number | null {
  const config = run.results.config as { seed?: unknown; train?: { seed?: unknown } | null };
  const seed = config.train?.seed ?? config.seed;
  return typeof seed === 'number' ? seed : null;
}

/** The runs grouped by a value, as "A and B: value", "C: other value". */
function byValue(runs: readonly ComparedRun[], value: (run: ComparedRun) => string): string[] {
  const groups = new Map<string, string[]>();
  for (const run of runs) groups.set(value(run), [...(groups.get(value(run)) ?? []), run.name]);
  const list = (names: readonly string[]) => (names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`);
  return [...groups].map(([v, names]) => `${list(names)}: ${v}`);
}

/** What a reader must be told: pairs left out (and why, where the runs say), and pairs binned differently. */
function notesOf(runs: readonly ComparedRun[], shared: SharedPairs): string[] {
  const notes: string[] = [];
  const n = shared.ids.length;
  if (shared.evaluated.some((count) => count !== n)) {
    const why: string[] = [];
    const masks = byValue(runs, (r) => `sha256 ${r.results.masks.manifestSha256.slice(0, 12)}`);
    if (masks.length > 1) why.push(`mask sets differ (${masks.join(', ')})`);
    const images = byValue(runs, (r) => `${r.results.images.count} test images`);
    if (images.length > 1) why.push(`test images differ (${images.join(', ')})`);
    notes.push(
      `The runs did not score the same pairs${why.length > 0 ? `: ${why.join('; ')}` : ''}. Every number here is on the ${n} pairs they share (${runs
        .map((r, i) => `${r.name}: ${n} of ${shared.evaluated[i]}`)
        .join(', ')}).`,
    );
  }
  const first = runs[0] as ComparedRun;
  runs.slice(1).forEach((run, i) => {
    const kOf = shared.kOf[i + 1] as readonly number[];
    const moved = (shared.kOf[0] as readonly number[]).filter((k, p) => {
      const a = first.entries[k] as MaskEntry;
      const b = run.entries[kOf[p] as number] as MaskEntry;
      return a.bin !== b.bin || a.border !== b.border;
    }).length;
    if (moved > 0)
      notes.push(
        `${moved} of the shared pairs fall in another bin or border subset in ${run.name} (its bins, bin rule or border margin differ): every table bins them as ${first.name} does.`,
      );
  });
  return notes;
}
