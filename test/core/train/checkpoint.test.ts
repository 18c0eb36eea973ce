import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import type { UserError } from '../../../src/core/errors.js';
import { sha256Of } from '../../../src/core/io/stable-json.js';
import {
  CHECKPOINT_FORMAT,
  type CheckpointMeta,
  loadCheckpoint,
  loadCheckpointMeta,
  saveCheckpoint,
  verifyCheckpoint,
} from '../../../src/core/train/checkpoint.js';
import { useTempDirs } from '../../helpers/temp-dir.js';
import { userErrorOf } from '../../helpers/user-error.js';

const tempDir = useTempDirs();

const meta: Omit<CheckpointMeta, 'tensors' | 'tensorsSha256' | 'files' | 'format'> = {
  model: 'pconv',
  phase: 1,
  step: 3,
  phaseFinished: false,
  seed: 7,
  optimizer: { kind: 'adam', t: 3, learningRate: 0.001 },
  configHash: 'abc',
  backend: { name: 'cpu', version: '4.22.0', device: 'cpu' },
  createdAt: '2025-01-01T00:00:00.000Z',
  config: { name: 'tiny' },
};

/** A two-tensor checkpoint in a fresh folder. */
async function tinyCheckpoint(): Promise<string> {
  const dir = join(await tempDir(), 'latest');
  const a = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tf.tensor([0.5, -0.25], [2]);
  await saveCheckpoint(
    dir,
    meta,
    new Map([
      ['enc0/kernel', a],
      ['adam.m/enc0/kernel', b],
    ]),
  );
  tf.dispose([a, b]);
  return dir;
}

async function editMeta(dir: string, edit: (json: Record<string, unknown>) => void): Promise<void> {
  const path = join(dir, 'checkpoint.json');
  const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  edit(json);
  await writeFile(path, JSON.stringify(json, null, 1));
}

/** The UserError loading the checkpoint in `dir` fails with. */
function loadError(dir: string): Promise<UserError> {
  return userErrorOf(loadCheckpoint(dir));
}

