import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { OnEvent } from '../../protocol/events.js';
import type { MaskEntry, MaskManifest } from '../../protocol/mask-manifest.js';
import { MASK_MANIFEST_FILE, runLayout } from '../../protocol/run-layout.js';
import { UserError } from '../errors.js';
import { makeStagingDir, replaceDir, writeFileAtomic } from '../io/atomic.js';
import { sha256Of, stableStringify } from '../io/stable-json.js';
import { deriveSeed } from '../rng.js';
import { binLabel } from './bins.js';
import { countMasks } from './manifest-counts.js';
import { type MaskSetSpec, planMaskSet } from './mask-plan.js';
import { filesIntact, readExistingManifest } from './read-mask-set.js';
import { type RenderItem, type RenderOutcome, renderMasks } from './render-pool.js';

/** Bumped whenever the drawing changes, so masks of an older algorithm are never taken as up to date. */
export const MASK_ALGORITHM = 'binned-steering@1';

export interface WriteMaskSetOptions {
  /** The set goes to <outDir>/masks/. */
  readonly outDir: string;
  /** Replace a set made with other settings instead of refusing. */
  readonly force?: boolean;
  readonly workers?: number;
  /** Draw only masks j with j % count == index (one process or machine of several). */
  readonly shard?: Shard;
  readonly signal?: AbortSignal;
  readonly onEvent?: OnEvent;
}

export interface Shard {
  readonly index: number;
  readonly count: number;
}

export interface WriteMaskSetResult {
  readonly dir: string;
  readonly manifest: MaskManifest;
  /** True when an identical, intact set was already there. */
  readonly upToDate: boolean;
}

/** Duplicate masks are redrawn with fresh derived seeds at most this many times each. */
const MAX_REDRAWS = 50;

/**
 * Writes the test mask set of a spec: every bin x border subset x perBin masks as PNG files plus a
 * manifest. All files are drawn into a staging folder that replaces <outDir>/masks only when
 * complete, so an interruption never leaves a partial set that a later stage would trust.
 */
export async function writeMaskSet(spec: MaskSetSpec, options: WriteMaskSetOptions): Promise<WriteMaskSetResult> {
  const dir = runLayout(options.outDir).masksDir;
  const emit = options.onEvent ?? (() => {});
  const shard = options.shard && options.shard.count > 1 ? options.shard : undefined;
  const settings = { algorithm: MASK_ALGORITHM, ...spec, ...(shard ? { shard } : {}) } as unknown as Record<string, unknown>;
  const settingsHash = sha256Of(stableStringify(settings));

  const existing = await readExistingManifest(dir);
  if (existing) {
    if (existing.settingsHash === settingsHash && (await filesIntact(dir, existing))) {
      emit({ type: 'stage', stage: 'masks', status: 'skipped', message: `${dir} is up to date (${existing.masks.length} masks)` });
      return { dir, manifest: existing, upToDate: true };
    }
    if (existing.settingsHash !== settingsHash && !options.force) {
      throw new UserError('MASKS_EXIST', `${dir} holds a mask set made with other settings`, {
        hint: 'Pass --force to replace it, or --out to write the new set elsewhere.',
      });
    }
  }

  const jobs = planMaskSet(spec).filter((_, j) => !shard || j % shard.count === shard.index);
  emit({ type: 'stage', stage: 'masks', status: 'started', message: `${jobs.length} masks at ${spec.width}x${spec.height}` });
  const staging = await makeStagingDir(dir);
  try {
    const progress = (done: number) => emit({ type: 'progress', stage: 'masks', done, total: jobs.length, unit: 'masks' });
    const items: RenderItem[] = jobs.map((job, index) => ({ index, job, seed: job.seed }));
    const outcomes = await renderMasks(spec, items, staging, { workers: options.workers, signal: options.signal, onProgress: progress });
    const { final, seeds } = await redrawDuplicates(spec, items, outcomes, staging, options.signal);
    const entries: MaskEntry[] = jobs.map((job, index) => {
      const outcome = final[index] as RenderOutcome;
      return {
        file: job.file,
        width: spec.width,
        height: spec.height,
        holeRatio: outcome.holeRatio,
        bin: binLabel(job.target.bin, spec.binRule),
        binIndex: job.binIndex,
        border: job.target.subset,
        generator: spec.generator.kind,
        seed: seeds[index] as number,
        sha256: outcome.sha256,
      };
    });
    const manifest = buildMaskManifest(spec, settings, entries, shard);
    await writeFileAtomic(join(staging, MASK_MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
    await replaceDir(staging, dir);
    emit({ type: 'stage', stage: 'masks', status: 'finished', message: `${entries.length} masks in ${dir}` });
    return { dir, manifest, upToDate: false };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** The manifest of a generated set (or shard); merge uses it too, so merged bytes equal unsharded ones. */
export function buildMaskManifest(spec: MaskSetSpec, settings: Record<string, unknown>, entries: MaskEntry[], shard?: Shard): MaskManifest {
  return {
    format: 'pconv-bench/masks@1',
    width: spec.width,
    height: spec.height,
    binRule: spec.binRule,
    bins: spec.bins.map((bin) => ({ ...bin, label: binLabel(bin, spec.binRule) })),
    borderMargin: spec.margin,
    settings,
    settingsHash: sha256Of(stableStringify(settings)),
    counts: countMasks(entries),
    skipped: [],
    masks: entries,
    ...(shard ? { shard: { index: shard.index, count: shard.count } } : {}),
  };
}

/**
 * Keeps the masks of a set distinct: a mask whose pixels equal an earlier one's is redrawn with a
 * seed derived from its own, and the manifest records the seed that drew it.
 */
async function redrawDuplicates(spec: MaskSetSpec, items: RenderItem[], outcomes: RenderOutcome[], dir: string, signal?: AbortSignal) {
  const final = [...outcomes];
  const seeds = items.map((item) => item.seed);
  const seen = new Set<string>();
  for (let index = 0; index < final.length; index++) {
    let outcome = final[index] as RenderOutcome;
    for (let redraw = 1; seen.has(outcome.sha256); redraw++) {
      const item = items[index] as RenderItem;
      if (redraw > MAX_REDRAWS) {
        throw new UserError(
          'MASK_BIN_TOO_SMALL',
          `cannot draw ${spec.perBin} distinct masks for bin ${binLabel(item.job.target.bin, spec.binRule)} (${item.job.target.subset}) at ${spec.width}x${spec.height}`,
          {
            hint: 'Lower masks.perBin or raise data.imageSize: the bin allows too few different masks.',
          },
        );
      }
      const seed = deriveSeed(item.seed, 'distinct', redraw);
      [outcome] = (await renderMasks(spec, [{ ...item, seed }], dir, { workers: 0, signal })) as [RenderOutcome];
      final[index] = outcome;
      seeds[index] = seed;
    }
    seen.add(outcome.sha256);
  }
  return { final, seeds };
}
