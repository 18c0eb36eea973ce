import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { MaskEntry, MaskManifest } from '../../protocol/mask-manifest.js';
import { MASK_MANIFEST_FILE, runLayout } from '../../protocol/run-layout.js';
import { UserError } from '../errors.js';
import { makeStagingDir, replaceDir, writeFileAtomic } from '../io/atomic.js';
import { sha256Of } from '../io/stable-json.js';
import { checkShardCoverage } from '../shard-coverage.js';
import { type MaskSetSpec, planMaskSet } from './mask-plan.js';
import { readExistingManifest } from './read-mask-set.js';
import { buildMaskManifest } from './write-mask-set.js';

/**
 * Joins the mask shards of several run folders (`masks --shard i/n`) into <outDir>/masks, with the
 * manifest an unsharded run writes, byte for byte: entries in plan order, settings without the
 * shard. Every shard must be there exactly once, made with the same settings, files intact.
 */
export async function mergeMaskShards(runDirs: readonly string[], outDir: string): Promise<MaskManifest> {
  const shards: { dir: string; manifest: MaskManifest }[] = [];
  for (const runDir of runDirs) {
    const dir = runLayout(runDir).masksDir;
    const manifest = await readExistingManifest(dir);
    if (!manifest)
      throw new UserError('MERGE_NO_MASKS', `no mask set in ${dir}`, { hint: 'Pass the run folders of `pconv-bench masks <config> --shard i/n`.' });
    if (!manifest.shard)
      throw new UserError('MERGE_NOT_SHARD', `${dir} holds a whole mask set, not a shard`, { hint: 'Merge only the outputs of --shard runs.' });
    shards.push({ dir, manifest });
  }
  const count = shards[0]?.manifest.shard?.count ?? 0;
  const { shard: _s, ...base } = (shards[0]?.manifest.settings ?? {}) as Record<string, unknown> & { shard?: unknown };
  const baseText = JSON.stringify(base);
  for (const { dir, manifest } of shards) {
    const { shard: _t, ...settings } = manifest.settings as Record<string, unknown> & { shard?: unknown };
    if (manifest.shard?.count !== count || JSON.stringify(settings) !== baseText) {
      throw new UserError('MERGE_MISMATCH', `${dir} is a shard of another mask set (other settings or shard count)`, {
        hint: 'Merge shards made from one config with one --shard n.',
      });
    }
  }
  checkShardCoverage(
    shards.map(({ manifest }) => manifest.shard?.index as number),
    count,
    'shard',
  );

  const { algorithm: _a, ...spec } = base as unknown as MaskSetSpec & { algorithm: string };
  const order = new Map(planMaskSet(spec).map((job, j) => [job.file, j]));
  const located = shards.flatMap(({ dir, manifest }) => manifest.masks.map((entry) => ({ dir, entry })));
  located.sort((a, b) => (order.get(a.entry.file) ?? 0) - (order.get(b.entry.file) ?? 0));
  const hashes = new Set<string>();
  for (const { entry } of located) {
    if (hashes.has(entry.sha256))
      throw new UserError('MERGE_DUPLICATE_MASK', `two shards drew the same mask (${entry.file})`, {
        hint: 'Generate this set without --shard: only a whole run can redraw duplicates.',
      });
    hashes.add(entry.sha256);
  }
  const target = runLayout(outDir).masksDir;
  const staging = await makeStagingDir(target);
  try {
    for (const { dir, entry } of located) {
      const to = join(staging, entry.file);
      await mkdir(dirname(to), { recursive: true });
      await copyFile(join(dir, entry.file), to);
      if (sha256Of(await readFile(to)) !== entry.sha256)
        throw new UserError('MERGE_DAMAGED', `${join(dir, entry.file)} does not match its manifest`, { hint: 'Run that shard again.' });
    }
    const entries: MaskEntry[] = located.map(({ entry }) => entry);
    const manifest = buildMaskManifest(spec, base, entries);
    await writeFileAtomic(join(staging, MASK_MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
    await replaceDir(staging, target);
    return manifest;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
