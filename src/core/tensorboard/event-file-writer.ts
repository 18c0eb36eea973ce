import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { fileSystemReason } from '../io/file-system-error.js';
import { type EventContent, encodeEvent, FILE_VERSION, type TensorBoardEvent } from './event-proto.js';
import { frameRecord } from './tfrecord.js';

export interface EventFileOptions {
  /**
   * The first step this writer will log. The file opens with a SessionLog START at this step, so
   * that TensorBoard drops what an earlier process logged at this step or later (the steps a killed
   * run did past its last checkpoint, or a run started over) and the curves read as one run.
   */
  readonly firstStep: number;
  /** Seconds since the epoch, for the file name and each event's wall time (default: the clock). */
  readonly now?: () => number;
  /** For the file name (default: this machine's). */
  readonly hostname?: string;
}

/**
 * A TensorBoard event file of one process: `events.out.tfevents.<unix seconds>.<host>` in `dir`
 * (TensorBoard reads files whose name holds "tfevents", in name order), created exclusively so that
 * it never appends to another process's file. Append-only: each append is one write of whole
 * records, so a kill loses at most the records of that write, and a torn last record is skipped by
 * TensorBoard. No fsync: a process that dies leaves its written records in the operating
 * system's cache; only a machine crash can lose the last ones.
 */
export class EventFileWriter {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly now: () => number,
  ) {}

  static async open(dir: string, options: EventFileOptions): Promise<EventFileWriter> {
    const now = options.now ?? (() => Date.now() / 1000);
    const opened = now();
    const base = join(dir, `events.out.tfevents.${Math.floor(opened)}.${options.hostname ?? hostname()}`);
    let handle: FileHandle | undefined;
    let path = base;
    try {
      await mkdir(dir, { recursive: true });
      // A second process in the same second (a quick resume) gets base.1, which sorts after base.
      for (let n = 1; !handle; n++) {
        try {
          handle = await open(path, 'wx');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n > 100) throw error;
          path = `${base}.${n}`;
        }
      }
    } catch (error) {
      throw eventWriteError(error, dir);
    }
    const writer = new EventFileWriter(path, handle, now);
    try {
      await writer.write([
        { wallTime: opened, step: 0, fileVersion: FILE_VERSION },
        { wallTime: opened, step: options.firstStep, sessionStart: true },
      ]);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    return writer;
  }

  /** Appends one event per content, all at `step`, in one write. */
  async append(step: number, ...contents: readonly EventContent[]): Promise<void> {
    const wallTime = this.now();
    await this.write(contents.map((content) => ({ wallTime, step, ...content })));
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async write(events: readonly TensorBoardEvent[]): Promise<void> {
    const bytes = Buffer.concat(events.map((event) => frameRecord(encodeEvent(event))));
    try {
      // A write to a regular file may take fewer bytes than given (a signal, a full disk): go on from there.
      for (let offset = 0; offset < bytes.length; ) offset += (await this.handle.write(bytes, offset)).bytesWritten;
    } catch (error) {
      throw eventWriteError(error, this.path);
    }
  }
}

/** A file-system failure as a UserError naming the TensorBoard path; anything else unchanged (a bug). */
function eventWriteError(error: unknown, path: string): unknown {
  const e = error as NodeJS.ErrnoException;
  if (!e?.code) return error;
  // Words for the failures a user can fix (naming the path Node failed on when it is not ours); Node's own message (which names it) otherwise.
  const known = fileSystemReason(error);
  const where = e.path && e.path !== path ? `, ${e.syscall ?? 'at'} ${e.path}` : '';
  const reason = known ? `${known}${where}` : e.message;
  return new UserError('TENSORBOARD_WRITE_FAILED', `cannot write TensorBoard events to ${path}: ${reason}`, {
    hint: "The run folder's tensorboard/<model>/ must be a writable folder: fix its permissions or free some space, then run the command again (train continues from its last checkpoint with --resume; run by itself).",
    cause: error,
  });
}
