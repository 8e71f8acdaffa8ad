"""`clicktrail run`, the embedded pipeline: what it serves, that accepted events reach Parquet
exactly once through its embedded log, also when it is killed at random moments under load."""

from __future__ import annotations

import base64
import gzip
import json
import random
import threading
import time
import uuid

import pytest

pytest.importorskip("duckdb")

from conftest import wait_for
from run_harness import new_run, stored_events


def test_serves_the_demo_the_tracker_and_the_inspector(tmp_path):
    run = new_run(tmp_path).start()
    try:
        status, ctype, body = run.get("/")
        assert status == 200 and ctype.startswith("text/html") and b"/clicktrail.js" in body
        status, ctype, body = run.get("/clicktrail.js")
        assert status == 200 and ctype.startswith("text/javascript") and len(gzip.compress(body, 9)) <= 3072  # tracker/scripts/size.mjs
        status, ctype, body = run.get("/inspect")
        assert status == 200 and ctype.startswith("text/html")
        assert run.get("/healthz")[0] == 200
        # /readyz answers the background check's last result (once a second): ready soon after start.
        wait_for(lambda: run.get("/readyz")[0] == 200, 10, f"run never became ready: {run.get('/readyz')}")
    finally:
        assert run.stop() == 0, run.log.read_text()


def test_accepted_events_and_rejections_reach_the_files(tmp_path):
    run = new_run(tmp_path).start()
    ids = [str(uuid.uuid4()) for _ in range(30)]
    try:
        for chunk in range(3):
            events = [{"type": "page_view", "event_id": i, "page_url": "https://me.github.io/"} for i in ids[chunk::3]]
            assert run.post(events + [{"type": "Not A Type"}]) == 200
        wait_for(lambda: len(stored_events(run.data)) == 30, 20, "the events did not reach Parquet")
    finally:
        assert run.stop() == 0, run.log.read_text()
    rows = stored_events(run.data)
    assert sorted(r["event_id"] for r in rows) == sorted(ids)
    assert {r["year"] for r in rows} == {time.gmtime().tm_year}
    bad = [json.loads(line) for f in (run.data / "bad").rglob("*.jsonl.gz")
           for line in gzip.decompress(f.read_bytes()).decode().splitlines()]
    assert [b["reason"] for b in bad] == ["invalid_type"] * 3
    assert json.loads(base64.b64decode(bad[0]["raw_base64"])) == {"type": "Not A Type"}


def test_inspect_stream_shows_an_event_within_a_second(tmp_path):
    import urllib.request
    run = new_run(tmp_path).start()
    try:
        stream = urllib.request.urlopen(run.url + "/inspect/stream", timeout=10)
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        marker = str(uuid.uuid4())
        sent = time.monotonic()
        assert run.post([{"type": "click", "event_id": marker}]) == 204
        seen = None
        while seen is None:
            line = stream.readline().decode()
            if line.startswith("data: [") and marker in line:
                seen = time.monotonic()
            assert time.monotonic() - sent < 5, "the event did not appear on /inspect/stream"
        assert seen - sent < 1.0
        stream.close()
    finally:
        assert run.stop() == 0, run.log.read_text()


class Load(threading.Thread):
    """Posts batches of events with fresh ids to the current run until stopped; remembers which
    were acknowledged (2xx: durable) and which got no answer (in flight at a kill)."""

    def __init__(self, run):
        super().__init__(daemon=True)
        self.run_ = run
        self.acked: list[str] = []
        self.unanswered: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            ids = [str(uuid.uuid4()) for _ in range(20)]
            try:
                status = self.run_.post([{"type": "page_view", "event_id": i, "page_url": f"https://x/{i}"} for i in ids],
                                        timeout=5)
            except OSError:
                status = None
            if status is not None and 200 <= status < 300:
                self.acked += ids
            else:
                self.unanswered += ids
                time.sleep(0.05)


def test_sigkill_under_load_loses_no_acknowledged_event_and_duplicates_none(tmp_path):
    run = new_run(tmp_path)
    load = Load(run)
    rng = random.Random(17)
    run.start()
    load.start()
    try:
        for _ in range(20):
            time.sleep(rng.uniform(0.2, 1.5))
            run.kill()
            run.start()
        time.sleep(1)
    finally:
        load.stopping.set()
        load.join(timeout=30)
    assert run.stop() == 0, run.log.read_text()[-3000:]
    rows = stored_events(run.data)
    ids = [r["event_id"] for r in rows]
    assert len(load.acked) > 2000
    missing = set(load.acked) - set(ids)
    assert not missing, f"{len(missing)} acknowledged events missing after 20 kills"
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} events written twice"
    assert set(ids) <= set(load.acked) | set(load.unanswered)


def test_a_damaged_record_in_the_log_is_moved_aside_and_run_goes_on_with_every_other_event(tmp_path):
    """A byte flipped in the middle of the embedded log's segment (not its tail): `run` starts, keeps
    every other event, moves the segment aside, says so in an error line and in /metrics, and takes
    new events."""
    # The sink keeps its files open for an hour: the events stay unconsumed in the log at the kill.
    run = new_run(tmp_path, CLICKTRAIL_SINK_MAX_AGE="1h")
    ids = [str(uuid.uuid4()) for _ in range(30)]
    run.start()
    for chunk in range(3):
        events = [{"type": "page_view", "event_id": i, "page_url": "https://me.github.io/"} for i in ids[chunk * 10:][:10]]
        assert run.post(events) == 204
    run.kill()

    segment = run.data / "_clicktrail" / "wal" / "events" / "00000000000000000000.seg"
    raw = bytearray(segment.read_bytes())
    victim = ids[15]
    at = raw.index(victim.encode())
    assert raw.count(victim.encode()) == 1 and raw.find(ids[29].encode()) > at  # mid-segment, not its tail
    raw[at + 4] ^= 0x20  # inside the record's payload: its length and the records after it are intact
    segment.write_bytes(bytes(raw))

    run.env["CLICKTRAIL_SINK_MAX_AGE"] = "1s"
    run.start()
    try:
        log = run.log.read_text()
        assert "damaged segment moved aside" in log and f"file={segment}" in log, log[-3000:]
        assert "kept_records=29 lost_offsets=15..15" in log, log[-3000:]
        assert (segment.parent / (segment.name + ".damaged")).read_bytes() == bytes(raw)
        metrics = run.get("/metrics")[2].decode()
        assert 'clicktrail_wal_damaged_segments_total{log="events"} 1' in metrics
        assert 'clicktrail_wal_damaged_files{log="events"} 1' in metrics
        wait_for(lambda: run.get("/readyz")[0] == 200, 10, "run did not become ready after moving the damage aside")
        late = str(uuid.uuid4())
        assert run.post([{"type": "click", "event_id": late}]) == 204
        expected = sorted(set(ids) - {victim} | {late})
        wait_for(lambda: sorted(r["event_id"] for r in stored_events(run.data)) == expected, 20,
                 "the events around the damage (and a new one) did not reach Parquet exactly once")
    finally:
        assert run.stop() == 0, run.log.read_text()[-3000:]
