"""The sink against the real broker and the real S3 server (and a local directory): every event
lands exactly once under exactly the expected key, whatever kills it, whoever shares its group,
and however the store fails."""

from __future__ import annotations

import base64
import json
import random
import time
import uuid
from pathlib import Path

import pytest

from collector import start_collector
from conftest import wait_for
from sink_harness import (BASE_TS, HOUR_MS, Producer, canonical_event, create_topic, event_ids,
                          kill_at_random_moments, pending_uploads, produce, produce_events, read_local, read_s3,
                          sink_config)


def topic_name() -> str:
    return f"e2e-sink-{uuid.uuid4().hex[:10]}"


def expected_partition(ts: int) -> str:
    t = time.gmtime(ts / 1000)
    return f"year={t.tm_year:04}/month={t.tm_mon:02}/day={t.tm_mday:02}/hour={t.tm_hour:02}"


def test_events_over_hours_and_partitions_land_once_under_the_expected_keys(services, tmp_path):
    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    events = [canonical_event(i, BASE_TS + (i % 5) * HOUR_MS + i) for i in range(2000)]
    for p in range(4):
        produce_events(services.kafka_bootstrap, topic, events[p::4], partition=p)
    out = tmp_path / "out"
    sink_config(tmp_path, services.kafka_bootstrap, topic, str(out), max_records=300).until_caught_up()

    files = read_local(out)
    ids = event_ids(files)
    assert sorted(ids) == sorted(e["event_id"] for e in events)  # every event, exactly once
    by_id = {e["event_id"]: e for e in events}
    for key, rows in files.items():
        table, *partition_path, name = key.split("/")
        assert table == "events"
        topic_part, p, offset_ext = name.split("+")
        assert topic_part == topic and p in "0123" and offset_ext.endswith(".jsonl.gz")
        offset, generation = offset_ext.split(".")[0].split("-g")
        assert len(offset) == 20 and offset.isdigit() and int(generation) >= 1, name
        for row in rows:
            assert "/".join(partition_path) == expected_partition(row["collector_ts"])
            assert row == by_id[row["event_id"]]  # value for value
        assert len(rows) <= 300  # max_records
    assert len({k.split("/")[1:5].__str__() for k in files}) == 5  # five hours


def test_the_compression_level_reaches_the_files(services, tmp_path):
    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    events = [canonical_event(i, BASE_TS + i) for i in range(3000)]
    produce_events(services.kafka_bootstrap, topic, events, partition=0)
    size = {}
    for level in (1, 12):
        out = tmp_path / f"out-{level}"
        sink_config(tmp_path, services.kafka_bootstrap, topic, str(out), compression_level=level).until_caught_up()
        files = read_local(out)
        assert sorted(event_ids(files)) == sorted(e["event_id"] for e in events)
        size[level] = sum(p.stat().st_size for p in out.rglob("*.jsonl.gz") if "/events/" in str(p))
    assert 0 < size[12] < size[1], size  # gzip at 12 is smaller than at 1: the level was applied


def test_poison_records_go_to_the_bad_table_and_do_not_stop_the_partition(services, tmp_path):
    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    good = [canonical_event(i, BASE_TS) for i in range(10)]
    values = [json.dumps(good[0]).encode(), b"not json at all", b"", b"x" * (200 << 10),
              b'{"type":"page_view"}', None] + [json.dumps(e).encode() for e in good[1:]]
    produce(services.kafka_bootstrap, topic, values, partition=2)
    out = tmp_path / "out"
    sink_config(tmp_path, services.kafka_bootstrap, topic, str(out)).until_caught_up()
    files = read_local(out)
    assert sorted(event_ids(files)) == sorted(e["event_id"] for e in good)
    bad = [row for key, rows in files.items() if key.startswith("bad/") for row in rows]
    assert len(bad) == 5
    assert all(row["reason"] == "invalid_record" and row["detail"] and row["partition"] == 2 for row in bad)
    assert sorted(row["offset"] for row in bad) == [1, 2, 3, 4, 5]


