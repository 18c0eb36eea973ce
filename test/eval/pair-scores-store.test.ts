import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { type PairScore, readKeptScores, removeScores, ScoresWriter, scoresFileName, slugOf } from '../../src/eval/pair-scores-store.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

const score = (k: number, hole: 'hole' | 'no hole' = 'hole'): PairScore => ({
  k,
  stamp: `s${k}`,
  // Values that need all 17 digits to read back as the same double.
  metrics: { l1Hole: hole === 'hole' ? k / 3 : undefined, l1: 0.1 + k * 0.2, psnr: 1 / 3 + k, ssim: Math.PI / (k + 4) },
});

describe('pair scores store', () => {
  test('scores read back as the very doubles written, from the files of every shard; a missing hole L1 stays missing', async () => {
    const run = await tempDir();
    const header = { model: 'Conv (baseline)', fingerprint: 'f1', engine: 'onnx' };
    const whole = await ScoresWriter.open(run, header);
    await whole.append([score(0), score(2, 'no hole')]);
    await whole.close();
    const shard = await ScoresWriter.open(run, header, { index: 1, count: 2 });
    await shard.append([score(1), score(3)]);
    await shard.close();
    expect((await readdir(join(run, 'scores'))).sort()).toEqual(['conv-baseline.jsonl', 'conv-baseline.shard-1-of-2.jsonl']);
    const kept = await readKeptScores(run, 'Conv (baseline)', 'f1');
    expect(kept.engine).toBe('onnx');
    expect(kept.stale).toEqual([]);
    expect([...kept.scores.keys()].sort()).toEqual([0, 1, 2, 3]);
    for (const k of [0, 1, 3]) expect(kept.scores.get(k)).toEqual(score(k));
    expect(kept.scores.get(2)?.metrics.l1Hole).toBeUndefined();
    expect(Object.is(kept.scores.get(1)?.metrics.ssim, Math.PI / 5)).toBe(true);
  });

  test('appends started together (batches scored at the same time) all land, none over another', async () => {
    const run = await tempDir();
    const writer = await ScoresWriter.open(run, { model: 'PConv', fingerprint: 'f' });
    await Promise.all(Array.from({ length: 20 }, (_, b) => writer.append([score(2 * b), score(2 * b + 1)])));
    await writer.close();
    expect([...(await readKeptScores(run, 'PConv', 'f')).scores.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, k) => k));
  });

  test('a line torn by a crash is dropped and cut off before the next append; later lines stay whole', async () => {
    const run = await tempDir();
    const header = { model: 'PConv', fingerprint: 'f' };
    const writer = await ScoresWriter.open(run, header);
    await writer.append([score(0), score(1)]);
    await writer.close();
    const path = join(run, 'scores', 'pconv.jsonl');
    // kill -9 in the middle of a write: half a line, no newline.
    await appendFile(path, '[2,"s2",0.66');
    expect([...(await readKeptScores(run, 'PConv', 'f')).scores.keys()]).toEqual([0, 1]);
    const again = await ScoresWriter.open(run, header);
    await again.append([score(2)]);
    await again.close();
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines).toHaveLength(5); // header, 3 pairs, '' after the last newline
    expect([...(await readKeptScores(run, 'PConv', 'f')).scores.values()]).toEqual([score(0), score(1), score(2)]);
  });

  test('a line that is whole but not a score, and everything after it, is not trusted', async () => {
    const run = await tempDir();
    const writer = await ScoresWriter.open(run, { model: 'PConv', fingerprint: 'f' });
    await writer.append([score(0)]);
    await writer.close();
    const path = join(run, 'scores', 'pconv.jsonl');
    await appendFile(path, '[1,"s1","x",1,2,3]\n[2,"s2",1,2,3,4]\n');
    expect([...(await readKeptScores(run, 'PConv', 'f')).scores.keys()]).toEqual([0]);
  });

  test('files of another checkpoint or engine (fingerprint) are stale; the writer starts such a file afresh', async () => {
    const run = await tempDir();
    const old = await ScoresWriter.open(run, { model: 'PConv', fingerprint: 'old' });
    await old.append([score(0)]);
    await old.close();
    const kept = await readKeptScores(run, 'PConv', 'new');
    expect(kept.scores.size).toBe(0);
    expect(kept.stale).toEqual([join(run, 'scores', 'pconv.jsonl')]);
    const fresh = await ScoresWriter.open(run, { model: 'PConv', fingerprint: 'new' });
    await fresh.append([score(5)]);
    await fresh.close();
    expect([...(await readKeptScores(run, 'PConv', 'new')).scores.keys()]).toEqual([5]);
    expect((await readKeptScores(run, 'PConv', 'old')).scores.size).toBe(0);
  });

  test('a file whose header names another model (two names with one slug) is not read as this one', async () => {
    const run = await tempDir();
    expect(slugOf('my tool')).toBe(slugOf('my-tool'));
    const a = await ScoresWriter.open(run, { model: 'my tool', fingerprint: 'f' });
    await a.append([score(0)]);
    await a.close();
    expect((await readKeptScores(run, 'my-tool', 'f')).scores.size).toBe(0);
  });

  test('removeScores forgets every shard file of the named models and nothing else', async () => {
    const run = await tempDir();
    for (const [model, shard] of [
      ['PConv', undefined],
      ['PConv', { index: 0, count: 3 }],
      ['Telea (OpenCV, radius 3)', undefined],
    ] as const) {
      const w = await ScoresWriter.open(run, { model, fingerprint: 'f' }, shard);
      await w.append([score(0)]);
      await w.close();
    }
    await writeFile(join(run, 'scores', 'pconvx.jsonl'), 'not ours\n');
    await removeScores(run, ['PConv']);
    expect((await readdir(join(run, 'scores'))).sort()).toEqual(['pconvx.jsonl', scoresFileName('Telea (OpenCV, radius 3)')]);
  });
});
