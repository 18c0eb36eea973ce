import { describe, expect, test } from 'vitest';
import { encodeEvent, FILE_VERSION } from '../../../src/core/tensorboard/event-proto.js';
import { decodeEvent } from '../../helpers/tfevents-reader.js';

describe('encodeEvent', () => {
  test('the file_version event, byte for byte: wall_time (field 1, double), step (field 2, varint), file_version (field 3)', () => {
    const bytes = encodeEvent({ wallTime: 1.5, step: 300, fileVersion: FILE_VERSION });
    expect([...bytes]).toEqual([
      0x09,
      ...[0, 0, 0, 0, 0, 0, 0xf8, 0x3f],
      0x10,
      0xac,
      0x02,
      0x1a,
      FILE_VERSION.length,
      ...new TextEncoder().encode('brain.Event:2'),
    ]);
  });

  test('a SessionLog START is field 7 (6 is the deprecated log_message) holding status (field 1) = 1', () => {
    const bytes = encodeEvent({ wallTime: 0, step: 7, sessionStart: true });
    expect([...bytes.subarray(-4)]).toEqual([0x3a, 0x02, 0x08, 0x01]);
    expect(decodeEvent(bytes)).toEqual({ wallTime: 0, step: 7, sessionLogStatus: 1 });
  });

  test('a summary of scalars and an image reads back field by field; scalars are float32', () => {
    const png = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
    const event = decodeEvent(
      encodeEvent({
        wallTime: 1_700_000_000.25,
        step: 2 ** 40,
        summary: [
          { tag: 'loss/total', scalar: 0.1 },
          { tag: 'validation/samples', image: { height: 70, width: 134, colorspace: 3, encoded: png } },
          { tag: 'validation/psnr', scalar: Number.POSITIVE_INFINITY },
        ],
      }),
    );
    expect(event.wallTime).toBe(1_700_000_000.25);
    expect(event.step).toBe(2 ** 40);
    expect(event.summary).toEqual([
      { tag: 'loss/total', simpleValue: Math.fround(0.1) },
      { tag: 'validation/samples', image: { height: 70, width: 134, colorspace: 3, encoded: png } },
      { tag: 'validation/psnr', simpleValue: Number.POSITIVE_INFINITY },
    ]);
    expect(event.fileVersion).toBeUndefined();
    expect(event.sessionLogStatus).toBeUndefined();
  });
});
