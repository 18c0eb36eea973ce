import { existsSync } from 'node:fs';
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import { writeFileAtomic } from '../core/io/atomic.js';
import { sha256Of } from '../core/io/stable-json.js';
import { compareBinThenBorder, groupMasks } from '../core/masks/manifest-counts.js';
import { checkShardCoverage } from '../core/shard-coverage.js';
import { MaskManifestSchema } from '../protocol/mask-manifest.js';
import type { Results } from '../protocol/results.js';
import { RUN_FILES, runLayout } from '../protocol/run-layout.js';
import { copyDrilldownPictures } from './drilldown/drilldown-pictures.js';
import { drilldownRecord } from './drilldown/drilldown-record.js';
import type { RunScores } from './evaluate.js';
import type { ImageMetrics } from './metrics.js';
import { type PairScore, ScoresWriter } from './pair-scores-store.js';
import { writeReport } from './report/write-report.js';
import { summariseScores } from './summarise-scores.js';
import { writeEvaluation } from './write-evaluation.js';

export const EVAL_SHARD_FILE = RUN_FILES.evalShard;

const SHARD_FORMAT = 'pconv-bench/eval-shard@2';

/**
 * @2 adds each pair's stamp and each model's fingerprint (pair-scores-store.ts), so the merged
 * run folder keeps per-pair scores that a later evaluation can continue from; @1 is still read.
 */
interface EvalShardFile {
  format: typeof SHARD_FORMAT | 'pconv-bench/eval-shard@1';
  shard: { index: number; count: number };
  header: RunScores['header'];
  /** Per model: [k, l1Hole, l1, psnr, ssim, stamp] for the pairs of this shard (@1: no stamp). */
  perModel: Record<string, (number | string | null)[][]>;
  /** Per model: what scored its pairs (@2). */
  fingerprints?: Record<string, string>;
  samples: Results['samples'];
}

/** Writes the per-pair scores of one shard of an evaluation (`eval --shard i/n`). */
export async function writeEvalShard(runDir: string, scores: RunScores, shard: { index: number; count: number }): Promise<string> {
  const perModel: Record<string, (number | string | null)[][]> = {};
  for (const [name, values] of scores.perModel) {
    const stamps = scores.stamps.get(name) ?? [];
    perModel[name] = values.flatMap((m, k) => (m ? [[k, m.l1Hole ?? null, m.l1, m.psnr, m.ssim, stamps[k] ?? null]] : []));
  }
  const file: EvalShardFile = {
    format: SHARD_FORMAT,
    shard,
    header: scores.header,
    perModel,
    fingerprints: Object.fromEntries(scores.fingerprints),
    samples: scores.samples,
  };
  const path = join(runDir, EVAL_SHARD_FILE);
  await writeFileAtomic(path, `${JSON.stringify(file)}\n`);
  return path;
}

/**
 * Joins the evaluation shards of several run folders into <outDir>/results.json and its report,
 * identical to an unsharded evaluation: the same per-pair scores, summarised in pair order.
 */
