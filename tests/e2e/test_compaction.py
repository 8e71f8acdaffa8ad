"""`clicktrail compact` on an Iceberg table in the S3 server (docs/compaction.md), judged by
pyiceberg: a day of small files becomes one file an hour holding the same events, once each (a
resent batch's repeats removed), while readers scanning the table throughout never see an event
missing or a partition half-replaced."""

from __future__ import annotations

import random
import subprocess
import threading
import uuid
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("pyiceberg")
from pyiceberg.table import StaticTable  # noqa: E402

from collector import binary  # noqa: E402
from event_rows import TIMESTAMPS, expected_row, full_event, jsonl, read_rows  # noqa: E402

HOUR_MS = 3_600_000
DAY_START_MS = 1_795_564_800_000  # 2026-11-25T00:00:00Z


def day_of_events(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        e = full_event(i, rng, null_rate=0.3)
        e["event_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        # Not in the last minute of an hour, so that a resend seconds later stays in its hour.
        e["collector_ts"] = DAY_START_MS + rng.randrange(24) * HOUR_MS + rng.randrange(HOUR_MS - 60_000)
        e["event_ts"] = e["collector_ts"]
        out.append(e)
    return out


class Table:
    def __init__(self, services, tmp_path: Path) -> None:
        self.url = f"s3://{services.s3_bucket}/compaction-{uuid.uuid4().hex[:8]}/events"
        self.config = tmp_path / "s3.toml"
        self.config.write_text(f'[s3]\nregion = "{services.region}"\nendpoint = "{services.s3_endpoint}"\n'
                               'path_style = true\n')
        self.io = {"s3.endpoint": services.s3_endpoint, "s3.access-key-id": services.access_key,
                   "s3.secret-access-key": services.secret_key, "s3.region": services.region}
        self.tmp = tmp_path

    def append(self, name: str, events: list[dict]) -> None:
        path = self.tmp / f"{name}.jsonl"
        path.write_text(jsonl(events), encoding="utf-8")
        done = subprocess.run([binary(), "iceberg", "append", "--config", str(self.config), "--table", self.url,
                               str(path)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    def compact(self, *flags: str) -> subprocess.CompletedProcess:
        return subprocess.run([binary(), "compact", "--config", str(self.config), "--table", self.url, *flags],
                              capture_output=True, text=True, timeout=300)

    def open(self) -> StaticTable:
        return StaticTable.from_metadata(self.url, properties=self.io)

    def rows(self) -> list[dict]:
        """Every row of the current snapshot, with the time columns in ms as the events carry them."""
        arrow = self.open().scan().to_arrow()
        rows = read_rows(arrow)
        for r in rows:
            for name in TIMESTAMPS:
                if r.get(name) is not None:
                    r[name] //= 1000  # the table's timestamptz is in microseconds
        return rows


def hour_of(row: dict) -> int:
    return (row["collector_ts"] - DAY_START_MS) // HOUR_MS


def test_a_day_of_small_files_compacts_to_a_file_an_hour_with_each_event_once_while_readers_scan(
        services, tmp_path: Path) -> None:
    table = Table(services, tmp_path)
    originals = day_of_events(2400, 1)
    # Five sinks' worth of small commits: each append makes a file in each of the day's hours.
    for i in range(5):
        table.append(f"part{i}", originals[i * 480:(i + 1) * 480])
    # A tracker resends a batch it got no answer for: the same ids, a few seconds later.
    resent = [dict(e, collector_ts=e["collector_ts"] + 5000, event_ts=e["event_ts"] + 5000)
              for e in originals[500:800]]
    table.append("resent", resent)
    before = table.open()
    files_before = len(list(before.scan().plan_files()))
    assert files_before >= 6 * 24  # more: an append keeps 16 hours' files open at once
    ids_before = Counter(r["event_id"] for r in table.rows())
    assert sum(ids_before.values()) == 2700 and len(ids_before) == 2400

    planned = table.compact("--dry-run")
    assert planned.returncode == 0, planned.stderr
    assert len(planned.stdout.splitlines()) == 24, planned.stdout

    # Readers scan throughout. Each hour of each scan must be that hour before compaction (with its
    # repeats) or after it (without them): never an event missing, never old and new files at once.
    by_hour_before: dict[int, Counter] = {}
    for r in table.rows():
        by_hour_before.setdefault(hour_of(r), Counter())[r["event_id"]] += 1
    by_hour_after = {h: Counter(set(c)) for h, c in by_hour_before.items()}
    stop = threading.Event()
    scans: list[int] = []
    problems: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                rows = table.rows()
            except Exception as e:  # noqa: BLE001 - a failed scan is a finding, not a crash of the test
                problems.append(f"a scan failed: {e!r}")
                return
            seen: dict[int, Counter] = {}
            for r in rows:
                seen.setdefault(hour_of(r), Counter())[r["event_id"]] += 1
            for h in by_hour_before:
                if seen.get(h) not in (by_hour_before[h], by_hour_after[h]):
                    problems.append(f"hour {h}: a scan saw {sum(seen.get(h, Counter()).values())} rows, neither "
                                    f"{sum(by_hour_before[h].values())} before nor {len(by_hour_after[h])} after")
            scans.append(len(rows))

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for t in readers:
        t.start()
    while len(scans) < 2 and not problems:  # the readers are up and scanning
        threading.Event().wait(0.05)
    done = table.compact("--target-mib", "64")
    stop.set()
    for t in readers:
        t.join(timeout=120)
    assert done.returncode == 0, done.stderr
    assert not problems, problems[:5]
    assert len(scans) >= 4 and all(alive is False for alive in (t.is_alive() for t in readers))
    assert (f"24 partitions compacted, 0 failed: {files_before} files into 24, 2700 events into 2400 "
            "(300 repeats removed)") in done.stderr, done.stderr

    after = table.open()
    assert len(list(after.scan().plan_files())) == 24
    assert after.current_snapshot().summary.operation.value == "replace"
    rows = table.rows()
    assert len(rows) == 2400
    by_id = {r["event_id"]: r for r in rows}
    for e in originals:
        # The first copy committed is the one kept: the resend's later collector_ts is gone.
        assert by_id[e["event_id"]] == expected_row(e), e["event_id"]
    # Nothing left to do: a second run finds every partition compact.
    again = table.compact()
    assert again.returncode == 0, again.stderr
    assert "0 partitions compacted" in again.stderr, again.stderr


def test_an_open_hour_is_left_alone_and_a_hive_output_is_refused_with_the_reason(services, tmp_path: Path) -> None:
    import time
    table = Table(services, tmp_path)
    # The next hour's events (a clock ahead): an hour that cannot end while the test runs.
    next_hour_ms = int(time.time() * 1000) + HOUR_MS
    fresh = day_of_events(40, 7)
    for e in fresh:
        e["collector_ts"] = e["event_ts"] = next_hour_ms
    table.append("a", fresh[:20])
    table.append("b", fresh[20:])
    done = table.compact()
    assert done.returncode == 0, done.stderr
    assert "0 partitions compacted" in done.stderr, done.stderr
    assert len(list(table.open().scan().plan_files())) == 2
    done = table.compact("--settle-minutes", "0")
    assert done.returncode == 0 and "0 partitions compacted" in done.stderr, done.stderr
    assert len(list(table.open().scan().plan_files())) == 2, "an hour that has not ended is never closed"

    hive = tmp_path / "hive.toml"
    hive.write_text(f'[sink]\noutput = "{tmp_path / "out"}"\n')
    refused = subprocess.run([binary(), "compact", "--config", str(hive)], capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0
    assert "cannot be atomic" in refused.stderr and "sink.table = \"iceberg\"" in refused.stderr, refused.stderr


def test_compaction_and_a_sink_commit_to_one_table_at_once_and_lose_nothing(services, tmp_path: Path) -> None:
    """The sink commits every second into the hours compaction is rewriting: whichever commits
    second builds on the other, the sink's offsets survive every replace snapshot, and the table
    ends with each produced event exactly once."""
    import time

    from conftest import wait_for
    from sink_harness import Producer, create_topic, sink_config

    topic = f"e2e-compact-{uuid.uuid4().hex[:10]}"
    create_topic(services.kafka_bootstrap, topic)
    prefix = f"compaction-sink-{uuid.uuid4().hex[:8]}/events"
    url = f"s3://{services.s3_bucket}/{prefix}"
    run = sink_config(tmp_path, services.kafka_bootstrap, topic, url, s3=services, format="parquet",
                      table="iceberg", max_age="1s", group=f"compact-{prefix}")
    table = Table(services, tmp_path)
    table.url = url
    producer = Producer(services.kafka_bootstrap, topic, batch=200, pause=0.2)
    run.start()
    producer.start()
    compacted = 0
    try:
        wait_for(lambda: run.metrics().get("clicktrail_sink_table_commits_total", 0) >= 2 or None, 90,
                 "the sink never committed to the table")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done = table.compact("--settle-minutes", "0")
            assert done.returncode == 0, done.stderr
            compacted += int(done.stderr.split(": ", 1)[1].split(" partitions compacted")[0])
            assert run.proc.poll() is None, run.log.read_text()[-3000:]
    finally:
        producer.stop()
    try:
        commits_before = run.metrics().get("clicktrail_sink_table_commits_total", 0)
        wait_for(lambda: len(table.rows()) >= len(producer.ids) or None, 120,
                 "the sink did not commit every event to the table")
        assert run.metrics().get("clicktrail_sink_table_commits_total", 0) >= commits_before
    finally:
        assert run.stop() == 0, run.log.read_text()[-3000:]
    assert compacted >= 5, "compaction never met the sink's commits"
    assert not producer.uncertain, producer.failures[:3]
    ids = [r["event_id"] for r in table.rows()]
    assert sorted(ids) == sorted(producer.ids)  # none lost, none twice
    current = table.open().current_snapshot()
    assert "clicktrail.kafka-offsets" in current.summary.additional_properties


def test_the_sink_compacts_its_table_in_the_background_removing_a_resent_batchs_repeats(
        services, tmp_path: Path) -> None:
    """sink.compact_every: the running sink compacts its own table's closed hours, one file an
    hour in the end, and the copies of a batch the tracker sent twice (kept by the sink, whose
    window is off here) are gone from the table."""
    from conftest import wait_for
    from sink_harness import BASE_TS, canonical_event, create_topic, produce_events, sink_config

    topic = f"e2e-compact-bg-{uuid.uuid4().hex[:10]}"
    create_topic(services.kafka_bootstrap, topic)
    events = [canonical_event(i, BASE_TS + (i % 3) * HOUR_MS + i) for i in range(400)]
    for p in range(4):
        produce_events(services.kafka_bootstrap, topic, events[p::4], partition=p)
    produce_events(services.kafka_bootstrap, topic, events[:40], partition=0)  # resent: the same ids again
    url = f"s3://{services.s3_bucket}/compaction-bg-{uuid.uuid4().hex[:8]}/events"
    run = sink_config(tmp_path, services.kafka_bootstrap, topic, url, s3=services, format="parquet",
                      table="iceberg", max_records=25, max_age="1s", dedup_window=0, compact_every="2s")
    table = Table(services, tmp_path)
    table.url = url
    expected = sorted(e["event_id"] for e in events)

    def compacted() -> bool:
        if run.metrics().get("clicktrail_sink_table_commits_total", 0) == 0:
            return False  # no table yet
        t = table.open()
        per_hour = Counter(task.file.partition[0] for task in t.scan().plan_files())
        return sorted(r["event_id"] for r in table.rows()) == expected and set(per_hour.values()) == {1}

    run.start()
    try:
        wait_for(compacted, 120, "the sink did not compact its table to one file an hour without repeats", every=1)
        assert run.proc.poll() is None, run.log.read_text()[-3000:]
        metrics = run.metrics()
        assert metrics.get("clicktrail_sink_compacted_partitions_total", 0) >= 3
        assert metrics.get("clicktrail_sink_compaction_repeats_total", 0) == 40
        assert metrics.get("clicktrail_sink_compaction_failures_total", 0) == 0
    finally:
        assert run.stop() == 0, run.log.read_text()[-3000:]
    assert len(table.rows()) == len(expected)  # once each
    log = run.log.read_text()
    assert "compacting the table every 2 s" in log and "compacted partition=collector_ts_hour=" in log
