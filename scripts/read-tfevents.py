#!/usr/bin/env python3
"""Reads TensorBoard event files as TensorBoard would, independently of pconv-bench's writer.

An outside check of what `pconv-bench train` writes under <run>/tensorboard/<model>/: it verifies
the TFRecord framing itself (uint64 LE length, masked CRC-32C of the length, data, masked CRC-32C
of the data), decodes each record as an Event with Python's protobuf runtime (Debian's
python3-protobuf) from descriptors built here (no protoc, no TensorFlow), and prints each event.

    python3 scripts/read-tfevents.py reports/smoke/tensorboard            # every event file below
    python3 scripts/read-tfevents.py --summary-only FILE_OR_DIR...        # tags, counts, step ranges

Exit status 0 when every record's CRCs match and every Event decodes; 1 otherwise. A torn last
record (a process killed mid-write) is reported and skipped, as TensorBoard skips it.
"""

import argparse
import os
import struct
import sys

try:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
except ImportError:
    sys.exit(f"{sys.executable} has no protobuf module: apt-get install python3-protobuf (then run /usr/bin/python3), or pip install protobuf")

# --- CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and TFRecord's mask -------------------

_CRC_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data):
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    crc = crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283, "CRC-32C known answer"

# --- Event, Summary and SessionLog, field numbers as in TensorFlow's event.proto / summary.proto --

_F = descriptor_pb2.FieldDescriptorProto


def _field(message, name, number, kind, label=_F.LABEL_OPTIONAL, type_name=None):
    field = message.field.add(name=name, number=number, type=kind, label=label)
    if type_name:
        field.type_name = type_name