export async function mergeEvalShards(runDirs: readonly string[], outDir: string): Promise<Results> {
  const shards: { runDir: string; file: EvalShardFile }[] = [];
  for (const runDir of runDirs) {
    let file: EvalShardFile;
    try {
      file = JSON.parse(await readFile(join(runDir, EVAL_SHARD_FILE), 'utf8')) as EvalShardFile;
    } catch {
      throw new UserError('MERGE_NO_EVAL', `no ${EVAL_SHARD_FILE} in ${runDir}`, { hint: 'Pass the run folders of `pconv-bench eval <config> --shard i/n`.' });
    }
    if (file.format !== SHARD_FORMAT && file.format !== 'pconv-bench/eval-shard@1')
      throw new UserError('MERGE_MISMATCH', `${join(runDir, EVAL_SHARD_FILE)} has format ${file.format}`, {
        hint: 'Evaluate all shards with one pconv-bench version.',
      });
    shards.push({ runDir, file });
  }
  const first = shards[0]?.file as EvalShardFile;
  const count = first.shard.count;
  const headerText = JSON.stringify(first.header);
  for (const { runDir, file } of shards) {
    if (file.shard.count !== count || JSON.stringify(file.header) !== headerText || JSON.stringify(file.fingerprints) !== JSON.stringify(first.fingerprints)) {
      throw new UserError('MERGE_MISMATCH', `${runDir} evaluated other models, masks or settings than ${shards[0]?.runDir}`, {
        hint: 'Merge shards of one evaluation (same masks, checkpoints, config, --shard n, --backend and --inference engine: results record what ran the models).',
      });
    }
  }
  checkShardCoverage(
    shards.map(({ file }) => file.shard.index),
    count,
    'evaluation shard',
  );

  const manifestText = await readFile(runLayout(shards[0]?.runDir as string).maskManifest);
  if (sha256Of(manifestText) !== first.header.masks.manifestSha256)
    throw new UserError('MERGE_MISMATCH', 'the mask set beside the shards is not the one they evaluated', { hint: 'Keep the masks/ folder the shards used.' });
  const manifest = MaskManifestSchema.parse(JSON.parse(manifestText.toString('utf8')));
  const perModel = new Map<string, (ImageMetrics | undefined)[]>();
  const kept = new Map<string, PairScore[]>();
  for (const { file } of shards) {
    for (const [name, rows] of Object.entries(file.perModel)) {
      const values = perModel.get(name) ?? new Array<ImageMetrics | undefined>(first.header.masks.count);
      for (const [k, l1Hole, l1, psnr, ssim, stamp] of rows) {
        const metrics = { l1Hole: (l1Hole as number | null) ?? undefined, l1: l1 as number, psnr: psnr as number, ssim: ssim as number };
        values[k as number] = metrics;
        if (typeof stamp !== 'string') continue;
        const list = kept.get(name) ?? [];
        list.push({ k: k as number, stamp, metrics });
        kept.set(name, list);
      }
      perModel.set(name, values);
    }
  }
  // The merged folder keeps the per-pair scores, as an unsharded evaluation does.
  for (const [name, fingerprint] of Object.entries(first.fingerprints ?? {})) {
    const trained = first.header.models.some((m) => m.name === name && (m.kind === 'pconv' || m.kind === 'conv'));
    const engine = trained ? first.header.backend.inference : undefined;
    const writer = await ScoresWriter.open(outDir, { model: name, fingerprint, ...(engine ? { engine } : {}) });
    try {
      await writer.append((kept.get(name) ?? []).sort((a, b) => a.k - b.k));
    } finally {
      await writer.close();
    }
  }
  // The drill-down of all pairs, chosen as an unsharded evaluation chooses it, its pictures taken
  // from the shard that scored each pair (every pair chosen here was chosen within its shard too).
  const drilldown = drilldownRecord({
    groups: groupMasks(manifest.masks),
    entries: manifest.masks,
    perModel,
    models: first.header.models.map((m) => m.name),
    masksSha256: first.header.masks.manifestSha256,
  });
  const shardDirs = new Map(shards.map(({ runDir, file }) => [file.shard.index, runDir]));
  await copyDrilldownPictures(drilldown, (k) => shardDirs.get(k % count) as string, outDir);
  // The mask set too, unless one is there already: the report's table of pairs shows each pair's
  // mask from it, and a later eval in the merged folder needs it.
  if (!existsSync(runLayout(outDir).maskManifest)) await cp(runLayout(shards[0]?.runDir as string).masksDir, runLayout(outDir).masksDir, { recursive: true });
  const samples = shards.flatMap(({ file }) => file.samples).sort(compareBinThenBorder);
  for (const { runDir } of shards)
    await cp(runLayout(runDir).evalSamplesDir, runLayout(outDir).evalSamplesDir, { recursive: true, force: true }).catch(() => undefined);
  await cp(runLayout(shards[0]?.runDir as string).logsDir, runLayout(outDir).logsDir, { recursive: true, force: true }).catch(() => undefined);
  // training.json too: the report's methods section reads the split sizes and training backend from it.
  await cp(runLayout(shards[0]?.runDir as string).training, runLayout(outDir).training, { force: true }).catch(() => undefined);
  const results = await writeEvaluation(outDir, summariseScores({ header: first.header, perModel, entries: manifest.masks, samples }), drilldown);
  await writeReport(outDir);
  return results;
}
