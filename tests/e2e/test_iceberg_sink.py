"""`[sink] table = "iceberg"` (docs/iceberg.md) against the real broker and the real S3 server,
judged by pyiceberg: the table holds exactly the events produced, after SIGKILLs at random moments
(between uploading data files and committing them too) and with two sinks of one group
committing to it at once; each snapshot records the Kafka offsets its table holds, and files no
snapshot lists are orphans that `clicktrail iceberg cleanup` finds."""

from __future__ import annotations

import json
import subprocess
import time
import uuid

import pytest

pytest.importorskip("pyiceberg")
from pyiceberg.table import StaticTable  # noqa: E402

from collector import binary  # noqa: E402
from conftest import wait_for  # noqa: E402
from kafka_tools import committed_offsets, reset_offset  # noqa: E402
from run_harness import new_run  # noqa: E402
from sink_harness import (BASE_TS, HOUR_MS, KeptSink, Producer, canonical_event, create_topic,  # noqa: E402
                          kill_at_random_moments, produce, produce_events, read_local, read_s3, sink_config,
                          table_sinks_commit_side_by_side)


def topic_name() -> str:
    return f"e2e-iceberg-{uuid.uuid4().hex[:10]}"


def open_table(services, prefix: str) -> StaticTable:
    return StaticTable.from_metadata(f"s3://{services.s3_bucket}/{prefix}", properties={
        "s3.endpoint": services.s3_endpoint, "s3.access-key-id": services.access_key,
        "s3.secret-access-key": services.secret_key, "s3.region": services.region,
    })


def table_ids(services, prefix: str) -> list[str]:
    return [r["event_id"] for r in open_table(services, prefix).scan(selected_fields=("event_id",)).to_arrow().to_pylist()]


def iceberg_sink(tmp_path, services, topic: str, prefix: str, **sink):
    return sink_config(tmp_path, services.kafka_bootstrap, topic, f"s3://{services.s3_bucket}/{prefix}", s3=services,
                       format="parquet", table="iceberg", **sink)


def test_the_table_holds_each_event_once_with_its_offsets_and_bad_records_stay_files(services, tmp_path):
    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    events = [canonical_event(i, BASE_TS + (i % 3) * HOUR_MS + i) for i in range(600)]
    for p in range(4):
        produce_events(services.kafka_bootstrap, topic, events[p::4], partition=p)
    produce(services.kafka_bootstrap, topic, [b"not json"], partition=2)
    prefix = f"table-{uuid.uuid4().hex[:8]}"
    iceberg_sink(tmp_path, services, topic, prefix, max_records=100).until_caught_up()

    table = open_table(services, prefix)
    rows = {r["event_id"]: r for r in table.scan().to_arrow().to_pylist()}
    assert sorted(rows) == sorted(e["event_id"] for e in events)  # each exactly once
    for e in events:
        assert int(rows[e["event_id"]]["collector_ts"].timestamp() * 1000) == e["collector_ts"]
    # Partitioned by the hour of collector_ts: a filter on one hour plans only its files.
    hour = {e["event_id"] for e in events if BASE_TS + HOUR_MS <= e["collector_ts"] < BASE_TS + 2 * HOUR_MS}
    start = time.strftime("%Y-%m-%dT%H:00:00+00:00", time.gmtime((BASE_TS + HOUR_MS) / 1000))
    end = time.strftime("%Y-%m-%dT%H:00:00+00:00", time.gmtime((BASE_TS + 2 * HOUR_MS) / 1000))
    filtered = table.scan(row_filter=f"collector_ts >= '{start}' and collector_ts < '{end}'")
    assert {r["event_id"] for r in filtered.to_arrow().to_pylist()} == hour
    assert all("collector_ts_hour=" in task.file.file_path for task in filtered.plan_files())
    # The current snapshot records, per partition, the offset below which the table holds it.
    offsets = json.loads(table.current_snapshot().summary["clicktrail.kafka-offsets"])
    assert offsets == {topic: {"0": 150, "1": 150, "2": 151, "3": 150}}
    # The poison record is a bad-table row, in the Hive layout beside the table.
    bad = [row for rows_ in read_s3(services, prefix, under="bad/").values() for row in rows_]
    assert [(b["reason"], b["partition"], b["offset"]) for b in bad] == [("invalid_record", 2, 150)]