def _event_classes():
    proto = descriptor_pb2.FileDescriptorProto(name="tfevents_check.proto", package="tfevents_check", syntax="proto3")

    summary = proto.message_type.add(name="Summary")
    image = summary.nested_type.add(name="Image")
    _field(image, "height", 1, _F.TYPE_INT32)
    _field(image, "width", 2, _F.TYPE_INT32)
    _field(image, "colorspace", 3, _F.TYPE_INT32)
    _field(image, "encoded_image_string", 4, _F.TYPE_BYTES)
    value = summary.nested_type.add(name="Value")
    _field(value, "tag", 1, _F.TYPE_STRING)
    _field(value, "simple_value", 2, _F.TYPE_FLOAT)
    _field(value, "image", 4, _F.TYPE_MESSAGE, type_name=".tfevents_check.Summary.Image")
    _field(summary, "value", 1, _F.TYPE_MESSAGE, _F.LABEL_REPEATED, ".tfevents_check.Summary.Value")

    session_log = proto.message_type.add(name="SessionLog")
    status = session_log.enum_type.add(name="SessionStatus")
    for name, number in (("STATUS_UNSPECIFIED", 0), ("START", 1), ("STOP", 2), ("CHECKPOINT", 3)):
        status.value.add(name=name, number=number)
    _field(session_log, "status", 1, _F.TYPE_ENUM, type_name=".tfevents_check.SessionLog.SessionStatus")

    event = proto.message_type.add(name="Event")
    _field(event, "wall_time", 1, _F.TYPE_DOUBLE)
    _field(event, "step", 2, _F.TYPE_INT64)
    _field(event, "file_version", 3, _F.TYPE_STRING)
    _field(event, "summary", 5, _F.TYPE_MESSAGE, type_name=".tfevents_check.Summary")
    # 6 is the deprecated log_message; TensorBoard takes only session_log (7) as a restart.
    _field(event, "session_log", 7, _F.TYPE_MESSAGE, type_name=".tfevents_check.SessionLog")
    # Event's `what` is a oneof in TensorFlow: one of file_version, summary, session_log per event.
    event.oneof_decl.add(name="what")
    for field in event.field:
        if field.name in ("file_version", "summary", "session_log"):
            field.oneof_index = 0

    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(proto.SerializeToString())
    event_descriptor = pool.FindMessageTypeByName("tfevents_check.Event")
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(event_descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(event_descriptor)


Event = _event_classes()

# --- Reading --------------------------------------------------------------------------------------


def read_records(data):
    """The (offset, bytes) of the whole records, the bytes of a torn last record, and what stopped the
    reading early (a CRC that does not match), if anything."""
    records = []
    at = 0
    while at + 12 <= len(data):
        header = data[at : at + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[at + 8 : at + 12])
        if length_crc != masked_crc32c(header):
            return records, 0, f"byte {at}: the masked CRC of the length does not match"
        if at + 12 + length + 4 > len(data):
            break
        record = data[at + 12 : at + 12 + length]
        (data_crc,) = struct.unpack("<I", data[at + 12 + length : at + 16 + length])
        if data_crc != masked_crc32c(record):
            return records, 0, f"byte {at}: the masked CRC of the data does not match"
        records.append((at, record))
        at += 16 + length
    return records, len(data) - at, None


def unknown_fields(message):
    """Whether a message or one inside it holds fields these descriptors do not define (a wrong field number)."""
    if len(message.UnknownFields()):
        return True
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        items = value if field.label == field.LABEL_REPEATED else [value]
        if any(unknown_fields(item) for item in items):
            return True
    return False


def png_size(data):
    """(width, height) from a PNG's IHDR, or None when the bytes are not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def describe(event, problems):
    kind = event.WhichOneof("what")
    head = f"step {event.step:>7}  wall {event.wall_time:.3f}  "
    if kind == "file_version":
        return head + f"file_version {event.file_version!r}"
    if kind == "session_log":
        return head + "session_log " + Event.DESCRIPTOR.fields_by_name["session_log"].message_type.enum_types_by_name["SessionStatus"].values_by_number[event.session_log.status].name
    if kind == "summary":
        parts = []
        for value in event.summary.value:
            if value.HasField("image"):
                image = value.image
                size = png_size(image.encoded_image_string)
                if size != (image.width, image.height):
                    problems.append(f"step {event.step} {value.tag}: PNG size {size}, Summary.Image {image.width}x{image.height}")
                parts.append(f"{value.tag}=image {image.width}x{image.height} colorspace {image.colorspace}, {len(image.encoded_image_string)} bytes PNG")
            else:
                parts.append(f"{value.tag}={value.simple_value:.6g}")
        return head + "summary " + ", ".join(parts)
    return head + "(empty)"


def read_file(path, summary_only):
    problems = []
    with open(path, "rb") as f:
        data = f.read()
    print(f"== {path}")
    records, torn, damage = read_records(data)
    if damage:
        problems.append(damage + "; the records after it are not read")
    tags = {}
    for index, (offset, record) in enumerate(records):
        event = Event()
        event.ParseFromString(record)
        if unknown_fields(event):
            problems.append(f"byte {offset}: a field these descriptors do not define")
        if index == 0 and event.WhichOneof("what") != "file_version":
            problems.append("the first event is not file_version")
        for value in event.summary.value:
            first, last, count = tags.get(value.tag, (event.step, event.step, 0))
            tags[value.tag] = (min(first, event.step), max(last, event.step), count + 1)
        line = describe(event, problems)
        if not summary_only or event.WhichOneof("what") != "summary":
            print("  " + line)
    print(f"  {len(records)} events, {len(data)} bytes" + (f", {torn} bytes of a torn last record skipped" if torn else ""))
    for tag in sorted(tags):
        first, last, count = tags[tag]
        print(f"  {tag:<28} {count:>6} points, steps {first}..{last}")
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    return not problems


def event_files(paths):
    for path in paths:
        if os.path.isdir(path):
            for root, _, names in sorted(os.walk(path)):
                for name in sorted(names):
                    if "tfevents" in name:
                        yield os.path.join(root, name)
        else:
            yield path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="event files, or folders to search for them")
    parser.add_argument("--summary-only", action="store_true", help="print the non-summary events and a table of tags, not every event")
    args = parser.parse_args()
    files = list(event_files(args.paths))
    if not files:
        print("no event files (names containing 'tfevents') found", file=sys.stderr)
        return 1
    ok = all([read_file(path, args.summary_only) for path in files])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