def test_a_resent_batch_lands_once_and_a_repeat_past_the_window_is_kept(services, tmp_path):
    # One partition, as one visitor's events are: a batch, the same batch resent, 30 others, then
    # the batch's first and last events once more. The window holds 60 ids: at the end it has
    # forgotten the first event (its repeat is kept) but not the last (its repeat is dropped).
    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    batch = [canonical_event(i, BASE_TS + i) for i in range(50)]
    others = [canonical_event(100 + i, BASE_TS + 100 + i) for i in range(30)]
    produce_events(services.kafka_bootstrap, topic, batch + batch + others + [batch[0], batch[-1]], partition=1)
    out = tmp_path / "out"
    sink_config(tmp_path, services.kafka_bootstrap, topic, str(out), dedup_window=60).until_caught_up()
    ids = event_ids(read_local(out))
    assert sorted(ids) == sorted([e["event_id"] for e in batch + others] + [batch[0]["event_id"]])

    # With the window off, every record is written.
    off = tmp_path / "off"
    sink_config(tmp_path, services.kafka_bootstrap, topic, str(off), dedup_window=0).until_caught_up()
    assert len(event_ids(read_local(off))) == 132


def test_to_s3_with_signatures_and_exact_keys(services, tmp_path):
    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    events = [canonical_event(i, BASE_TS + (i % 3) * HOUR_MS) for i in range(1500)]
    produce_events(services.kafka_bootstrap, topic, events)
    prefix = f"sink-{uuid.uuid4().hex[:8]}"
    run = sink_config(tmp_path, services.kafka_bootstrap, topic, f"s3://{services.s3_bucket}/{prefix}", s3=services)
    run.until_caught_up()
    files = read_s3(services, prefix)
    assert sorted(event_ids(files)) == sorted(e["event_id"] for e in events)
    assert all(k.startswith("events/year=2026/month=11/day=25/hour=") for k in files)


def test_a_quiet_partition_reaches_the_store_within_max_age(services, tmp_path):
    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    out = tmp_path / "out"
    run = sink_config(tmp_path, services.kafka_bootstrap, topic, str(out), max_age="2s").start()
    try:
        time.sleep(4)  # joined the group
        produce_events(services.kafka_bootstrap, topic, [canonical_event(1, BASE_TS)], partition=1)
        sent = time.monotonic()
        while not (out.exists() and event_ids(read_local(out))):
            assert time.monotonic() - sent < 2 + 5, "a lone event did not reach the store within max_age (+5 s)"
            time.sleep(0.2)
    finally:
        assert run.stop() == 0, run.log.read_text()


def test_sigkill_at_random_moments_loses_nothing_and_duplicates_nothing(services, tmp_path):
    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    prefix = f"crash-{uuid.uuid4().hex[:8]}"
    # Wall-clock flushing on (max_age 1 s) and small size limits: files close and commit all the
    # time, so kills land between uploads and commits; uncompressed JSON and a 6 MiB size limit
    # make some files multipart (5 MiB parts), so kills land inside multipart uploads too.
    run = sink_config(tmp_path, services.kafka_bootstrap, topic, f"s3://{services.s3_bucket}/{prefix}",
                      s3=services, group=f"crash-{prefix}", max_age="1s", max_bytes="6MiB", compression="none")
    producer = Producer(services.kafka_bootstrap, topic)
    kill_at_random_moments(run, producer, seed=7)
    ids = event_ids(read_s3(services, prefix))
    assert len(producer.ids) > 5000
    missing = set(producer.ids) - set(ids)
    assert not missing, f"{len(missing)} events missing after 20 kills"
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} events written twice"
    assert len(ids) == len(producer.ids)
    # Kills inside multipart uploads left parts behind; recovery aborted them.
    assert pending_uploads(services, prefix) == []


