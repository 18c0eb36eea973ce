import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { MaskGroup } from '../../src/core/masks/manifest-counts.js';
import { sampleFile, samplePictures, samplesOf } from '../../src/eval/eval-samples.js';
import { remakeSamplePictures } from '../../src/eval/remake-samples.js';
import { checkSamplePictures, sampleStamp, writeSamplePictures } from '../../src/eval/sample-stamps.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { userErrorOf } from '../helpers/user-error.js';

const tempDir = useTempDirs();
const SIZE = 4;
const MODELS = ['PConv', 'Telea'];

function group(binIndex: number, first: number): MaskGroup {
  return { bin: `bin ${binIndex}`, binIndex, border: 'no-border', indices: [first, first + 2] };
}

/** A pair as the models saw it, and each model's composite: distinct values per pair and model. */
function pairOf(k: number) {
  const image = Float32Array.from({ length: SIZE * SIZE * 3 }, (_, i) => ((i * 7 + k * 13) % 256) / 255);
  const valid = Float32Array.from({ length: SIZE * SIZE }, (_, i) => (i % 3 === 0 ? 0 : 1));
  const composites = MODELS.map((name, m) => ({ name, data: image.map((v) => (v + 0.1 * (m + 1)) % 1) }));
  return { image, valid, composites };
}

/** Two groups evaluated: their pictures written as the scoring path writes them. */
async function evaluated(): Promise<{ run: string; groups: MaskGroup[] }> {
  const run = await tempDir();
  const groups = [group(0, 0), group(1, 1)];
  for (const g of groups) {
    const k = g.indices[0] as number;
    const pair = pairOf(k);
    await writeSamplePictures(run, g, k, await samplePictures(g, pair, pair.composites, SIZE));
  }
  return { run, groups };
}

const samplesOfGroups = (groups: MaskGroup[]) => samplesOf(groups, () => true, MODELS);

describe('sample pictures: their stamps, the check, and making them again', () => {
  test('written with a stamp: intact passes; missing, edited, unrecorded or under a damaged stamp is an error naming the picture, with a hint that eval makes it again', async () => {
    const { run, groups } = await evaluated();
    const samples = samplesOfGroups(groups);
    await checkSamplePictures(run, samples);
    const pconv = sampleFile(groups[1] as MaskGroup, 'PConv');
    const saved = await readFile(join(run, pconv));
    await rm(join(run, pconv));
    const missing = await userErrorOf(checkSamplePictures(run, samples));
    expect(missing).toMatchObject({ code: 'REPORT_SAMPLE_MISSING', message: `sample image ${join(run, pconv)} is missing` });
    expect(missing.hint).toContain('only the missing or changed sample pictures are made again');
    await writeFile(join(run, pconv), Buffer.concat([saved, Buffer.from([0])]));
    expect(await userErrorOf(checkSamplePictures(run, samples))).toMatchObject({
      code: 'REPORT_SAMPLE_DAMAGED',
      message: `sample image ${join(run, pconv)} is not the picture eval wrote (its hash in ${sampleStamp(groups[1] as MaskGroup)} differs)`,
    });
    await writeFile(join(run, pconv), saved);
    await checkSamplePictures(run, samples);
    // A model added to the listing that the stamp never recorded: eval did not finish writing it.
    const withMore = samplesOf(groups, () => true, [...MODELS, 'Conv']);
    await writeFile(join(run, sampleFile(groups[0] as MaskGroup, 'Conv')), saved);
    expect((await userErrorOf(checkSamplePictures(run, withMore))).message).toContain('is not recorded in eval-samples/0-no-border/stamp.json');
    await writeFile(join(run, sampleStamp(groups[0] as MaskGroup)), '{"torn');
    expect((await userErrorOf(checkSamplePictures(run, samples))).message).toBe(
      `sample image ${join(run, sampleFile(groups[0] as MaskGroup, 'input'))} cannot be checked: eval-samples/0-no-border/stamp.json is not a sample stamp`,
    );
    // A folder without a stamp was evaluated before stamps existed: present is enough.
    await rm(join(run, sampleStamp(groups[0] as MaskGroup)));
    await writeFile(join(run, sampleFile(groups[0] as MaskGroup, 'Telea')), 'edited before stamps existed');
    await checkSamplePictures(run, samples);
  });

  test("a later write of some of a pair's pictures keeps the stamp's other hashes; another pair's stamp counts for nothing", async () => {
    const { run, groups } = await evaluated();
    const g = groups[0] as MaskGroup;
    const stampBefore = JSON.parse(await readFile(join(run, sampleStamp(g)), 'utf8'));
    const pair = pairOf(0);
    // Telea scored again alone (its kept score was dropped): its picture and the inputs are written, PConv's kept.
    const telea = (await samplePictures(g, pair, [pair.composites[1] as { name: string; data: Float32Array }], SIZE)).slice(1);
    await writeSamplePictures(run, g, 0, telea);
    expect(JSON.parse(await readFile(join(run, sampleStamp(g)), 'utf8'))).toEqual(stampBefore);
    await checkSamplePictures(run, samplesOfGroups(groups));
    // The group now shows another pair (another mask set): only what is written now is recorded.
    await writeSamplePictures(run, g, 4, telea);
    expect(Object.keys(JSON.parse(await readFile(join(run, sampleStamp(g)), 'utf8')).files)).toEqual(telea.map(([file]) => file));
  });

  test('remakeSamplePictures: intact groups untouched; in a damaged one just the missing or changed pictures, the bytes scoring wrote', async () => {
    const { run, groups } = await evaluated();
    const original = new Map<string, Buffer>();
    for (const g of groups)
      for (const file of [...['input', 'target', ...MODELS].map((n) => sampleFile(g, n)), sampleStamp(g)]) original.set(file, await readFile(join(run, file)));
    const asked: number[] = [];
    const source = {
      make: async (k: number) => {
        asked.push(k);
        const { image, valid, composites } = pairOf(k);
        // Out of order, and with a model the samples do not show: only the listed models are taken.
        return { image, valid, composites: [...composites].reverse().concat([{ name: 'Other', data: image }]) };
      },
    };
    expect(await remakeSamplePictures({ runDir: run, size: SIZE, groups, models: MODELS, source })).toEqual({ made: 0, groups: 0 });
    expect(asked).toEqual([]);
    const g = groups[1] as MaskGroup;
    await rm(join(run, sampleFile(g, 'target')));
    await writeFile(join(run, sampleFile(g, 'Telea')), 'edited');
    expect(await remakeSamplePictures({ runDir: run, size: SIZE, groups, models: MODELS, source })).toEqual({ made: 2, groups: 1 });
    expect(asked).toEqual([1]);
    for (const [file, bytes] of original) expect((await readFile(join(run, file))).equals(bytes), file).toBe(true);
    // Without a stamp nothing can be vouched for: the whole group is made, and stamped.
    await rm(join(run, sampleStamp(g)));
    expect(await remakeSamplePictures({ runDir: run, size: SIZE, groups, models: MODELS, source })).toEqual({ made: 4, groups: 1 });
    for (const [file, bytes] of original) expect((await readFile(join(run, file))).equals(bytes), file).toBe(true);
  });
});
