"""Our Parquet files judged by independent readers: pyarrow reads back every value of every
column as written, for each compression, odd values, sizes and the dictionary fallback; and its
view of the metadata (row counts, sizes, statistics) agrees with the data."""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from pathlib import Path

import pytest

pq = pytest.importorskip("pyarrow.parquet")

from collector import binary
from event_rows import FIELDS, expected_row, full_event, jsonl, minimal_event, read_rows

COMPRESSIONS = ["zstd", "snappy", "gzip", "none"]


def convert(tmp: Path, events: list[dict], *args: str, name: str = "out") -> Path:
    src, out = tmp / f"{name}.jsonl", tmp / f"{name}.parquet"
    src.write_text(jsonl(events), encoding="utf-8")
    done = subprocess.run([binary(), "convert", str(src), str(out), *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out


def assert_reads_back(path: Path, events: list[dict]) -> None:
    table = pq.read_table(path)
    assert table.column_names == [name for name, _ in FIELDS]
    got = read_rows(table)
    assert len(got) == len(events)
    for i, (row, e) in enumerate(zip(got, events)):
        assert row == expected_row(e), f"row {i} differs"


def assert_metadata_consistent(path: Path, events: list[dict]) -> None:
    """Row counts, sizes and statistics as pyarrow reads them, checked against the data."""
    f = pq.ParquetFile(path)
    md = f.metadata
    assert md.num_rows == len(events)
    assert sum(md.row_group(g).num_rows for g in range(md.num_row_groups)) == len(events)
    # The file is magic, the column chunks, the footer, its length and magic: nothing else.
    chunks = sum(md.row_group(g).column(c).total_compressed_size
                 for g in range(md.num_row_groups) for c in range(md.num_columns))
    assert 4 + chunks + md.serialized_size + 8 == os.path.getsize(path)
    table = f.read()
    rows = read_rows(table)
    start = 0
    for g in range(md.num_row_groups):
        group = md.row_group(g)
        part = rows[start:start + group.num_rows]
        start += group.num_rows
        for c in range(md.num_columns):
            col = group.column(c)
            name = col.path_in_schema
            assert col.num_values == group.num_rows
            values = [r[name] for r in part if r[name] is not None]
            stats = col.statistics
            assert stats.null_count == group.num_rows - len(values), name
            if not values or name == "props":
                continue
            if not stats.has_min_max:
                # Left out, as Arrow does, only when a bound would be over 4 KiB.
                assert max(len(v.encode()) for v in values) > 4096, name
                continue
            lo, hi = stats.min, stats.max
            if name in ("collector_ts", "event_ts", "client_ts", "sent_ts"):
                lo, hi = int(lo.timestamp() * 1000 + 0.5), int(hi.timestamp() * 1000 + 0.5)
            if isinstance(values[0], str):
                key = lambda v: v.encode()  # Parquet orders strings as unsigned bytes
                assert (lo, hi) == (min(values, key=key), max(values, key=key)), name
            else:
                assert (lo, hi) == (min(values), max(values)), name


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_every_column_reads_back_equal_with_each_compression(tmp_path, compression):
    rng = random.Random(compression)
    events = [full_event(i, rng) for i in range(3000)]
    path = convert(tmp_path, events, "--compression", compression, "--row-group-rows", "1000")
    assert_reads_back(path, events)
    assert_metadata_consistent(path, events)
    md = pq.ParquetFile(path).metadata
    expected_codec = {"none": "UNCOMPRESSED"}.get(compression, compression.upper())
    assert {md.row_group(0).column(c).compression for c in range(md.num_columns)} == {expected_codec}
    kv = {k.decode(): v.decode() for k, v in md.metadata.items()}
    assert kv["clicktrail.schema_version"] == "1" and kv["clicktrail.version"]
    assert md.created_by.startswith("clicktrail version")


def test_nulls_empty_strings_non_ascii_and_strings_over_a_mebibyte(tmp_path):
    huge = "ü" * (600 * 1024) + "end"  # 1.2 MiB of UTF-8
    events = [
        minimal_event(0),                                                # every optional column null
        minimal_event(1, page_title="", referrer="", props={}),         # empty, not null
        minimal_event(2, page_title="漢字 🙂 naïve", user_id="Ωmega", props={"é": "ü"}),
        minimal_event(3, page_title=huge, target_text=huge[:5000]),
        minimal_event(4, x=-2**31, y=2**31 - 1, is_bot=False, truncated=True),
    ]
    for compression in COMPRESSIONS:
        path = convert(tmp_path, events, "--compression", compression, name=compression)
        assert_reads_back(path, events)
        assert_metadata_consistent(path, events)


def test_one_row(tmp_path):
    events = [full_event(0, random.Random(1), null_rate=0)]
    path = convert(tmp_path, events)
    assert_reads_back(path, events)
    assert_metadata_consistent(path, events)


def test_every_column_carries_its_iceberg_field_id(tmp_path):
    """Each column's Parquet field_id is its id in an Iceberg table's schema (src/event/fields.cc,
    column_ids): given once and never changed, so the ids of the columns there are today are
    pinned here, in column order."""
    path = convert(tmp_path, [full_event(0, random.Random(1), null_rate=0)])
    schema = pq.read_schema(path)
    ids = {f.name: int(f.metadata[b"PARQUET:field_id"]) for f in schema}
    assert ids == {name: i + 1 for i, (name, _) in enumerate(FIELDS)}


def test_microsecond_timestamps_read_back_as_the_same_instants(tmp_path):
    """--timestamps us (what an Iceberg table's files use): the four time columns are
    TIMESTAMP(MICROS, UTC), with their statistics, and hold the same instants."""
    import pyarrow as pa
    rng = random.Random(7)
    events = [full_event(i, rng, null_rate=0.2) for i in range(500)]
    path = convert(tmp_path, events, "--timestamps", "us")
    table = pq.read_table(path)
    for name in ("client_ts", "sent_ts", "collector_ts", "event_ts"):
        assert table.schema.field(name).type == pa.timestamp("us", tz="UTC"), name
        stats = pq.ParquetFile(path).metadata.row_group(0).column(table.column_names.index(name)).statistics
        values = [v for v in table.column(name).to_pylist() if v is not None]
        assert stats.min == min(values) and stats.max == max(values), name
        assert all(v.microsecond % 1000 == 0 for v in values), name
    millis = table.set_column(table.column_names.index("collector_ts"), "collector_ts",
                              table.column("collector_ts").cast(pa.timestamp("ms", tz="UTC")))
    for name in ("client_ts", "sent_ts", "event_ts"):
        i = millis.column_names.index(name)
        millis = millis.set_column(i, name, millis.column(name).cast(pa.timestamp("ms", tz="UTC")))
    got = read_rows(millis)
    assert got == [expected_row(e) for e in events]


def test_a_million_rows_in_row_groups(tmp_path):
    rng = random.Random(5)
    base = [full_event(i, rng, null_rate=0.85) for i in range(1000)]  # small: row groups cut by rows
    events = []
    for i in range(1_000_000):
        e = dict(base[i % 1000])
        e["event_id"] = f"00000000-0000-7000-8000-{i:012d}"
        e["collector_ts"] = e["event_ts"] = 1_795_600_800_000 + i
        events.append(e)
    path = convert(tmp_path, events)
    md = pq.ParquetFile(path).metadata
    assert md.num_rows == 1_000_000
    assert md.num_row_groups == 8  # 131,072 rows each by default
    assert [md.row_group(g).num_rows for g in range(8)] == [131_072] * 7 + [1_000_000 - 7 * 131_072]
    table = pq.read_table(path, columns=["event_id", "collector_ts", "page_url"])
    assert table.column("event_id").to_pylist()[::99_999] == [events[i]["event_id"] for i in range(0, 1_000_000, 99_999)]
    assert table.column("page_url").to_pylist() == [e.get("page_url") for e in events]
    ts = table.column("collector_ts").cast("int64").to_pylist()
    assert ts == list(range(1_795_600_800_000, 1_795_600_800_000 + 1_000_000))


def test_the_dictionary_falls_back_to_plain_when_it_grows_too_large(tmp_path):
    # page_url: 50,000 distinct 60-byte values, about 3 MiB: past the 1 MiB dictionary limit.
    # page_title: 3 distinct values: stays a dictionary.
    events = [minimal_event(i, page_url=f"https://example.github.io/posts/{i:08d}/" + "x" * 24,
                            page_title=["Home", "About", "Post"][i % 3]) for i in range(50_000)]
    path = convert(tmp_path, events)
    assert_reads_back(path, events)
    assert_metadata_consistent(path, events)
    group = pq.ParquetFile(path).metadata.row_group(0)
    by_name = {group.column(c).path_in_schema: group.column(c) for c in range(group.num_columns)}
    assert not by_name["page_url"].has_dictionary_page
    assert "RLE_DICTIONARY" not in by_name["page_url"].encodings
    assert by_name["page_title"].has_dictionary_page
    assert "RLE_DICTIONARY" in by_name["page_title"].encodings


@pytest.mark.parametrize("codec,level", [("zstd", 1), ("zstd", 19), ("gzip", 1), ("gzip", 12)])
def test_pyarrow_reads_every_compression_level(tmp_path, codec, level):
    rng = random.Random(f"{codec}{level}")
    events = [full_event(i, rng) for i in range(300)]
    out = convert(tmp_path, events, "--compression", codec, "--compression-level", str(level))
    assert_reads_back(out, events)
    md = pq.ParquetFile(out).metadata
    assert md.row_group(0).column(0).compression == codec.upper()


@pytest.mark.parametrize("codec,level,says", [
    ("snappy", 2, "snappy has no levels"),
    ("gzip", 13, "past gzip's levels; give 1 to 12"),
])
def test_a_level_the_codec_lacks_is_refused(tmp_path, codec, level, says):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.parquet"
    src.write_text(jsonl([minimal_event(0)]))
    done = subprocess.run([binary(), "convert", str(src), str(out), "--compression", codec,
                           "--compression-level", str(level)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert says in done.stderr
    assert not out.exists()


def test_a_bad_input_line_is_named_and_nothing_is_written(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.parquet"
    src.write_text(jsonl([minimal_event(0)]) + '{"type":"page_view"}\n')
    done = subprocess.run([binary(), "convert", str(src), str(out)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"{src}:2:" in done.stderr and "nothing was written" in done.stderr
    assert not out.exists() and not Path(str(out) + ".tmp").exists()


def test_duckdb_reads_the_sinks_parquet_with_hive_partitions_and_skips_row_groups(services, tmp_path):
    duckdb = pytest.importorskip("duckdb")
    from sink_harness import BASE_TS, HOUR_MS, canonical_event, create_topic, produce_events, sink_config

    topic = f"e2e-parquet-{random.Random().getrandbits(40):010x}"
    create_topic(services.kafka_bootstrap, topic)
    # 6 hours, 1,000 events each, spread over the topic's partitions; event i at hour i % 6.
    events = [canonical_event(i, BASE_TS + (i % 6) * HOUR_MS + i, page_title=f"post {i % 40}") for i in range(6000)]
    produce_events(services.kafka_bootstrap, topic, events)
    out = tmp_path / "out"
    sink_config(tmp_path, services.kafka_bootstrap, topic, str(out), format="parquet",
                row_group_rows=100).until_caught_up()
    files = sorted(out.rglob("*.parquet"))
    assert files and all(f.name.startswith(f"{topic}+") for f in files)

    con = duckdb.connect()
    scan = f"read_parquet('{out}/events/**/*.parquet', hive_partitioning=true)"
    assert con.execute(f"select count(*), count(distinct event_id) from {scan}").fetchone() == (6000, 6000)
    by_hour = dict(con.execute(f"select hour, count(*) from {scan} group by hour").fetchall())
    hours = {time.gmtime((BASE_TS + h * HOUR_MS) / 1000).tm_hour for h in range(6)}
    assert {int(h) for h in by_hour} == hours and set(by_hour.values()) == {1000}
    assert con.execute(f"select distinct year, month, day from {scan}").fetchall() == [(2026, 11, 25)]
    # Every event is there as produced.
    got = dict(con.execute(f"select event_id, page_title from {scan}").fetchall())
    assert got == {e["event_id"]: e["page_title"] for e in events}

    # A filter on a time found in one row group of each file of its hour (one file per Kafka
    # partition) reads those row groups alone: the others are skipped by their min/max statistics.
    target = events[4321]["collector_ts"]
    con.execute("pragma enable_profiling='json'")
    profile = tmp_path / "profile.json"
    con.execute(f"pragma profiling_output='{profile}'")
    hit = con.execute(f"select count(*) from {scan} where epoch_ms(collector_ts) = {target}").fetchone()
    con.execute("pragma disable_profiling")
    assert hit == (1,)
    query = json.loads(profile.read_text())["query"]
    assert query["total_row_groups_to_scan"] >= 60, query
    assert query["total_row_groups_scanned"] <= 4, query


def inspect(path: Path, *args: str) -> str:
    done = subprocess.run([binary(), "inspect", str(path), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_inspect_prints_schema_row_groups_statistics_and_first_rows(tmp_path):
    events = [minimal_event(i, page_url=f"https://me.github.io/{i % 3}", x=i, props={"i": i}) for i in range(250)]
    path = convert(tmp_path, events, "--row-group-rows", "100")
    out = inspect(path, "--rows", "3")
    assert out.startswith(f"{path}: 250 rows in 3 row group(s), {len(FIELDS)} columns; created by clicktrail version")
    assert "clicktrail.schema_version = 1" in out
    assert "  collector_ts         INT64      TIMESTAMP(MILLIS,UTC)  required" in out
    assert "row group 2: 50 rows" in out
    x_line = next(line for line in out.splitlines() if line.startswith("  x ") and "…" in line)
    assert x_line.endswith("0 … 99")
    assert "2026-11-25T10:00:00.000Z … 2026-11-25T10:00:00.099Z" in out
    rows = [json.loads(line) for line in out.split("first rows\n")[1].splitlines()]
    assert [r["event_id"] for r in rows] == [e["event_id"] for e in events[:3]]
    assert rows[1]["props"] == {"i": 1} and rows[2]["page_url"] == "https://me.github.io/2"


def test_inspect_reads_a_file_pyarrow_wrote(tmp_path):
    pa = pytest.importorskip("pyarrow")
    table = pa.table({
        "name": pa.array(["a", None, "ü", "a"], pa.string()),
        "n": pa.array([1, 2, None, -4], pa.int32()),
        "at": pa.array([0, 1_795_600_800_000, None, 5], pa.timestamp("ms", tz="UTC")),
        "ok": pa.array([True, False, None, True]),
    })
    path = tmp_path / "pyarrow.parquet"
    pq.write_table(table, path, compression="snappy", use_dictionary=True, data_page_version="1.0")
    out = inspect(path)
    rows = [json.loads(line) for line in out.split("first rows\n")[1].splitlines()]
    assert rows == [{"name": "a", "n": 1, "at": "1970-01-01T00:00:00.000Z", "ok": True},
                    {"n": 2, "at": "2026-11-25T10:00:00.000Z", "ok": False},
                    {"name": "ü"},
                    {"name": "a", "n": -4, "at": "1970-01-01T00:00:00.005Z", "ok": True}]


def test_inspect_names_a_file_that_is_not_parquet(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1 this is not a parquet file PAR1")
    done = subprocess.run([binary(), "inspect", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert str(path) in done.stderr and "Parquet" in done.stderr
