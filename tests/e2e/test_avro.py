"""Our Avro container files (the form of Iceberg's manifests and manifest lists) judged by an
independent implementation: fastavro writes files in every codec Iceberg writers use and
`clicktrail avro cat` prints exactly the datums fastavro's own JSON encoder prints; our
`clicktrail avro from-json` writes files that fastavro reads back record for record."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest

fastavro = pytest.importorskip("fastavro")
from fastavro import json_writer  # noqa: E402

from collector import binary  # noqa: E402

SCHEMA = {
    "type": "record",
    "name": "manifest_like",
    "namespace": "org.example",
    "fields": [
        {"name": "flag", "type": "boolean"},
        {"name": "count", "type": "int"},
        {"name": "snapshot_id", "type": ["null", "long"], "default": None},
        {"name": "ratio", "type": "float"},
        {"name": "score", "type": "double"},
        {"name": "raw", "type": "bytes"},
        {"name": "path", "type": "string"},
        {"name": "status", "type": {"type": "enum", "name": "status", "symbols": ["EXISTING", "ADDED", "DELETED"]}},
        {"name": "digest", "type": {"type": "fixed", "name": "digest", "size": 4}},
        {"name": "sizes", "type": {"type": "array", "items": {
            "type": "record", "name": "k_v", "fields": [{"name": "key", "type": "int"}, {"name": "value", "type": "long"}]}}},
        {"name": "props", "type": {"type": "map", "values": "string"}},
        {"name": "bound", "type": ["null", "bytes", "k_v"], "default": None},
        {"name": "when", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    ],
}


def records(n: int) -> list[dict]:
    """n records that differ, with every kind of value and the edges of each range."""
    out = []
    for i in range(n):
        out.append({
            "flag": i % 2 == 0,
            "count": [0, -1, 2**31 - 1, -(2**31)][i] if i < 4 else i % 7 - 3,
            "snapshot_id": None if i % 3 == 0 else [2**63 - 1, -(2**63), 1796464010806 * i][i % 3],
            "ratio": [0.5, -1.25, 1e10, 0.0][i % 4],
            "score": i / 7.0,
            "raw": bytes(range(i % 256)) + b"\xff\x00",
            "path": f"s3://bucket/table/data/part-{i:05d}-é漢字.parquet",
            "status": ["EXISTING", "ADDED", "DELETED"][i % 3],
            "digest": bytes([i % 256, 0, 255, 7]),
            "sizes": [{"key": k, "value": k * 1000 + i} for k in range(i % 5)],
            "props": {f"k{k}": "v" * k for k in range(i % 4)},
            "bound": [None, b"\x01\x02", {"key": i, "value": -i}][i % 3],
            "when": 1796464010806000 + i,
        })
    return out


def fastavro_json_lines(schema: dict, recs: list[dict]) -> list[dict]:
    out = io.StringIO()
    json_writer(out, fastavro.parse_schema(schema), recs)
    return [json.loads(line) for line in out.getvalue().split("\n") if line]


def cat(path: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary(), "avro", "cat", *flags, str(path)], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("codec", ["null", "deflate", "snappy", "zstandard"])
def test_cat_prints_what_fastavro_wrote(tmp_path: Path, codec: str) -> None:
    recs = records(3000)  # several blocks
    path = tmp_path / f"in-{codec}.avro"
    with path.open("wb") as f:
        fastavro.writer(f, fastavro.parse_schema(SCHEMA), recs, codec=codec, sync_interval=16 * 1024,
                        metadata={"iceberg.schema": '{"type":"struct"}'})
    done = cat(path)
    assert done.returncode == 0, done.stderr
    got = [json.loads(line) for line in done.stdout.split("\n") if line]  # not splitlines(): U+0085 is text here
    assert len(got) == len(recs)
    assert got == fastavro_json_lines(SCHEMA, recs)

    meta = cat(path, "--metadata")
    assert meta.returncode == 0, meta.stderr
    entries = dict(line.split("\t", 1) for line in meta.stdout.splitlines())
    assert entries["avro.codec"] == codec
    assert entries["iceberg.schema"] == '{"type":"struct"}'
    schema = cat(path, "--schema")
    assert schema.returncode == 0, schema.stderr
    assert json.loads(schema.stdout)["name"] == "org.example.manifest_like"


@pytest.mark.parametrize("deflate", [False, True])
def test_from_json_writes_what_fastavro_reads(tmp_path: Path, deflate: bool) -> None:
    recs = records(3000)
    schema_file, lines, out = tmp_path / "schema.json", tmp_path / "in.jsonl", tmp_path / "out.avro"
    schema_file.write_text(json.dumps(SCHEMA))
    lines.write_text("".join(json.dumps(r) + "\n" for r in fastavro_json_lines(SCHEMA, recs)))
    done = subprocess.run([binary(), "avro", "from-json", "--schema", str(schema_file), *(["--deflate"] if deflate else []),
                           str(lines), str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with out.open("rb") as f:
        reader = fastavro.reader(f)
        assert reader.codec == ("deflate" if deflate else "null")
        got = list(reader)
    assert len(got) == len(recs)
    for i, (g, want) in enumerate(zip(got, recs)):
        want = dict(want, when=g["when"])  # the logical type reads back as a datetime
        assert g == want, f"record {i}"
    assert [r["when"].timestamp() * 1e6 for r in got[:3]] == [float(r["when"]) for r in recs[:3]]


def test_a_file_that_is_not_avro_or_a_datum_that_does_not_fit_is_refused_by_name(tmp_path: Path) -> None:
    not_avro = tmp_path / "table.parquet"
    not_avro.write_bytes(b"PAR1" + b"\0" * 64)
    done = cat(not_avro)
    assert done.returncode == 1
    assert str(not_avro) in done.stderr and "not an Avro container file" in done.stderr

    schema_file, lines = tmp_path / "schema.json", tmp_path / "in.jsonl"
    schema_file.write_text(json.dumps(SCHEMA))
    good = fastavro_json_lines(SCHEMA, records(2))
    bad = dict(good[1], count=2**40)
    lines.write_text(json.dumps(good[0]) + "\n" + json.dumps(bad) + "\n")
    done = subprocess.run([binary(), "avro", "from-json", "--schema", str(schema_file), str(lines),
                           str(tmp_path / "out.avro")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "line 2" in done.stderr and "out of range" in done.stderr
    assert not (tmp_path / "out.avro").exists()
