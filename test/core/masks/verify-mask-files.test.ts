import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { binsFromEdges, PAPER_BIN_EDGES } from '../../../src/core/masks/bins.js';
import type { MaskSetSpec } from '../../../src/core/masks/mask-plan.js';
import { filesIntact, verifyMaskFiles, verifyMaskSet } from '../../../src/core/masks/read-mask-set.js';
import { writeMaskSet } from '../../../src/core/masks/write-mask-set.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

const tempDir = useTempDirs();

const spec: MaskSetSpec = {
  width: 32,
  height: 32,
  seed: 5,
  bins: binsFromEdges(PAPER_BIN_EDGES),
  binRule: '(lo,hi]',
  margin: 2,
  subsets: ['no-border', 'border'],
  perBin: 1,
  generator: { kind: 'pconv-keras', sizeFactor: 0.03, minThickness: 2, lines: true, circles: true, ellipses: true },
  limits: { maxShapes: 5000, maxAttempts: 20 },
};

async function maskSet() {
  const out = await tempDir();
  const { dir, manifest } = await writeMaskSet(spec, { outDir: out, workers: 0 });
  return { dir, manifest };
}

describe('verifyMaskFiles', () => {
  test('an intact set is intact', async () => {
    const { dir, manifest } = await maskSet();
    expect(manifest.masks).toHaveLength(12);
    expect(await verifyMaskFiles(dir, manifest)).toEqual({ ok: true });
    expect(await filesIntact(dir, manifest)).toBe(true);
    const whole = await verifyMaskSet(dir);
    expect(whole.ok && whole.manifest).toEqual(manifest);
  });

  test('one deleted PNG: not intact, naming the file', async () => {
    const { dir, manifest } = await maskSet();
    const victim = manifest.masks[7]?.file as string;
    await rm(join(dir, victim));
    expect(await verifyMaskFiles(dir, manifest)).toEqual({ ok: false, file: victim, problem: `${join(dir, victim)} is missing`, damaged: 1 });
    expect(await filesIntact(dir, manifest)).toBe(false);
    expect(await verifyMaskSet(dir)).toEqual({ ok: false, file: victim, problem: `${join(dir, victim)} is missing` });
  });

  test('one changed byte (same size): not intact, naming the file', async () => {
    const { dir, manifest } = await maskSet();
    const victim = manifest.masks[3]?.file as string;
    const path = join(dir, victim);
    const bytes = await readFile(path);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0x01;
    await writeFile(path, bytes);
    const check = await verifyMaskFiles(dir, manifest);
    expect(check).toMatchObject({ ok: false, file: victim, damaged: 1 });
    expect(!check.ok && check.problem).toBe(`${path} does not match its recorded hash (altered or damaged)`);
  });

  test('with several damaged files the first in manifest order is named, whatever the concurrency, with the count', async () => {
    const { dir, manifest } = await maskSet();
    const [first, second, third] = [manifest.masks[2], manifest.masks[5], manifest.masks[11]].map((m) => m?.file as string);
    await rm(join(dir, third as string));
    await writeFile(join(dir, second as string), 'x');
    await rm(join(dir, first as string));
    for (const concurrency of [1, 4, 64]) {
      expect(await verifyMaskFiles(dir, manifest, { concurrency })).toEqual({
        ok: false,
        file: first,
        problem: `${join(dir, first as string)} is missing (and 2 more of the 12 masks)`,
        damaged: 3,
      });
    }
  });

  test('a missing or unreadable manifest is named', async () => {
    const { dir } = await maskSet();
    const manifestPath = join(dir, 'manifest.json');
    await writeFile(manifestPath, '{"format":"pconv-bench/masks@1"');
    expect(await verifyMaskSet(dir)).toEqual({ ok: false, file: 'manifest.json', problem: `${manifestPath} is not a valid mask manifest` });
    await rm(manifestPath);
    expect(await verifyMaskSet(dir)).toEqual({ ok: false, file: 'manifest.json', problem: `${manifestPath} is missing` });
  });
});
