import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeGreyPng } from '../../src/core/io/png-gray.js';
import { groupMasks } from '../../src/core/masks/manifest-counts.js';
import { writeDrilldownPictures } from '../../src/eval/drilldown/drilldown-pictures.js';
import { drilldownRecord, drilldownText } from '../../src/eval/drilldown/drilldown-record.js';
import type { Drilldown } from '../../src/protocol/drilldown.js';
import { MaskManifestSchema } from '../../src/protocol/mask-manifest.js';
import type { Results } from '../../src/protocol/results.js';
import { runLayout } from '../../src/protocol/run-layout.js';
import { metricsOf, type SyntheticRunSpec } from './synthetic-runs.js';

const SIZE = 16;

/**
 * The drill-down of a run written by writeSyntheticRun: drilldown.json chosen from its scores as
 * eval chooses, and its pictures (16 px, a flat grey per picture, a hole in the corner) with
 * their stamps, written by eval's own writer. `masks: true` also writes each mask file the
 * manifest names (the table of pairs shows them).
 */
export async function writeSyntheticDrilldown(
  dir: string,
  spec: SyntheticRunSpec,
  results: Results,
  options: { readonly masks?: boolean } = {},
): Promise<Drilldown> {
  const layout = runLayout(dir);
  const manifest = MaskManifestSchema.parse(JSON.parse(await readFile(layout.maskManifest, 'utf8')));
  const perModel = new Map(spec.models.map((m) => [m.name, m.psnr.map((v, k) => (v === null ? undefined : metricsOf(v, !(spec.noHoles ?? []).includes(k))))]));
  const models = results.models.map((m) => m.name);
  const drilldown = drilldownRecord({
    groups: groupMasks(manifest.masks),
    entries: manifest.masks,
    perModel,
    models,
    masksSha256: results.masks.manifestSha256,
  });
  await writeFile(layout.drilldown, drilldownText(drilldown));
  const valid = new Float32Array(SIZE * SIZE).fill(1).fill(0, 0, 40);
  const flat = (grey: number) => new Float32Array(SIZE * SIZE * 3).fill(grey);
  await writeDrilldownPictures({
    runDir: dir,
    size: SIZE,
    ks: drilldown.pairs.map((p) => p.k),
    models,
    source: {
      keyOf: async (k) => `synthetic ${k}`,
      make: async (k) => ({
        image: flat(((k * 37) % 256) / 255),
        valid,
        composites: models.map((name, i) => ({ name, data: flat((i + 1) / (models.length + 1)) })),
      }),
    },
  });
  if (options.masks) {
    const png = encodeGreyPng(
      Uint8Array.from(valid, (v) => v * 255),
      SIZE,
      SIZE,
    );
    await Promise.all(manifest.masks.map((entry) => writeFile(join(layout.masksDir, entry.file), png)));
  }
  return drilldown;
}