def test_each_files_column_bounds_let_a_reader_skip_the_files_a_filter_rules_out(services, tmp_path):
    # One hour, two files (closed at 100 records): page views, then clicks with a longer URL.
    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    views = [canonical_event(i, BASE_TS + i, x=i) for i in range(100)]
    clicks = [canonical_event(i, BASE_TS + i, type="click", x=1000 + i, page_url=f"https://me.github.io/clicked/{i}")
              for i in range(100, 200)]
    produce_events(services.kafka_bootstrap, topic, views + clicks, partition=0)
    prefix = f"table-metrics-{uuid.uuid4().hex[:8]}"
    iceberg_sink(tmp_path, services, topic, prefix, max_records=100).until_caught_up()

    table = open_table(services, prefix)
    schema = table.schema()
    type_id, x_id, url_id, user_id = (schema.find_field(n).field_id for n in ("type", "x", "page_url", "user_id"))
    files = {task.file.file_path: task.file for task in table.scan().plan_files()}
    assert len(files) == 2
    by_type = {f.lower_bounds[type_id]: f for f in files.values()}
    assert sorted(by_type) == [b"click", b"page_view"]
    view, click = by_type[b"page_view"], by_type[b"click"]
    assert view.upper_bounds[type_id] == b"page_view" and click.upper_bounds[type_id] == b"click"
    assert view.value_counts[x_id] == 100 and view.null_value_counts[x_id] == 0
    assert view.null_value_counts[user_id] == 100 and user_id not in view.lower_bounds  # never set
    assert view.column_sizes[x_id] > 0
    # Numbers little-endian as Iceberg serialises an int; text cut to 16 bytes, the upper bound
    # rounded up so that it still bounds every URL of the file.
    assert int.from_bytes(click.lower_bounds[x_id], "little") == 1100
    assert int.from_bytes(click.upper_bounds[x_id], "little") == 1199
    assert click.lower_bounds[url_id] == b"https://me.githu"
    assert click.upper_bounds[url_id] == b"https://me.githv"
    # A filter the bounds rule out for a file skips it.
    clicked = table.scan(row_filter="type == 'click' and x >= 1150")
    assert [t.file.file_path for t in clicked.plan_files()] == [click.file_path]
    assert sorted(r["x"] for r in clicked.to_arrow().to_pylist()) == list(range(1150, 1200))
    assert list(table.scan(row_filter="x > 5000").plan_files()) == []


def test_sigkill_at_random_moments_leaves_each_event_in_the_table_once(services, tmp_path):
    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    prefix = f"table-crash-{uuid.uuid4().hex[:8]}"
    # Files close and commit every second, so kills land while data files upload, between their
    # upload and the table's commit, and between the table's commit and the intent's.
    run = iceberg_sink(tmp_path, services, topic, prefix, group=f"crash-{prefix}", max_age="1s", max_records=2000)
    producer = Producer(services.kafka_bootstrap, topic)
    kill_at_random_moments(run, producer, seed=17)
    ids = table_ids(services, prefix)
    assert len(producer.ids) > 5000
    missing = set(producer.ids) - set(ids)
    assert not missing, f"{len(missing)} events missing from the table after 20 kills"
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} events in the table twice"
    assert len(ids) == len(producer.ids)
    # What the kills left uploaded but never committed no reader sees: cleanup lists it and
    # removes it, and the table still reads the same.
    referenced = {task.file.file_path for task in open_table(services, prefix).scan().plan_files()}
    cleanup = subprocess.run([binary(), "iceberg", "cleanup", "--config", str(run.config), "--table",
                              f"s3://{services.s3_bucket}/{prefix}", "--older-than", "0", "--delete"],
                             capture_output=True, text=True, timeout=120)
    assert cleanup.returncode == 0, cleanup.stderr
    orphans = {line.split("\t")[0] for line in cleanup.stdout.splitlines() if "/data/" in line}
    assert not orphans & referenced, "cleanup listed a file the table reads"
    assert sorted(table_ids(services, prefix)) == sorted(producer.ids)


