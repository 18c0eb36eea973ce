import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { sha256Of } from '../../../src/core/io/stable-json.js';
import { drilldownFilesOf } from '../../../src/eval/drilldown/drilldown-files.js';
import { copyDrilldownPictures, type DrilldownPictureSource, writeDrilldownPictures } from '../../../src/eval/drilldown/drilldown-pictures.js';
import type { Drilldown } from '../../../src/protocol/drilldown.js';
import { useTempDirs } from '../../helpers/temp-dir.js';
import { userErrorOf } from '../../helpers/user-error.js';

const tempDir = useTempDirs();
const SIZE = 4;
const MODELS = ['A', 'Conv (baseline)'];

/** A source whose pictures are flat colours; `keys` says what made each pair's, `made` counts the pairs made. */
function fakeSource(keys: Map<number, string>): DrilldownPictureSource & { made: number[] } {
  const made: number[] = [];
  return {
    made,
    keyOf: async (k) => keys.get(k) ?? `key ${k}`,
    make: async (k) => {
      made.push(k);
      const valid = new Float32Array(SIZE * SIZE).fill(1);
      valid[0] = 0;
      return {
        image: new Float32Array(SIZE * SIZE * 3).fill(0.5),
        valid,
        composites: MODELS.map((name, i) => ({ name, data: new Float32Array(SIZE * SIZE * 3).fill(i / 2) })),
      };
    },
  };
}

const write = (runDir: string, ks: number[], source: DrilldownPictureSource, signal?: AbortSignal) =>
  writeDrilldownPictures({ runDir, size: SIZE, ks, models: MODELS, source, signal });

const files = async (runDir: string) => (await readdir(join(runDir, 'drilldown'))).sort();

describe('drill-down pictures', () => {
  test('writes every picture of each pair, its stamp last; the mask white where known, the input white in the holes', async () => {
    const run = await tempDir();
    const source = fakeSource(new Map());
    expect(await write(run, [1, 12], source)).toEqual({ made: 2 });
    expect(await files(run)).toEqual([...drilldownFilesOf(1, MODELS), ...drilldownFilesOf(12, MODELS)].map((f) => f.replace('drilldown/', '')).sort());
    expect(await files(run)).toContain('pair-00012.model-conv-baseline.png');
    const mask = await sharp(join(run, 'drilldown/pair-00001.mask.png')).extractChannel(0).raw().toBuffer();
    expect([...mask.subarray(0, 2)]).toEqual([0, 255]);
    const input = await sharp(join(run, 'drilldown/pair-00001.input.png')).raw().toBuffer();
    expect([...input.subarray(0, 6)]).toEqual([255, 255, 255, 128, 128, 128]);
    const stamp = JSON.parse(await readFile(join(run, 'drilldown/pair-00001.json'), 'utf8'));
    expect(stamp).toMatchObject({ format: 'pconv-bench/drilldown-pictures@1', k: 1, key: 'key 1' });
    // Each picture by the hash of its bytes, so that a damaged one is found.
    expect(Object.keys(stamp.files).sort()).toEqual(drilldownFilesOf(1, MODELS).slice(0, -1).sort());
    expect(stamp.files['drilldown/pair-00001.mask.png']).toBe(sha256Of(await readFile(join(run, 'drilldown/pair-00001.mask.png'))));
  });

  test('kept while the stamp names what would make them; made again when it names something else, is gone, or a picture is gone or changed', async () => {
    const run = await tempDir();
    const keys = new Map<number, string>();
    await write(run, [1, 2, 3], fakeSource(keys));
    const again = fakeSource(keys);
    expect(await write(run, [1, 2, 3], again)).toEqual({ made: 0 });
    keys.set(1, 'a retrained model');
    await rm(join(run, 'drilldown/pair-00002.json'));
    await rm(join(run, 'drilldown/pair-00003.model-a.png'));
    const third = fakeSource(keys);
    expect(await write(run, [1, 2, 3], third)).toEqual({ made: 3 });
    expect(third.made).toEqual([1, 2, 3]);
    await writeFile(join(run, 'drilldown/pair-00002.target.png'), 'damaged');
    const fourth = fakeSource(keys);
    expect(await write(run, [1, 2, 3], fourth)).toEqual({ made: 1 });
    expect(fourth.made).toEqual([2]);
    expect(await files(run)).toHaveLength(3 * 6);
  });

  test("another choice removes the earlier pairs' files and nothing else; an interrupted one removes nothing", async () => {
    const run = await tempDir();
    await write(run, [1, 2], fakeSource(new Map()));
    await writeFile(join(run, 'drilldown/notes.txt'), 'mine');
    const stopped = new AbortController();
    stopped.abort();
    expect(await write(run, [5], fakeSource(new Map()), stopped.signal)).toEqual({ made: 0 });
    expect(await files(run)).toHaveLength(2 * 6 + 1);
    await write(run, [2], fakeSource(new Map()));
    expect(await files(run)).toEqual([...drilldownFilesOf(2, MODELS).map((f) => f.replace('drilldown/', '')), 'notes.txt'].sort());
  });

  test('merge copies each chosen pair from the shard that scored it, and names a file a shard lacks', async () => {
    const [shard0, shard1, out] = [await tempDir(), await tempDir(), await tempDir()];
    await write(shard0, [0, 2], fakeSource(new Map()));
    await write(shard1, [1, 3], fakeSource(new Map()));
    const pair = (k: number) => ({ k, binIndex: 0, border: 'no-border' as const, holeRatio: 0.1, input: '', mask: '', target: '', outputs: {}, metrics: {} });
    const drilldown = { models: MODELS, pairs: [pair(0), pair(3)] } as unknown as Drilldown;
    await mkdir(join(out, 'drilldown'), { recursive: true });
    await writeFile(join(out, 'drilldown/pair-00007.input.png'), 'an earlier choice');
    await copyDrilldownPictures(drilldown, (k) => (k % 2 === 0 ? shard0 : shard1), out);
    expect(await files(out)).toEqual([...drilldownFilesOf(0, MODELS), ...drilldownFilesOf(3, MODELS)].map((f) => f.replace('drilldown/', '')).sort());
    expect((await readFile(join(out, 'drilldown/pair-00003.model-a.png'))).equals(await readFile(join(shard1, 'drilldown/pair-00003.model-a.png')))).toBe(true);
    await rm(join(shard1, 'drilldown/pair-00003.target.png'));
    const error = await userErrorOf(copyDrilldownPictures(drilldown, (k) => (k % 2 === 0 ? shard0 : shard1), out));
    expect(error.code).toBe('MERGE_DRILLDOWN_MISSING');
    expect(error.message).toContain(join(shard1, 'drilldown/pair-00003.target.png'));
    expect(error.hint).toContain(`--run ${shard1} --shard i/n`);
  });
});
