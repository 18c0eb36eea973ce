import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/**
 * The part of TensorFlow's Event message (tensorflow/core/util/event.proto, with Summary from
 * summary.proto) that TensorBoard needs for scalars, images and restarts, encoded with
 * @bufbuild/protobuf's wire writer: field numbers are written here rather than generated from
 * the .proto files, since four small messages do not justify a code generator in the build.
 */

/** The first event of every file: TensorBoard reads "brain.Event:2" as "honour SessionLog START". */
export const FILE_VERSION = 'brain.Event:2';

/** Summary.Image: an encoded picture (PNG here) and its size; colorspace 3 is RGB. */
export interface SummaryImage {
  readonly height: number;
  readonly width: number;
  readonly colorspace: number;
  readonly encoded: Uint8Array;
}

/** Summary.Value: a tag with a scalar (stored as float32, as TensorBoard's simple_value is) or an image. */
export type SummaryValue = { readonly tag: string; readonly scalar: number } | { readonly tag: string; readonly image: SummaryImage };

/** What one event carries besides its time and step: exactly one of these, as TensorFlow's writers do. */
export type EventContent = { readonly fileVersion: string } | { readonly summary: readonly SummaryValue[] } | { readonly sessionStart: true };

export type TensorBoardEvent = { readonly wallTime: number; readonly step: number } & EventContent;

// event.proto field numbers.
// session_log is 7: 6 is the deprecated log_message, which TensorBoard would not take as a restart.
const EVENT = { wallTime: 1, step: 2, fileVersion: 3, summary: 5, sessionLog: 7 } as const;
const SUMMARY = { value: 1 } as const;
const VALUE = { tag: 1, simpleValue: 2, image: 4 } as const;
const IMAGE = { height: 1, width: 2, colorspace: 3, encoded: 4 } as const;
const SESSION_LOG = { status: 1 } as const;
/** SessionLog.SessionStatus START. */
const SESSION_START = 1;

/** One Event message's bytes (the data of one TFRecord). */
export function encodeEvent(event: TensorBoardEvent): Uint8Array {
  const w = new BinaryWriter();
  w.tag(EVENT.wallTime, WireType.Bit64).double(event.wallTime);
  w.tag(EVENT.step, WireType.Varint).int64(event.step);
  if ('fileVersion' in event) w.tag(EVENT.fileVersion, WireType.LengthDelimited).string(event.fileVersion);
  else if ('summary' in event) {
    w.tag(EVENT.summary, WireType.LengthDelimited).fork();
    for (const value of event.summary) writeValue(w, value);
    w.join();
  } else {
    w.tag(EVENT.sessionLog, WireType.LengthDelimited).fork();
    w.tag(SESSION_LOG.status, WireType.Varint).int32(SESSION_START);
    w.join();
  }
  return w.finish();
}

function writeValue(w: BinaryWriter, value: SummaryValue): void {
  w.tag(SUMMARY.value, WireType.LengthDelimited).fork();
  w.tag(VALUE.tag, WireType.LengthDelimited).string(value.tag);
  if ('scalar' in value) w.tag(VALUE.simpleValue, WireType.Bit32).float(value.scalar);
  else {
    const { image } = value;
    w.tag(VALUE.image, WireType.LengthDelimited).fork();
    w.tag(IMAGE.height, WireType.Varint).int32(image.height);
    w.tag(IMAGE.width, WireType.Varint).int32(image.width);
    w.tag(IMAGE.colorspace, WireType.Varint).int32(image.colorspace);
    w.tag(IMAGE.encoded, WireType.LengthDelimited).bytes(image.encoded);
    w.join();
  }
  w.join();
}