def test_a_crash_between_the_tables_commit_and_the_intents_writes_nothing_twice(services, tmp_path):
    # Offset 100 of partition 0 is poison (a bad-table row), the rest events. After a full run,
    # the intent and the group are put back at 100 with the bad file still listed, as a sink
    # killed right after the table's commit leaves them: the next run must write the bad row
    # again and no event twice.
    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    events = [canonical_event(i, BASE_TS + i) for i in range(199)]
    produce(services.kafka_bootstrap, topic, [json.dumps(e).encode() for e in events[:100]] + [b"poison"]
            + [json.dumps(e).encode() for e in events[100:]], partition=0)
    out = tmp_path / "out"
    group = f"between-{uuid.uuid4().hex[:8]}"
    run = sink_config(tmp_path, services.kafka_bootstrap, topic, str(out), group=group, format="parquet",
                      table="iceberg", max_age="1s")
    run.until_caught_up()
    intent = out / "_clicktrail" / "intents" / f"{topic}+0"
    text = intent.read_text()
    assert "committed 200\n" in text
    bad_files = list(read_local(out / "bad"))
    assert len(bad_files) == 1
    intent.write_text(text.replace("committed 200\n", "committed 100\n") + f"file bad/{bad_files[0]}\n")
    reset_offset(services.kafka_bootstrap, group, topic, 0, 100)

    run.start()
    try:
        wait_for(lambda: "committed 200\n" in intent.read_text() or None, 60, "the intent did not reach 200 again")
        # Only the bad row was written again: the events below the table's offset were skipped.
        assert wait_for(lambda: run.metrics().get("clicktrail_sink_records_in_total"), 30, "no metrics") == 1
    finally:
        assert run.stop() == 0, run.log.read_text()[-3000:]
    table = StaticTable.from_metadata(f"file://{out}")
    ids = [r["event_id"] for r in table.scan(selected_fields=("event_id",)).to_arrow().to_pylist()]
    assert sorted(ids) == sorted(e["event_id"] for e in events)  # none twice
    referenced = {task.file.file_path for task in table.scan().plan_files()}
    assert {f"file://{p}" for p in (out / "data").rglob("*.parquet")} == referenced  # no orphans
    bad = [row for rows in read_local(out / "bad").values() for row in rows]
    assert [(b["partition"], b["offset"]) for b in bad] == [(0, 100)]  # retired, then written again
    assert committed_offsets(services.kafka_bootstrap, group)[(topic, 0)] == 200
    assert json.loads(table.current_snapshot().summary["clicktrail.kafka-offsets"])[topic]["0"] == 200


def test_two_sinks_in_one_group_commit_to_one_table_without_losing_a_commit(services, tmp_path):
    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    prefix = f"table-pair-{uuid.uuid4().hex[:8]}"
    group = f"pair-{prefix}"
    sinks = [KeptSink(name, iceberg_sink(tmp_path, services, topic, prefix, group=group, max_age="1s")).start()
             for name in ("first", "second")]
    producer = Producer(services.kafka_bootstrap, topic)
    # Each does its part: its own partitions, its own commits to the one table.
    table_sinks_commit_side_by_side(sinks, producer, lambda: table_ids(services, prefix))
    ids = table_ids(services, prefix)
    assert sorted(ids) == sorted(producer.ids)  # none lost, none twice
    # Both committed: each snapshot's offsets carry all four partitions over, whoever wrote it.
    table = open_table(services, prefix)
    offsets = json.loads(table.current_snapshot().summary["clicktrail.kafka-offsets"])
    assert sorted(offsets[topic]) == ["0", "1", "2", "3"]


def test_clicktrail_run_keeps_its_events_as_an_iceberg_table(tmp_path):
    # The embedded pipeline: the collector, its embedded log, and a sink that commits to a table in
    # the data directory, its offsets under the log's name.
    run = new_run(tmp_path, CLICKTRAIL_SINK_TABLE="iceberg").start()
    ids = [str(uuid.uuid4()) for _ in range(30)]
    hint = run.data / "metadata" / "version-hint.text"

    def in_table() -> list[str] | None:
        if not hint.exists():
            return None
        table = StaticTable.from_metadata(f"file://{run.data}")
        got = [r["event_id"] for r in table.scan(selected_fields=("event_id",)).to_arrow().to_pylist()]
        return got if len(got) >= len(ids) else None

    try:
        for chunk in range(3):
            events = [{"type": "page_view", "event_id": i, "page_url": "https://me.github.io/"} for i in ids[chunk::3]]
            assert run.post(events + [{"type": "Not A Type"}]) == 200
        assert sorted(wait_for(in_table, 30, "the events did not reach the table")) == sorted(ids)
    finally:
        assert run.stop() == 0, run.log.read_text()
    assert "they are an Iceberg table at" in run.log.read_text()
    table = StaticTable.from_metadata(f"file://{run.data}")
    assert sorted(r["event_id"] for r in table.scan().to_arrow().to_pylist()) == sorted(ids)  # once each
    assert json.loads(table.current_snapshot().summary["clicktrail.kafka-offsets"]) == {"wal": {"0": 30}}
    # The rejections are bad-table rows beside the table, as the Hive layout has them.
    assert len(list((run.data / "bad").rglob("*.jsonl.gz"))) >= 1
