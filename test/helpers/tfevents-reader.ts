import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { maskedCrc32c } from '../../src/core/tensorboard/crc32c.js';

/**
 * A reader of TensorBoard event files for the tests, written against the format rather than
 * against our writer: TFRecord framing with both masked CRCs checked, then each Event decoded with
 * @bufbuild/protobuf's BinaryReader by field number (tensorflow/core/util/event.proto). Unknown
 * fields are an error, so a field written under the wrong number fails a test.
 */

export interface DecodedImage {
  height: number;
  width: number;
  colorspace: number;
  encoded: Uint8Array;
}

export interface DecodedValue {
  tag: string;
  simpleValue?: number;
  image?: DecodedImage;
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: DecodedValue[];
  /** SessionLog.status (1 = START). */
  sessionLogStatus?: number;
}

/** The whole records of a file, and the bytes of a torn last record after them (what a kill mid-write leaves). */
export function readRecords(bytes: Uint8Array): { records: Uint8Array[]; tornBytes: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) break;
    const length = Number(view.getBigUint64(at, true));
    if (view.getUint32(at + 8, true) !== maskedCrc32c(bytes.subarray(at, at + 8))) throw new Error(`record at byte ${at}: length CRC mismatch`);
    if (at + 12 + length + 4 > bytes.length) break;
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (view.getUint32(at + 12 + length, true) !== maskedCrc32c(data)) throw new Error(`record at byte ${at}: data CRC mismatch`);
    records.push(data);
    at += 12 + length + 4;
  }
  return { records, tornBytes: bytes.length - at };
}

function expectWire(actual: WireType, expected: WireType, what: string): void {
  if (actual !== expected) throw new Error(`${what}: wire type ${actual}, expected ${expected}`);
}

function decodeImage(bytes: Uint8Array): DecodedImage {
  const r = new BinaryReader(bytes);
  const image: DecodedImage = { height: 0, width: 0, colorspace: 0, encoded: new Uint8Array() };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 4) {
      expectWire(wire, WireType.LengthDelimited, 'Image.encoded_image_string');
      image.encoded = r.bytes();
    } else if (field >= 1 && field <= 3) {
      expectWire(wire, WireType.Varint, `Image field ${field}`);
      const value = r.int32();
      if (field === 1) image.height = value;
      else if (field === 2) image.width = value;
      else image.colorspace = value;
    } else throw new Error(`Summary.Image: unexpected field ${field}`);
  }
  return image;
}

function decodeValue(bytes: Uint8Array): DecodedValue {
  const r = new BinaryReader(bytes);
  const value: DecodedValue = { tag: '' };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1) {
      expectWire(wire, WireType.LengthDelimited, 'Value.tag');
      value.tag = r.string();
    } else if (field === 2) {
      expectWire(wire, WireType.Bit32, 'Value.simple_value');
      value.simpleValue = r.float();
    } else if (field === 4) {
      expectWire(wire, WireType.LengthDelimited, 'Value.image');
      value.image = decodeImage(r.bytes());
    } else throw new Error(`Summary.Value: unexpected field ${field}`);
  }
  return value;
}

export function decodeEvent(bytes: Uint8Array): DecodedEvent {
  const r = new BinaryReader(bytes);
  const event: DecodedEvent = { wallTime: 0, step: 0 };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1) {
      expectWire(wire, WireType.Bit64, 'Event.wall_time');
      event.wallTime = r.double();
    } else if (field === 2) {
      expectWire(wire, WireType.Varint, 'Event.step');
      event.step = Number(r.int64());
    } else if (field === 3) {
      expectWire(wire, WireType.LengthDelimited, 'Event.file_version');
      event.fileVersion = r.string();
    } else if (field === 5) {
      expectWire(wire, WireType.LengthDelimited, 'Event.summary');
      const summary = new BinaryReader(r.bytes());
      event.summary = [];
      while (summary.pos < summary.len) {
        const [valueField, valueWire] = summary.tag();
        if (valueField !== 1) throw new Error(`Summary: unexpected field ${valueField}`);
        expectWire(valueWire, WireType.LengthDelimited, 'Summary.value');
        event.summary.push(decodeValue(summary.bytes()));
      }
    } else if (field === 7) {
      expectWire(wire, WireType.LengthDelimited, 'Event.session_log');
      const log = new BinaryReader(r.bytes());
      while (log.pos < log.len) {
        const [logField, logWire] = log.tag();
        if (logField !== 1) throw new Error(`SessionLog: unexpected field ${logField}`);
        expectWire(logWire, WireType.Varint, 'SessionLog.status');
        event.sessionLogStatus = log.int32();
      }
    } else throw new Error(`Event: unexpected field ${field}`);
  }
  return event;
}

export async function readEventFile(path: string): Promise<{ events: DecodedEvent[]; tornBytes: number }> {
  const { records, tornBytes } = readRecords(await readFile(path));
  return { events: records.map(decodeEvent), tornBytes };
}

/** The event files of a folder in the order TensorBoard reads them (by name). */
export async function eventFilesIn(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((name) => name.includes('tfevents'))
    .sort()
    .map((name) => join(dir, name));
}

/** One scalar as TensorBoard shows it. */
export interface ScalarPoint {
  step: number;
  value: number;
}

/**
 * What TensorBoard's loader keeps of a folder's files read in order: each SessionLog START drops
 * every point seen so far at its step or later (its purge of orphaned data after a restart).
 */
export async function scalarsAsTensorBoardShows(dir: string): Promise<Map<string, ScalarPoint[]>> {
  const scalars = new Map<string, ScalarPoint[]>();
  for (const file of await eventFilesIn(dir)) {
    for (const event of (await readEventFile(file)).events) {
      if (event.sessionLogStatus === 1) {
        for (const [tag, points] of scalars)
          scalars.set(
            tag,
            points.filter((p) => p.step < event.step),
          );
      }
      for (const value of event.summary ?? []) {
        if (value.simpleValue === undefined) continue;
        scalars.set(value.tag, [...(scalars.get(value.tag) ?? []), { step: event.step, value: value.simpleValue }]);
      }
    }
  }
  return scalars;
}
