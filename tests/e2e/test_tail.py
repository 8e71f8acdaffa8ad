"""`clicktrail tail` against what it follows: the embedded log of a running `clicktrail run`, and
the real Kafka broker behind `clicktrail collect` with a `clicktrail sink` in its group. Each
event posted is printed once by every tail whose filters it passes, in the short form or as the
stored JSON; rejected input with --bad; a record that is not an event as a note. Tail reads
only: run and the sink go on undisturbed, and no consumer group appears for tail.

Every process a test starts is checked alive and doing its part before it is stopped; every
wait is bounded."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

from collector import binary, free_port, start_collector
from conftest import Stoppable, kcat_produce, wait_for
from kafka_tools import kafka_tool
from run_harness import Run
from sink_harness import event_ids, read_local, sink_config

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
SHORT_LINE = re.compile(rf"^(\d\d:\d\d:\d\d\.\d\d\d) (\S+) (\S+) ({UUID}) (\S+)$")


class Tail(Stoppable):
    """`clicktrail tail` with its stdout read line by line on a thread of its own (so that every
    wait has a deadline) and its stderr in a log file."""

    def __init__(self, tmp: Path, config: Path, *args: str, read: bool = True):
        self.log = tmp / f"tail-{uuid.uuid4().hex[:8]}.log"
        clean = {k: v for k, v in os.environ.items() if not k.startswith("CLICKTRAIL_")}
        self.proc = subprocess.Popen([binary(), "tail", "--config", str(config), *args], stdout=subprocess.PIPE,
                                     stderr=self.log.open("w"), env=clean, text=True)
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = None
        if read:  # else the test hands proc.stdout to someone else
            self._reader = threading.Thread(target=self._read, daemon=True)
            self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._lock:
                self._lines.append(line.rstrip("\n"))

    @property
    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def started(self, timeout: float = 20) -> "Tail":
        wait_for(lambda: self.proc.poll() is not None or "following" in self.stderr(), timeout,
                 f"tail did not start: {self.stderr()}")
        assert self.proc.poll() is None, f"tail exited {self.proc.returncode}: {self.stderr()}"
        return self

    def wait_lines(self, n: int, timeout: float = 20) -> list[str]:
        wait_for(lambda: len(self.lines) >= n or self.proc.poll() is not None, timeout,
                 f"tail printed {len(self.lines)} of {n} lines: {self.lines}\n{self.stderr()}")
        assert self.proc.poll() is None, f"tail exited {self.proc.returncode}: {self.stderr()}"
        return self.lines

    def stop_cleanly(self) -> None:
        """Alive up to now, then SIGTERM: exit 0, saying so."""
        assert self.proc.poll() is None, f"tail died early ({self.proc.returncode}): {self.stderr()}"
        assert self.stop(timeout=10) == 0, self.stderr()
        if self._reader:
            self._reader.join(timeout=10)
        assert "stopped signal=" in self.stderr()


def kill_left(procs: list) -> None:
    """Kills what a failed test left running (a tail runs until it is told to stop)."""
    for p in procs:
        proc = getattr(p, "proc", p)
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def post(url: str, site: str, events: list[dict]) -> int:
    req = urllib.request.Request(f"{url}/v1/events?site={site}", data=json.dumps(events).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Origin": "http://localhost:8080"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def utc_time(collector_ts: int) -> str:
    return datetime.fromtimestamp(collector_ts / 1000, timezone.utc).strftime("%H:%M:%S.") + f"{collector_ts % 1000:03}"


def ids_of(lines: list[str]) -> list[str]:
    return [SHORT_LINE.match(line).group(4) for line in lines]


def sample_events(other: str) -> dict[str, list[dict]]:
    """For site demo and site `other`: three events with fresh ids, one of them a click."""
    def ev(kind: str, n: int) -> dict:
        return {"type": kind, "event_id": str(uuid.uuid4()), "page_url": f"https://me.github.io/{kind}/{n}"}
    return {"demo": [ev("page_view", 1), ev("page_view", 2), ev("click", 3)],
            other: [ev("page_view", 4), ev("click", 5), ev("scroll", 6)]}


def check_tails(sent: dict[str, list[dict]], other: str, everything: Tail, one_site: Tail, clicks: Tail,
                as_json: Tail, before: list[str], from_start: Tail) -> None:
    """Each tail printed each event that passes its filters exactly once (a second of settling
    catches extras): `one_site` is --site other, `clicks` --type click, `from_start`
    --from-beginning (which also prints the events `before` it started); the short lines agree
    with the stored JSON."""
    all_ids = {e["event_id"]: (site, e) for site, events in sent.items() for e in events}
    everything.wait_lines(len(all_ids))
    as_json.wait_lines(len(all_ids))
    one_site.wait_lines(len(sent[other]))
    clicks.wait_lines(2)
    from_start.wait_lines(len(before) + len(all_ids))
    time.sleep(1)

    lines = everything.lines
    assert all(SHORT_LINE.match(line) for line in lines), lines
    assert sorted(ids_of(lines)) == sorted(all_ids), "each event once, none from before tail started"
    stored = [json.loads(line) for line in as_json.lines]
    assert sorted(e["event_id"] for e in stored) == sorted(all_ids)
    by_id = {e["event_id"]: e for e in stored}
    for line in lines:
        at, site, kind, event_id, url = SHORT_LINE.match(line).groups()
        e = by_id[event_id]
        assert (site, kind, url) == (all_ids[event_id][0], all_ids[event_id][1]["type"], all_ids[event_id][1]["page_url"])
        assert (e["site"], e["type"], e["page_url"]) == (site, kind, url)
        assert at == utc_time(e["collector_ts"])
    assert sorted(ids_of(one_site.lines)) == sorted(e["event_id"] for e in sent[other])
    assert sorted(ids_of(clicks.lines)) == sorted(e["event_id"] for s in sent.values() for e in s if e["type"] == "click")
    assert sorted(ids_of(from_start.lines)) == sorted(before + list(all_ids))


# --- the embedded log of `clicktrail run` ---------------------------------------------------


def embedded_config(tmp: Path, data: Path, more: str = "") -> Path:
    config = tmp / f"tail-{uuid.uuid4().hex[:8]}.toml"
    config.write_text(f"""