describe('checkpoint files', () => {
  test('checkpoint.json lists tensors.bin with its size and sha256; an intact checkpoint verifies and loads', async () => {
    const dir = await tinyCheckpoint();
    const json = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as CheckpointMeta;
    const bytes = await readFile(join(dir, 'tensors.bin'));
    expect(json.format).toBe(CHECKPOINT_FORMAT);
    expect(json.files).toEqual([{ name: 'tensors.bin', bytes: 32, sha256: sha256Of(bytes) }]);
    expect(json.tensorsSha256).toBe(sha256Of(bytes));

    const check = await verifyCheckpoint(dir);
    expect(check.ok).toBe(true);
    expect(check.ok && check.meta.step).toBe(3);
    const loaded = await loadCheckpoint(dir);
    expect([...(loaded.tensors.get('adam.m/enc0/kernel')?.values ?? [])]).toEqual([0.5, -0.25]);
    expect((await loadCheckpointMeta(dir)).configHash).toBe('abc');
  });

  test('one flipped byte in tensors.bin: verify names the file, load refuses with a hint', async () => {
    const dir = await tinyCheckpoint();
    const path = join(dir, 'tensors.bin');
    const bytes = await readFile(path);
    bytes[17] = (bytes[17] as number) ^ 0x01;
    await writeFile(path, bytes);

    const check = await verifyCheckpoint(dir);
    expect(check).toMatchObject({ ok: false, code: 'CHECKPOINT_CORRUPT', file: 'tensors.bin' });
    expect(!check.ok && check.problem).toBe(`checkpoint ${dir} is damaged: tensors.bin does not match its recorded hash (truncated or altered)`);
    const error = await loadError(dir);
    expect(error.code).toBe('CHECKPOINT_CORRUPT');
    expect(error.message).toBe(!check.ok && check.problem);
    expect(error.hint).toMatch(/Delete the folder and train again \(pconv-bench train <config> --restart\).*phase1, phase2, latest.*--resume/);
    // Only the tensors are read by verify's hash, not the meta: checkpoint.json alone still reads.
    expect((await loadCheckpointMeta(dir)).step).toBe(3);
  });

  test('a truncated tensors.bin is told by its size, before any hashing', async () => {
    const dir = await tinyCheckpoint();
    const path = join(dir, 'tensors.bin');
    await writeFile(path, (await readFile(path)).subarray(0, 24));
    const check = await verifyCheckpoint(dir);
    expect(check).toMatchObject({ ok: false, file: 'tensors.bin' });
    expect(!check.ok && check.problem).toMatch(/is damaged: tensors.bin does not match its recorded hash \(24 bytes where 32 were written: truncated\)$/);
    expect((await loadError(dir)).message).toMatch(/24 bytes where 32 were written: truncated/);
  });

  test('a deleted file is named: tensors.bin, checkpoint.json, or the whole folder', async () => {
    const dir = await tinyCheckpoint();
    await rm(join(dir, 'tensors.bin'));
    expect(await verifyCheckpoint(dir)).toMatchObject({
      ok: false,
      code: 'CHECKPOINT_CORRUPT',
      file: 'tensors.bin',
      problem: `checkpoint ${dir} is damaged: tensors.bin is missing`,
    });
    expect((await loadError(dir)).message).toBe(`checkpoint ${dir} is damaged: tensors.bin is missing`);

    await rm(join(dir, 'checkpoint.json'));
    expect(await verifyCheckpoint(dir)).toMatchObject({
      ok: false,
      code: 'CHECKPOINT_CORRUPT',
      file: 'checkpoint.json',
      problem: `checkpoint ${dir} is damaged: checkpoint.json is missing`,
    });
    await expect(loadCheckpointMeta(dir)).rejects.toThrow(/checkpoint.json is missing/);

    await rm(dir, { recursive: true });
    expect(await verifyCheckpoint(dir)).toMatchObject({ ok: false, code: 'CHECKPOINT_MISSING', problem: `no checkpoint at ${dir}` });
    expect((await loadError(dir)).code).toBe('CHECKPOINT_MISSING');
  });

  test('a checkpoint written before the files table (tensorsSha256 only) still verifies and loads, and is still checked', async () => {
    const dir = await tinyCheckpoint();
    await editMeta(dir, (json) => {
      delete json.files;
    });
    expect((await verifyCheckpoint(dir)).ok).toBe(true);
    expect((await loadCheckpoint(dir)).tensors.get('enc0/kernel')?.shape).toEqual([2, 3]);

    const path = join(dir, 'tensors.bin');
    const bytes = await readFile(path);
    bytes[0] = (bytes[0] as number) ^ 0x80;
    await writeFile(path, bytes);
    expect(await verifyCheckpoint(dir)).toMatchObject({
      ok: false,
      file: 'tensors.bin',
      problem: expect.stringMatching(/tensors.bin does not match its recorded hash \(truncated or altered\)/),
    });
    await writeFile(path, bytes.subarray(0, 30));
    expect(await verifyCheckpoint(dir)).toMatchObject({
      ok: false,
      file: 'tensors.bin',
      problem: expect.stringMatching(/tensors.bin does not match its recorded hash/),
    });
    await expect(loadCheckpoint(dir)).rejects.toThrow(/tensors.bin does not match its recorded hash/);
  });

  test('a checkpoint of a newer format says which version it is and which this build reads', async () => {
    const dir = await tinyCheckpoint();
    await editMeta(dir, (json) => {
      json.format = 'pconv-bench/checkpoint@2';
      json.somethingNew = true;
    });
    const expected = `checkpoint ${dir} is in format pconv-bench/checkpoint@2, written by a newer pconv-bench; this build of pconv-bench reads pconv-bench/checkpoint@1`;
    expect(await verifyCheckpoint(dir)).toMatchObject({ ok: false, code: 'CHECKPOINT_FORMAT', file: 'checkpoint.json', problem: expected });
    const error = await loadError(dir);
    expect(error).toMatchObject({ code: 'CHECKPOINT_FORMAT', message: expected });
    expect(error.message).not.toMatch(/damaged/);
    expect(error.hint).toMatch(/pconv-bench version that wrote it/);
    await expect(loadCheckpointMeta(dir)).rejects.toThrow(expected);

    await editMeta(dir, (json) => {
      json.format = 'pconv-bench/checkpoint@0';
    });
    expect((await loadError(dir)).message).toBe(
      `checkpoint ${dir} is in format pconv-bench/checkpoint@0, which this build of pconv-bench does not read; it reads pconv-bench/checkpoint@1`,
    );
  });

  test('a checkpoint.json that is not one, or disagrees with itself, is damaged', async () => {
    const dir = await tinyCheckpoint();
    const path = join(dir, 'checkpoint.json');
    const good = await readFile(path, 'utf8');
    await writeFile(path, good.slice(0, 40));
    expect(await verifyCheckpoint(dir)).toMatchObject({
      ok: false,
      code: 'CHECKPOINT_CORRUPT',
      file: 'checkpoint.json',
      problem: expect.stringMatching(/checkpoint.json is not a valid checkpoint description/),
    });
    await writeFile(path, JSON.stringify({ format: 'pconv-bench/masks@1' }));
    expect((await loadError(dir)).message).toMatch(/is damaged: checkpoint.json is not a valid checkpoint description/);

    // A files table whose tensors.bin hash is not tensorsSha256, or a name that leaves the folder.
    await writeFile(path, good);
    await editMeta(dir, (json) => {
      (json.files as { sha256: string }[])[0] = { ...(json.files as { sha256: string }[])[0], sha256: '0'.repeat(64) } as { sha256: string };
    });
    expect((await loadError(dir)).message).toMatch(/checkpoint.json is not a valid checkpoint description/);
    await writeFile(path, good);
    await editMeta(dir, (json) => {
      (json.files as unknown[]).push({ name: '../escape.bin', bytes: 0, sha256: '0'.repeat(64) });
    });
    expect((await verifyCheckpoint(dir)).ok).toBe(false);
  });

  test('an extra data file listed in the table is checked too, and a table past the end of tensors.bin is found', async () => {
    const dir = await tinyCheckpoint();
    await writeFile(join(dir, 'extra.bin'), 'hello');
    await editMeta(dir, (json) => {
      (json.files as unknown[]).push({ name: 'extra.bin', bytes: 5, sha256: sha256Of('hello') });
    });
    expect((await verifyCheckpoint(dir)).ok).toBe(true);
    await writeFile(join(dir, 'extra.bin'), 'jello');
    expect(await verifyCheckpoint(dir)).toMatchObject({
      ok: false,
      file: 'extra.bin',
      problem: expect.stringMatching(/extra.bin does not match its recorded hash/),
    });
    await expect(loadCheckpoint(dir)).rejects.toThrow(/extra.bin does not match its recorded hash/);
    await rm(join(dir, 'extra.bin'));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/extra.bin is missing/);

    const other = await tinyCheckpoint();
    await editMeta(other, (json) => {
      (json.tensors as { length: number }[])[1] = { ...(json.tensors as { length: number }[])[1], length: 3 } as { length: number };
    });
    expect(await verifyCheckpoint(other)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/tensor adam.m\/enc0\/kernel lies past the end of tensors.bin/),
    });
    await expect(loadCheckpoint(other)).rejects.toThrow(/lies past the end/);
  });
});
