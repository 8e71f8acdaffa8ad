"""Reading the topic's records back, in either form the collector writes (ingest.record_format):
the JSON line, or the binary record, which Google's protobuf runtime reads here from the message
that docs/record.proto declares, so that the .proto a user is told to use is what is tested.

Both give the same dict: the JSON object's members, props as its object."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

ROOT = Path(__file__).resolve().parents[2]
MARKER = 0xC1
_FIELD = re.compile(r"^\s*(required|optional)\s+(\w+)\s+(\w+)\s*=\s*(\d+);")
_TYPES = {"string": descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
          "sint64": descriptor_pb2.FieldDescriptorProto.TYPE_SINT64,
          "sint32": descriptor_pb2.FieldDescriptorProto.TYPE_SINT32,
          "bool": descriptor_pb2.FieldDescriptorProto.TYPE_BOOL}


@cache
def event_message() -> type:
    """The Event message class, built from docs/record.proto's declarations (no protoc here)."""
    proto = (ROOT / "docs" / "record.proto").read_text()
    file = descriptor_pb2.FileDescriptorProto(name="clicktrail_record.proto", package="clicktrail.v1",
                                              syntax="proto2")
    message = file.message_type.add(name="Event")
    for line in proto.splitlines():
        if m := _FIELD.match(line):
            label, kind, name, number = m.groups()
            message.field.add(name=name, number=int(number), type=_TYPES[kind],
                              label=descriptor_pb2.FieldDescriptorProto.LABEL_REQUIRED if label == "required"
                              else descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    assert len(message.field) > 50, "docs/record.proto declares too few fields: did its format change?"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("clicktrail.v1.Event"))


def decode(value: bytes) -> dict:
    """A record's value as the JSON object it stands for."""
    if not value or value[0] != MARKER:
        return json.loads(value)
    event = event_message()()
    event.ParseFromString(value[1:])  # raises on a malformed or incomplete message
    out = {}
    for field, v in event.ListFields():
        out[field.name] = json.loads(v) if field.name == "props" else v
    return out


@dataclass
class Record:
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None

    def event(self) -> dict:
        assert self.value is not None, "a record without a value"
        return decode(self.value)


def read_topic(bootstrap: str, topic: str, timeout_s: float = 60, missing_ok: bool = False) -> list[Record]:
    """Every record of `topic`, from the beginning of each partition to its end (kcat -e), with
    keys and values length-prefixed: a binary value may hold any byte, line breaks too.
    missing_ok: a topic kcat cannot read yet (the collector creates it with its first record)
    reads as empty, for callers that wait for records."""
    done = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
                           "-f", "%p %o %T %K:%k%S:%s\n"], capture_output=True, timeout=timeout_s)
    if done.returncode != 0:
        if missing_ok:
            return []
        raise AssertionError(f"kcat could not read {topic}: {done.stderr.decode(errors='replace')}")
    out = done.stdout
    records, pos = [], 0
    while pos < len(out):
        numbers = []
        for _ in range(3):  # partition, offset, timestamp
            space = out.index(b" ", pos)
            numbers.append(int(out[pos:space]))
            pos = space + 1
        fields = []
        for _ in range(2):  # key, value
            colon = out.index(b":", pos)
            n = int(out[pos:colon])  # kcat prints -1 for a null key or value
            fields.append(out[colon + 1: colon + 1 + n] if n >= 0 else None)
            pos = colon + 1 + max(n, 0)
        assert out[pos:pos + 1] == b"\n", f"kcat's output is not as asked at byte {pos}"
        records.append(Record(*numbers, *fields))
        pos += 1
    return records


if __name__ == "__main__":
    # records.py BOOTSTRAP TOPIC: each record's event as a JSON line, for the browser tests (Node).
    import sys
    for record in read_topic(sys.argv[1], sys.argv[2]):
        if record.value:
            print(json.dumps(record.event(), ensure_ascii=False, separators=(",", ":")))