def test_two_sinks_in_one_group_split_the_partitions_without_loss_or_duplicates(services, tmp_path):
    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    out = tmp_path / "out"
    group = f"pair-{uuid.uuid4().hex[:8]}"
    first = sink_config(tmp_path, services.kafka_bootstrap, topic, str(out), group=group, max_age="1s")
    second = sink_config(tmp_path, services.kafka_bootstrap, topic, str(out), group=group, max_age="1s")
    producer = Producer(services.kafka_bootstrap, topic, batch=200, pause=0.2)
    first.start()
    producer.start()
    try:
        time.sleep(3)
        second.start()      # the group rebalances: partitions move under load
        time.sleep(6)
        assert second.stop() == 0, second.log.read_text()[-3000:]  # and back
        time.sleep(4)
    finally:
        producer.stopping.set()
        producer.join(timeout=60)
    assert first.stop() == 0, first.log.read_text()[-3000:]
    first.until_caught_up()
    ids = event_ids(read_local(out))
    assert sorted(ids) == sorted(producer.ids)
    assert "assigned partition" in second.log.read_text()


def test_s3_faults_are_retried_and_never_committed_past(services, tmp_path):
    from dataclasses import replace

    from s3_fault_proxy import FaultProxy

    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    events = [canonical_event(i, BASE_TS + (i % 3) * HOUR_MS) for i in range(3000)]
    produce_events(services.kafka_bootstrap, topic, events)
    prefix = f"faults-{uuid.uuid4().hex[:8]}"
    with FaultProxy(services.s3_endpoint, fault_rate=0.25, stall_s=15) as proxy:
        behind_proxy = replace(services, s3_endpoint=proxy.endpoint)
        run = sink_config(tmp_path, services.kafka_bootstrap, topic, f"s3://{services.s3_bucket}/{prefix}",
                          s3=behind_proxy, max_records=200, group=f"faults-{prefix}")
        # A run may give up when faults outlast the store's retries; it then exits non-zero
        # without committing past the store, and the next run recovers. Three tries at most.
        for attempt in range(3):
            run.start("--until-caught-up")
            if run.proc.wait(timeout=300) == 0:
                break
        else:
            raise AssertionError(run.log.read_text()[-4000:])
        counts = dict(proxy.counts)
    assert counts["500"] + counts["503"] + counts["reset"] + counts["stall"] > 5, counts
    ids = event_ids(read_s3(services, prefix))
    assert sorted(ids) == sorted(e["event_id"] for e in events), counts


def test_metrics_count_records_files_and_lag_per_partition(services, tmp_path):
    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    events = [canonical_event(i, BASE_TS + i) for i in range(400)]
    bad = [b"not json", b""]
    produce_events(services.kafka_bootstrap, topic, events)
    produce(services.kafka_bootstrap, topic, bad, partition=2)
    produce_events(services.kafka_bootstrap, topic, events[:5])  # resent: keyed as before, so to the same partitions
    run = sink_config(tmp_path, services.kafka_bootstrap, topic, str(tmp_path / "out"), max_age="1s").start()
    try:
        m = wait_for(lambda: (lambda m: m if m.get("clicktrail_sink_records_out_total") == 402
                              and m.get("clicktrail_sink_repeated_events_total") == 5 else None)(run.metrics()),
                     60, "the sink did not write all 402 records and drop the 5 repeats")
        assert m["clicktrail_sink_records_in_total"] == 402
        assert m["clicktrail_sink_repeated_events_total"] == 5
        assert m['clicktrail_sink_bad_records_total{reason="invalid_record"}'] == 2
        assert m["clicktrail_sink_files_written_total"] >= 2  # events and bad
        assert m["clicktrail_sink_bytes_written_total"] > 0
        assert m["clicktrail_sink_upload_seconds_count"] == m["clicktrail_sink_files_written_total"]
        # Every partition is owned and, once everything is read, has no lag.
        lags = wait_for(lambda: (lambda l: l if len(l) == 4 and not any(l.values()) else None)(
            {k: v for k, v in run.metrics().items() if k.startswith(f"clicktrail_sink_lag_records{{topic=\"{topic}\",")}),
            30, "lag per partition did not reach 0 on all 4 partitions")
        assert set(lags) == {f'clicktrail_sink_lag_records{{topic="{topic}",partition="{p}"}}' for p in range(4)}
    finally:
        assert run.stop() == 0, run.log.read_text()[-3000:]


