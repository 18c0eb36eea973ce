import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Of } from '../../src/core/io/stable-json.js';
import { countMasks } from '../../src/core/masks/manifest-counts.js';
import type { ImageMetrics } from '../../src/eval/metrics.js';
import { PAIR_SCORES_FORMAT, recordLine, scoresFileName } from '../../src/eval/pair-scores-store.js';
import type { ComparedRun } from '../../src/eval/run-comparison.js';
import { summariseScores } from '../../src/eval/summarise-scores.js';
import { type MaskEntry, type MaskManifest, MaskManifestSchema } from '../../src/protocol/mask-manifest.js';
import { RESULTS_FORMAT, type Results, ResultsSchema } from '../../src/protocol/results.js';
import { runLayout } from '../../src/protocol/run-layout.js';

/**
 * Evaluated runs made without training or scoring: a mask set, per-pair scores and the results.json
 * they summarise to, all schema-valid. Each pair is named by its stamp; each model gets a PSNR per
 * pair, and the other metrics follow from it (l1 = psnr / 100, l1Hole = psnr / 10, or none where
 * `noHoles` lists the pair, ssim = psnr / 100).
 */
export interface SyntheticRunSpec {
  readonly name?: string;
  readonly seed?: number;
  /** Added to the config (results.json's `config`). */
  readonly config?: Record<string, unknown>;
  readonly pairs: readonly { readonly stamp: string; readonly binIndex: number; readonly border: 'no-border' | 'border' }[];
  readonly models: readonly {
    readonly name: string;
    readonly kind: Results['models'][number]['kind'];
    /** Per pair: its PSNR, or null where the model has no score for it. */
    readonly psnr: readonly (number | null)[];
  }[];
  readonly noHoles?: readonly number[];
}

const BINS = [
  { lo: 0.01, hi: 0.3, label: '(0.01, 0.3]' },
  { lo: 0.3, hi: 0.6, label: '(0.3, 0.6]' },
];

export const metricsOf = (psnr: number, holes = true): ImageMetrics => ({ l1Hole: holes ? psnr / 10 : undefined, l1: psnr / 100, psnr, ssim: psnr / 100 });

function manifestOf(spec: SyntheticRunSpec): MaskManifest {
  const masks: MaskEntry[] = spec.pairs.map((p, k) => ({
    file: `m${k}.png`,
    width: 16,
    height: 16,
    holeRatio: BINS[p.binIndex]?.hi ?? 0.5,
    bin: BINS[p.binIndex]?.label ?? `bin ${p.binIndex}`,
    binIndex: p.binIndex,
    border: p.border,
    generator: 'strokes',
    seed: k,
    sha256: sha256Of(`mask of ${p.stamp}`),
  }));
  return MaskManifestSchema.parse({
    format: 'pconv-bench/masks@1',
    width: 16,
    height: 16,
    binRule: '(lo,hi]',
    bins: BINS,
    borderMargin: 1,
    settings: {},
    settingsHash: 'synthetic',
    counts: countMasks(masks),
    skipped: [],
    masks,
  });
}

function resultsOf(spec: SyntheticRunSpec, manifestText: string, manifest: MaskManifest): Results {
  const perModel = new Map(
    spec.models.map((m) => [m.name, m.psnr.map((v, k) => (v === null ? undefined : metricsOf(v, !(spec.noHoles ?? []).includes(k))))] as const),
  );
  return ResultsSchema.parse(
    summariseScores({
      header: {
        format: RESULTS_FORMAT,
        experiment: { name: spec.name ?? 'synthetic', configHash: sha256Of(JSON.stringify(spec.config ?? {})).slice(0, 16) },
        conventions: {},
        masks: { manifestSha256: sha256Of(manifestText), count: manifest.masks.length, width: 16, height: 16, binRule: '(lo,hi]', borderMargin: 1 },
        images: { split: 'test', count: 2, pairs: manifest.masks.length },
        backend: { name: 'cpu', version: '4.22.0', device: 'cpu' },
        versions: { 'pconv-bench': 'test' },
        models: spec.models.map((m) => ({ name: m.name, kind: m.kind, checkpoint: null, step: null })),
        config: { name: spec.name ?? 'synthetic', seed: spec.seed ?? 1, ...spec.config },
      },
      perModel,
      entries: manifest.masks,
      samples: [],
    }),
  );
}

/** The run as compareRuns takes it, without files. */
export function syntheticRun(name: string, spec: SyntheticRunSpec): ComparedRun {
  const manifest = manifestOf(spec);
  const results = resultsOf(spec, JSON.stringify(manifest), manifest);
  const scores = new Map(
    spec.models.map((m) => [
      m.name,
      new Map(
        m.psnr.flatMap((v, k) =>
          v === null ? [] : [[k, { stamp: spec.pairs[k]?.stamp as string, metrics: metricsOf(v, !(spec.noHoles ?? []).includes(k)) }] as const],
        ),
      ),
    ]),
  );
  return { name, dir: `/runs/${name}`, results, entries: manifest.masks, scores };
}

/** Writes the run into `dir`: masks/manifest.json, scores/<model>.jsonl, results.json. */
export async function writeSyntheticRun(dir: string, spec: SyntheticRunSpec): Promise<Results> {
  const layout = runLayout(dir);
  const manifest = manifestOf(spec);
  const manifestText = `${JSON.stringify(manifest, null, 1)}\n`;
  await mkdir(layout.masksDir, { recursive: true });
  await writeFile(layout.maskManifest, manifestText);
  const results = resultsOf(spec, manifestText, manifest);
  await mkdir(layout.scoresDir, { recursive: true });
  for (const model of spec.models) {
    const lines = model.psnr.flatMap((v, k) =>
      v === null ? [] : [recordLine({ k, stamp: spec.pairs[k]?.stamp as string, metrics: metricsOf(v, !(spec.noHoles ?? []).includes(k)) })],
    );
    const header = `${JSON.stringify({ format: PAIR_SCORES_FORMAT, model: model.name, fingerprint: 'synthetic' })}\n`;
    await writeFile(join(layout.scoresDir, scoresFileName(model.name)), header + lines.join(''));
  }
  await writeFile(layout.results, `${JSON.stringify(results, null, 1)}\n`);
  return results;
}
