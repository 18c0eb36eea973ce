import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { InterruptedError } from '../../../src/core/errors.js';
import { sha256Of } from '../../../src/core/io/stable-json.js';
import { binsFromEdges, inBin, PAPER_BIN_EDGES } from '../../../src/core/masks/bins.js';
import { borderSubsetOf, HOLE, holeRatio, VALID } from '../../../src/core/masks/mask-image.js';
import { type MaskSetSpec, planMaskSet } from '../../../src/core/masks/mask-plan.js';
import { renderMask } from '../../../src/core/masks/render-mask.js';
import { shapeSourceFor } from '../../../src/core/masks/shape-source-for.js';
import { writeMaskSet } from '../../../src/core/masks/write-mask-set.js';
import { MaskManifestSchema } from '../../../src/protocol/mask-manifest.js';
import { readMaskPng } from '../../helpers/read-mask.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();

const spec: MaskSetSpec = {
  width: 48,
  height: 48,
  seed: 11,
  bins: binsFromEdges(PAPER_BIN_EDGES),
  binRule: '(lo,hi]',
  margin: 3,
  subsets: ['no-border', 'border'],
  perBin: 3,
  generator: { kind: 'pconv-keras', sizeFactor: 0.03, minThickness: 3, lines: true, circles: true, ellipses: true },
  limits: { maxShapes: 5000, maxAttempts: 20 },
};

describe('writeMaskSet', () => {
  test('writes every bin x subset, as 8-bit greyscale 0/255 PNGs whose measured ratio, bin and subset match the manifest', async () => {
    const out = await tempDir();
    const result = await writeMaskSet(spec, { outDir: out, workers: 0 });
    const manifest = MaskManifestSchema.parse(JSON.parse(await readFile(join(out, 'masks', 'manifest.json'), 'utf8')));
    expect(manifest.masks).toHaveLength(6 * 2 * 3);
    expect(manifest.counts).toEqual(
      spec.bins.flatMap((bin) => [
        { bin: `(${bin.lo}, ${bin.hi}]`, border: 'no-border', count: 3 },
        { bin: `(${bin.lo}, ${bin.hi}]`, border: 'border', count: 3 },
      ]),
    );
    const pixels = new Set<string>();
    for (const entry of manifest.masks) {
      const mask = await readMaskPng(join(out, 'masks', entry.file));
      expect(mask.channels).toBe(1);
      expect(mask.depth).toBe('uchar');
      expect(mask.data.every((v) => v === HOLE || v === VALID)).toBe(true);
      expect(holeRatio(mask)).toBe(entry.holeRatio);
      expect(inBin(entry.holeRatio, spec.bins[entry.binIndex] as { lo: number; hi: number }, '(lo,hi]')).toBe(true);
      expect(borderSubsetOf(mask, spec.margin)).toBe(entry.border);
      expect(sha256Of(await readFile(join(out, 'masks', entry.file)))).toBe(entry.sha256);
      pixels.add(Buffer.from(mask.data).toString('base64'));
    }
    expect(pixels.size).toBe(manifest.masks.length);
    expect(result.upToDate).toBe(false);
  });

  test('the same spec gives byte-identical files, and one mask can be regenerated alone from its manifest seed', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    const first = await writeMaskSet(spec, { outDir: a, workers: 0 });
    await writeMaskSet(spec, { outDir: b, workers: 0 });
    for (const entry of first.manifest.masks) {
      expect((await readFile(join(b, 'masks', entry.file))).equals(await readFile(join(a, 'masks', entry.file)))).toBe(true);
    }
    const entry = first.manifest.masks[29];
    const job = planMaskSet(spec).find((j) => j.file === entry?.file);
    expect(entry && job).toBeTruthy();
    if (!entry || !job || entry.seed === null) return;
    const alone = renderMask(spec, shapeSourceFor(spec.generator, spec.width, spec.height), job, entry.seed);
    expect(alone.png.equals(await readFile(join(a, 'masks', entry.file)))).toBe(true);
  });

  test('a second run is skipped when the set is intact, redone when a file is damaged', async () => {
    const out = await tempDir();
    const first = await writeMaskSet(spec, { outDir: out, workers: 0 });
    expect((await writeMaskSet(spec, { outDir: out, workers: 0 })).upToDate).toBe(true);
    const victim = join(out, 'masks', first.manifest.masks[0]?.file ?? '');
    await writeFile(victim, 'damaged');
    const again = await writeMaskSet(spec, { outDir: out, workers: 0 });
    expect(again.upToDate).toBe(false);
    expect(sha256Of(await readFile(victim))).toBe(first.manifest.masks[0]?.sha256);
  });

  test('a set made with other settings is kept unless forced', async () => {
    const out = await tempDir();
    await writeMaskSet(spec, { outDir: out, workers: 0 });
    const other = { ...spec, seed: 12 };
    await expect(writeMaskSet(other, { outDir: out, workers: 0 })).rejects.toThrow(/holds a mask set made with other settings/);
    const forced = await writeMaskSet(other, { outDir: out, workers: 0, force: true });
    expect(forced.manifest.settings.seed).toBe(12);
  });

  test('an interrupted run leaves neither a partial set nor a staging folder behind', async () => {
    const out = await tempDir();
    const controller = new AbortController();
    let seen = 0;
    const run = writeMaskSet(
      { ...spec, perBin: 50 },
      {
        outDir: out,
        workers: 0,
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'progress' && ++seen === 10) controller.abort();
        },
      },
    );
    await expect(run).rejects.toBeInstanceOf(InterruptedError);
    expect(await readdir(out)).toEqual([]);
  });

  test('an unreachable bin fails the whole set and writes nothing', async () => {
    const out = await tempDir();
    await expect(writeMaskSet({ ...spec, margin: 20 }, { outDir: out, workers: 0 })).rejects.toThrow(/cannot be filled/);
    expect(await readdir(out)).toEqual([]);
  });
});