def test_buffered_bytes_are_capped_by_closing_files_early(services, tmp_path):
    topic = topic_name()
    create_topic(services.kafka_bootstrap, topic)
    prefix = f"capped-{uuid.uuid4().hex[:8]}"
    # 12 hours in one partition, ~2.3 MiB per hour uncompressed: without the cap each hour's file
    # would hold its whole part buffer (below S3's 5 MiB part size), ~28 MiB together.
    rng = random.Random(3)
    events = [canonical_event(i, BASE_TS + (i % 12) * HOUR_MS,
                              page_title="".join(rng.choice("abcdefghij") for _ in range(4000)))
              for i in range(7200)]
    produce_events(services.kafka_bootstrap, topic, events, partition=0)
    run = sink_config(tmp_path, services.kafka_bootstrap, topic, f"s3://{services.s3_bucket}/{prefix}", s3=services,
                      compression="none", max_buffered_bytes="4MiB", max_age="10m")
    run.start()
    try:
        m = wait_for(lambda: (lambda m: m if m.get("clicktrail_sink_records_in_total") == len(events) else None)(
            run.metrics()), 120, "the sink did not read every event")
        assert m["clicktrail_sink_buffered_bytes"] <= 4 << 20
    finally:
        assert run.stop() == 0, run.log.read_text()[-3000:]
    files = read_s3(services, prefix)
    # Files closed early for memory, long before max_age: many more files than hours. Without
    # the bound, each of the 12 hours would be one file.
    assert len(files) > 2 * 12, len(files)
    ids = event_ids(files)
    assert sorted(ids) == sorted(e["event_id"] for e in events)


def test_the_collectors_rejected_input_lands_in_the_bad_table(services, tmp_path):
    collector = start_collector(tmp_path, services.kafka_bootstrap)
    try:
        good = str(uuid.uuid4())
        bad_event = {"type": "Page View", "page_url": "https://me.github.io/"}
        r = collector.post([{"type": "page_view", "event_id": good}, bad_event])
        assert r.status == 200 and r.json()["accepted"] == 1, r.body
        assert collector.post(None, raw=b"{not json").status == 400
    finally:
        assert collector.stop() == 0
    # A record in the bad topic that the collector did not write is kept too, wrapped.
    produce(services.kafka_bootstrap, collector.bad_topic, [b"stray\nbytes"], partition=0)
    out = tmp_path / "out"
    sink_config(tmp_path, services.kafka_bootstrap, collector.topic, str(out),
                bad_topic=collector.bad_topic).until_caught_up()
    files = read_local(out)
    assert event_ids(files) == [good]
    bad_keys = [k for k in files if k.startswith("bad/")]
    assert bad_keys and all(f"/{collector.bad_topic}+" in k for k in bad_keys), bad_keys
    rows = [row for k in bad_keys for row in files[k]]
    by_reason = {row["reason"]: row for row in rows}
    assert json.loads(base64.b64decode(by_reason["invalid_type"]["raw_base64"])) == bad_event
    assert by_reason["invalid_type"]["index"] == 1
    assert base64.b64decode(by_reason["invalid_json"]["raw_base64"]) == b"{not json"
    assert base64.b64decode(by_reason["invalid_record"]["raw_base64"]) == b"stray\nbytes"
    assert len(rows) == 3