[[sites]]
key = "demo"
origins = ["*"]

[[sites]]
key = "shop"
origins = ["*"]

[wal]
dir = "{data}/_clicktrail/wal"
{more}""")
    return config


def start_run(tmp: Path, config: Path) -> Run:
    name = uuid.uuid4().hex[:8]
    return Run(tmp / "data", tmp / f"run-{name}.log", config=config).start()


def parquet_rows_hold(run: Run, ids: list[str]) -> bool:
    """Whether run's sink has written every one of `ids` to its Parquet files (read back with
    `clicktrail inspect`)."""
    text = ""
    for f in (run.data / "events").rglob("*.parquet"):
        text += subprocess.run([binary(), "inspect", str(f), "--rows", "100000"], capture_output=True, text=True,
                               timeout=30, check=True).stdout
    return all(i in text for i in ids)


def test_tail_follows_the_embedded_log_of_a_running_run(tmp_path):
    config = embedded_config(tmp_path, tmp_path / "data")
    # Before run has ever started there is no log: tail says where it looked and what to do.
    missing = subprocess.run([binary(), "tail", "--config", str(config)], capture_output=True, text=True, timeout=30)
    assert missing.returncode == 2
    assert f"{tmp_path}/data/_clicktrail/wal/events" in missing.stderr and "clicktrail run" in missing.stderr
    assert "CLICKTRAIL_WAL_DIR" in missing.stderr and "[kafka]" in missing.stderr

    run = start_run(tmp_path, config)
    tails: list[Tail] = []

    def tail(*args: str) -> Tail:
        tails.append(Tail(tmp_path, config, *args))
        return tails[-1].started()

    try:
        before = [{"type": "page_view", "event_id": str(uuid.uuid4())} for _ in range(2)]
        assert post(run.url, "demo", before) == 204  # durable before any tail starts
        everything, shop, clicks = tail(), tail("--site", "shop"), tail("--type", "click")
        as_json, from_start, bad = tail("--json"), tail("--from-beginning"), tail("--bad", "--site", "demo")

        sent = sample_events("shop")
        assert post(run.url, "demo", sent["demo"] + [{"type": "Not A Type"}]) == 200
        assert post(run.url, "shop", sent["shop"]) == 204
        check_tails(sent, "shop", everything, shop, clicks, as_json, [e["event_id"] for e in before], from_start)
        [rejected] = bad.wait_lines(1)
        assert re.match(r"^\d\d:\d\d:\d\d\.\d\d\d demo invalid_type type \"Not A Type\" is not one of", rejected)

        # run went on undisturbed: it answers, and its sink wrote every event to Parquet.
        wait_for(lambda: run.get("/readyz")[0] == 200, 10, "run did not become ready")
        wait_for(lambda: parquet_rows_hold(run, [e["event_id"] for s in sent.values() for e in s]), 30,
                 "run's sink did not write the events while tail followed its log")
        for t in tails:
            t.stop_cleanly()
    finally:
        kill_left(tails)
        assert run.stop() == 0, run.log.read_text()


def test_tail_keeps_up_while_segments_roll_over_and_retention_deletes_them(tmp_path):
    # Segments of 64 KiB (the least) that the sink deletes as soon as it has written them out.
    config = embedded_config(tmp_path, tmp_path / "data", '\nsegment_bytes = "64KiB"\nretention = "0s"\n')
    run = start_run(tmp_path, config)
    tails: list[Tail] = []
    try:
        as_json = Tail(tmp_path, config, "--json")
        tails.append(as_json)
        as_json.started()
        ids = []
        for _ in range(16):
            batch = [{"type": "page_view", "event_id": str(uuid.uuid4()), "page_url": "https://me.github.io/" + "p" * 200}
                     for _ in range(50)]
            assert post(run.url, "demo", batch) == 204
            ids += [e["event_id"] for e in batch]
        lines = as_json.wait_lines(len(ids), timeout=30)
        time.sleep(1)
        assert [json.loads(line)["event_id"] for line in as_json.lines] == ids, "each once, in the log's order"
        assert len(lines) == len(ids)
        log_dir = run.data / "_clicktrail" / "wal" / "events"
        wait_for(lambda: min(int(s.name[:20]) for s in log_dir.glob("*.seg")) > 0, 20,
                 "the sink's retention did not delete the first segment")
        wait_for(lambda: run.get("/readyz")[0] == 200, 10, "run did not become ready")
        as_json.stop_cleanly()
    finally:
        kill_left(tails)
        assert run.stop() == 0, run.log.read_text()


def test_tail_ends_with_exit_0_when_its_reader_goes(tmp_path):
    config = embedded_config(tmp_path, tmp_path / "data")
    run = start_run(tmp_path, config)
    procs: list = []
    try:
        # `clicktrail tail | head -n 2`: head exits after two lines, tail at its next write.
        tail = Tail(tmp_path, config, read=False)
        head = subprocess.Popen(["head", "-n", "2"], stdin=tail.proc.stdout, stdout=subprocess.PIPE, text=True)
        procs += [tail, head]
        tail.proc.stdout.close()
        tail.started()
        assert post(run.url, "demo", [{"type": "click", "event_id": str(uuid.uuid4())} for _ in range(3)]) == 204
        assert len(head.communicate(timeout=20)[0].splitlines()) == 2 and head.returncode == 0
        assert post(run.url, "demo", [{"type": "click"}]) == 204
        assert tail.proc.wait(timeout=10) == 0, tail.stderr()

        # A reader that goes while nothing arrives ends tail too, without another event.
        quiet = Tail(tmp_path, config, read=False)
        procs.append(quiet)
        quiet.started()
        quiet.proc.stdout.close()
        assert quiet.proc.wait(timeout=10) == 0, quiet.stderr()
        wait_for(lambda: run.get("/readyz")[0] == 200, 10, "run did not become ready")
    finally:
        kill_left(procs)
        assert run.stop() == 0, run.log.read_text()


# --- Kafka, with `clicktrail collect` and a `clicktrail sink` in its group -----------------


def consumer_groups(bootstrap: str) -> set[str]:
    return set(kafka_tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--bootstrap-server",
                          bootstrap, "--list").split())


def member_clients(bootstrap: str, group: str) -> list[str]:
    """The client.id of each member of `group`."""
    out = kafka_tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--bootstrap-server", bootstrap,
                     "--describe", "--group", group, "--members")
    # GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS
    return [line.split()[3] for line in out.splitlines() if line.startswith(group + " ")]


def test_tail_reads_kafka_outside_the_sinks_group(services, tmp_path):
    bootstrap = services.kafka_bootstrap
    collector = start_collector(tmp_path, bootstrap)
    # tail's config: the collector's topics, and a [kafka.consumer] group.id that it must not use.
    tail_group = f"tail-must-not-use-{uuid.uuid4().hex[:8]}"
    config = tmp_path / "tail.toml"
    config.write_text(f'[kafka]\nbrokers = "{bootstrap}"\ntopic = "{collector.topic}"\n'
                      f'bad_topic = "{collector.bad_topic}"\n\n[kafka.consumer]\n"group.id" = "{tail_group}"\n')
    sink_group = f"sink-{uuid.uuid4().hex[:8]}"
    sink = sink_config(tmp_path, bootstrap, collector.topic, str(tmp_path / "out"), group=sink_group,
                       bad_topic=collector.bad_topic, max_age="1s")
    tails: list[Tail] = []

    def tail(*args: str) -> Tail:
        tails.append(Tail(tmp_path, config, *args))
        return tails[-1].started()

    try:
        # The topic does not exist before the collector's first event: tail names it and the fix.
        missing = subprocess.run([binary(), "tail", "--config", str(config)], capture_output=True, text=True,
                                 timeout=30)
        assert missing.returncode == 2
        assert f'"{collector.topic}" does not exist' in missing.stderr and "kafka.topic" in missing.stderr

        before = [{"type": "page_view", "event_id": str(uuid.uuid4())} for _ in range(3)]
        assert collector.post(before, site="demo").status == 204
        assert collector.post([{"type": "Not A Type"}], site="demo").status == 200
        sink.start()
        wait_for(lambda: "assigned partition=" in sink.log.read_text() or sink.proc.poll() is not None, 30,
                 "the sink did not join its group")
        assert sink.proc.poll() is None, sink.log.read_text()
        groups_before = consumer_groups(bootstrap)

        everything, one_site, clicks = tail(), tail("--site", "open"), tail("--type", "click")
        as_json, from_start, bad = tail("--json"), tail("--from-beginning"), tail("--bad", "--from-beginning")
        assert "every partition from its end" in everything.stderr()

        sent = sample_events("open")
        assert collector.post(sent["demo"], site="demo").status == 204
        assert collector.post(sent["open"], site="open", origin="https://elsewhere.example").status == 204
        check_tails(sent, "open", everything, one_site, clicks, as_json, [e["event_id"] for e in before], from_start)
        [rejected] = bad.wait_lines(1)
        assert re.match(r"^\d\d:\d\d:\d\d\.\d\d\d demo invalid_type type \"Not A Type\" is not one of", rejected)

        # A record that is not an event: a note with its partition and offset, and tail goes on.
        kcat_produce(bootstrap, collector.topic, "k", b"not an event")
        note = everything.wait_lines(7)[-1]
        assert re.match(r"^partition \d+ offset \d+: not a stored event \(.+\)$", note), note
        wait_for(lambda: "not a stored event" in as_json.stderr(), 10, "--json did not note the record on stderr")
        assert all(line.startswith("{") for line in as_json.lines)
        last = {"type": "click", "event_id": str(uuid.uuid4())}
        assert collector.post([last], site="demo").status == 204
        wait_for(lambda: last["event_id"] in "".join(everything.lines), 10, "tail stopped after the note")

        # Every process did its part: the collector answers; the sink, alone in its group, wrote
        # every event; tail made no group, not even the one [kafka.consumer] names.
        assert collector.request("GET", "/healthz").status == 200
        posted = [e["event_id"] for e in before + sent["demo"] + sent["open"] + [last]]
        wait_for(lambda: sorted(event_ids(read_local(tmp_path / "out"))) == sorted(posted), 30,
                 "the sink did not write every event while tail read the topic")
        assert sink.proc.poll() is None, sink.log.read_text()
        assert consumer_groups(bootstrap) - groups_before == set()
        assert tail_group not in consumer_groups(bootstrap)
        # The sink's two lanes (events, rejected input), and no one else.
        assert member_clients(bootstrap, sink_group) == ["clicktrail", "clicktrail"]
        for t in tails:
            t.stop_cleanly()
    finally:
        kill_left(tails)
        if sink.proc is not None:
            assert sink.stop() == 0, sink.log.read_text()
        assert collector.stop() == 0, collector.log()


def test_tail_names_brokers_that_do_not_answer(tmp_path):
    brokers = f"127.0.0.1:{free_port()}"
    config = tmp_path / "tail.toml"
    config.write_text(f'[kafka]\nbrokers = "{brokers}"\n')
    started = time.monotonic()
    out = subprocess.run([binary(), "tail", "--config", str(config)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert time.monotonic() - started < 20
    assert f"kafka brokers {brokers} did not answer" in out.stderr and "kafka.brokers" in out.stderr


def test_tail_refuses_type_with_bad(tmp_path):
    config = tmp_path / "tail.toml"
    config.write_text('[kafka]\nbrokers = "127.0.0.1:9"\n')
    out = subprocess.run([binary(), "tail", "--config", str(config), "--bad", "--type", "click"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "--type" in out.stderr and "--bad" in out.stderr
