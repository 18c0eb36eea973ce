import { readFile, truncate, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { UserError } from '../../../src/core/errors.js';
import { EventFileWriter } from '../../../src/core/tensorboard/event-file-writer.js';
import { useTempDirs } from '../../helpers/temp-dir.js';
import { eventFilesIn, readEventFile, readRecords } from '../../helpers/tfevents-reader.js';
import { userErrorOf } from '../../helpers/user-error.js';

const tempDir = useTempDirs();

/** A clock that ticks a second per reading from a fixed start, so names and wall times are known. */
function clock(start: number): () => number {
  let t = start;
  return () => t++;
}

describe('EventFileWriter', () => {
  test('names the file events.out.tfevents.<unix seconds>.<host>; file_version first, then SessionLog START at the first step; each append at its step', async () => {
    const dir = join(await tempDir(), 'tensorboard', 'pconv');
    const writer = await EventFileWriter.open(dir, { firstStep: 11, now: clock(1_700_000_000.5), hostname: 'lab-7' });
    await writer.append(11, { summary: [{ tag: 'loss/total', scalar: 0.5 }] });
    await writer.append(12, { summary: [{ tag: 'loss/total', scalar: 0.25 }] }, { summary: [{ tag: 'validation/psnr', scalar: 20 }] });
    await writer.close();
    expect(basename(writer.path)).toBe('events.out.tfevents.1700000000.lab-7');
    expect(await eventFilesIn(dir)).toEqual([writer.path]);
    const { events, tornBytes } = await readEventFile(writer.path);
    expect(tornBytes).toBe(0);
    expect(events).toEqual([
      { wallTime: 1_700_000_000.5, step: 0, fileVersion: 'brain.Event:2' },
      { wallTime: 1_700_000_000.5, step: 11, sessionLogStatus: 1 },
      { wallTime: 1_700_000_001.5, step: 11, summary: [{ tag: 'loss/total', simpleValue: 0.5 }] },
      { wallTime: 1_700_000_002.5, step: 12, summary: [{ tag: 'loss/total', simpleValue: 0.25 }] },
      { wallTime: 1_700_000_002.5, step: 12, summary: [{ tag: 'validation/psnr', simpleValue: 20 }] },
    ]);
  });

  test("never appends to another process's file: a second writer in the same second gets a new name that sorts after the first", async () => {
    const dir = await tempDir();
    const first = await EventFileWriter.open(dir, { firstStep: 1, now: () => 1_700_000_000, hostname: 'h' });
    await first.append(1, { summary: [{ tag: 'loss/total', scalar: 1 }] });
    const before = await readFile(first.path);
    const second = await EventFileWriter.open(dir, { firstStep: 2, now: () => 1_700_000_000, hostname: 'h' });
    const third = await EventFileWriter.open(dir, { firstStep: 3, now: () => 1_700_000_000, hostname: 'h' });
    await Promise.all([first.close(), second.close(), third.close()]);
    expect(await readFile(first.path)).toEqual(before);
    expect(await eventFilesIn(dir)).toEqual([first.path, second.path, third.path]);
    expect(basename(second.path)).toBe('events.out.tfevents.1700000000.h.1');
    expect((await readEventFile(third.path)).events[1]).toMatchObject({ step: 3, sessionLogStatus: 1 });
  });

  test('a file cut anywhere inside its last record (a kill mid-write) still reads every whole record before it', async () => {
    const dir = await tempDir();
    const writer = await EventFileWriter.open(dir, { firstStep: 1, now: clock(1_700_000_000), hostname: 'h' });
    for (let step = 1; step <= 3; step++) await writer.append(step, { summary: [{ tag: 'loss/total', scalar: step / 10 }] });
    const wholeBeforeLast = (await readFile(writer.path)).length;
    await writer.append(4, {
      summary: [
        { tag: 'loss/total', scalar: 0.4 },
        { tag: 'validation/samples', image: { height: 2, width: 2, colorspace: 3, encoded: new Uint8Array(200) } },
      ],
    });
    await writer.close();
    const full = await readFile(writer.path);
    const copy = join(dir, 'cut.tfevents');
    for (const cut of [wholeBeforeLast + 1, wholeBeforeLast + 8, wholeBeforeLast + 12, wholeBeforeLast + 100, full.length - 4, full.length - 1]) {
      await writeFile(copy, full);
      await truncate(copy, cut);
      const { events, tornBytes } = await readEventFile(copy);
      expect(tornBytes).toBe(cut - wholeBeforeLast);
      expect(events.map((e) => e.step)).toEqual([0, 1, 1, 2, 3]);
      expect(events.at(-1)?.summary).toEqual([{ tag: 'loss/total', simpleValue: Math.fround(0.3) }]);
    }
    expect(readRecords(full).records).toHaveLength(6);
  });

  test("a damaged byte fails the record's CRC check (the reader checks both masked CRCs)", async () => {
    const dir = await tempDir();
    const writer = await EventFileWriter.open(dir, { firstStep: 1, hostname: 'h' });
    await writer.close();
    const bytes = await readFile(writer.path);
    const header = Uint8Array.from(bytes);
    header[0] = (header[0] as number) ^ 1;
    expect(() => readRecords(header)).toThrow(/length CRC mismatch/);
    const data = Uint8Array.from(bytes);
    data[14] = (data[14] as number) ^ 1;
    expect(() => readRecords(data)).toThrow(/data CRC mismatch/);
  });

  test('a folder that cannot be made (a file in the way) is a UserError naming the path', async () => {
    const run = await tempDir();
    await writeFile(join(run, 'tensorboard'), 'not a folder');
    const dir = join(run, 'tensorboard', 'pconv');
    const error = await userErrorOf(EventFileWriter.open(dir, { firstStep: 1 }));
    expect(error).toBeInstanceOf(UserError);
    expect(error.code).toBe('TENSORBOARD_WRITE_FAILED');
    expect(error.message).toBe(`cannot write TensorBoard events to ${dir}: a part of the path is a file, not a folder (ENOTDIR)`);
    expect(error.hint).toMatch(/tensorboard\/<model>\/ must be a writable folder/);
    // The model's own folder a file: Node's words, the path named.
    const other = join(await tempDir(), 'conv');
    await writeFile(other, 'not a folder either');
    const exists = await userErrorOf(EventFileWriter.open(other, { firstStep: 1 }));
    expect(exists.code).toBe('TENSORBOARD_WRITE_FAILED');
    expect(exists.message).toMatch(new RegExp(`^cannot write TensorBoard events to ${other}: E(EXIST|NOTDIR): .*${other}`));
  });
});
