"""Helpers for the sink's end-to-end tests: canonical events produced straight into Kafka with
kcat (in one go, or by a background Producer), `clicktrail sink` started with a config of its
own (and kept running by KeptSink through faults), and the output read back from a local
directory or the S3 server and tallied against what was produced."""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import signal
import subprocess
import threading
import time
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from collector import binary
from conftest import S3_NS_URI, TOOL_TIMEOUT_S, Stoppable, s3_request, wait_for

HOUR_MS = 3_600_000
BASE_TS = 1_795_600_800_000  # 2026-11-25T07:20:00Z


def canonical_event(i: int, ts: int, **extra) -> dict:
    e = {"event_id": str(uuid.UUID(int=(0x0190 << 112) | (7 << 76) | (2 << 62) | i)), "type": "page_view",
         "site": "demo", "collector_ts": ts, "event_ts": ts, "anonymous_id": f"v{i % 97}",
         "page_url": f"https://me.github.io/post/{i}", "schema_version": 1}
    e.update(extra)
    return e


# kcat exits 0 only once every record's delivery report said delivered (acks=all, librdkafka's
# default), and 1 if any failed. Idempotence keeps librdkafka's retries (a broker killed under
# it) from writing a record twice; the delivery timeout ends a failing run before the tool
# timeout does, so kcat says which way it went.
RELIABLE = ["-X", "enable.idempotence=true", "-X", "message.timeout.ms=45000"]


def produce(bootstrap: str, topic: str, values: list[bytes | None], partition: int | None = None,
            key: bytes | None = None) -> None:
    """Produces each value as one record, in order (None: a null value), keyed so that they
    spread over the topic's partitions unless `partition` is given."""
    target = ["-p", str(partition)] if partition is not None else []
    run: list[bytes] = []

    def flush() -> None:
        if not run:
            return
        # On stdin (a file argument would be one message), with a record delimiter (-D) and a
        # key delimiter (-K) that cannot occur in the values.
        data = b"".join((key if key is not None else str(n).encode()) + b"\x1f" + v + b"\x1e"
                        for n, v in enumerate(run))
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\x1f", "-D", "\x1e", "-z", "lz4",
                        *RELIABLE, *target], input=data, check=True, timeout=TOOL_TIMEOUT_S, capture_output=True)
        run.clear()

    for v in values:
        if v is None:
            flush()
            # -Z turns an empty value into a null one; the key keeps kcat from skipping it.
            subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-Z", "-K", "\x1f", "-D", "\x1e", *RELIABLE,
                            *target],
                           input=b"null\x1f\x1e", check=True, timeout=TOOL_TIMEOUT_S, capture_output=True)
        else:
            run.append(v)
    flush()


def produce_events(bootstrap: str, topic: str, events: list[dict], partition: int | None = None) -> None:
    produce(bootstrap, topic, [json.dumps(e, separators=(",", ":")).encode() for e in events], partition)


def create_topic(bootstrap: str, topic: str) -> None:
    """Auto-creates the topic (4 partitions on the test broker) with one throwaway metadata
    request, so that the sink's group sees every partition from the start."""
    subprocess.run(["kcat", "-L", "-b", bootstrap, "-t", topic], check=True, timeout=TOOL_TIMEOUT_S,
                   capture_output=True)
    time.sleep(0.5)


@dataclass
class SinkRun(Stoppable):
    config: Path
    log: Path
    proc: subprocess.Popen | None = None

    def start(self, *args: str, env: dict[str, str] | None = None) -> "SinkRun":
        """Starts the sink with ARGS, in this environment less its CLICKTRAIL_* variables, plus `env`."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith("CLICKTRAIL_")}
        self.proc = subprocess.Popen([binary(), "sink", "--config", str(self.config), *args],
                                     stdout=self.log.open("a"), stderr=subprocess.STDOUT, env={**clean, **(env or {})})
        return self

    def metrics(self, timeout: float = 10) -> dict[str, float]:
        """The sink's /metrics, as {'name{labels}': value} ({} until it logged its address; the
        newest address when the log holds several runs)."""
        found = re.findall(r"metrics=(http://\S+/metrics)", self.log.read_text(errors="replace"))
        if not found:
            return {}  # not started yet
        with urllib.request.urlopen(found[-1], timeout=timeout) as resp:
            text = resp.read().decode()
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                for line in text.splitlines() if line and not line.startswith("#")}


    def until_caught_up(self, timeout: float = 180) -> None:
        self.start("--until-caught-up")
        code = self.proc.wait(timeout=timeout)
        assert code == 0, self.log.read_text(errors="replace")[-4000:]


def sink_config(tmp: Path, bootstrap: str, topic: str, output: str, group: str | None = None,
                s3=None, bad_topic: str | None = None, format: str = "jsonl",
                consumer: dict[str, str] | None = None, more_toml: str = "", **sink: str | int) -> SinkRun:
    """A config file of its own for one `clicktrail sink` (not started); `consumer` are raw
    librdkafka properties for [kafka.consumer], `sink` more keys of [sink], `more_toml` more
    sections ([[sites]], [enrich])."""
    name = uuid.uuid4().hex[:8]
    # Each test's rejected input in a topic of its own (the default, clicktrail.bad, is shared).
    lines = [f'[kafka]\nbrokers = "{bootstrap}"\ntopic = "{topic}"\nbad_topic = "{bad_topic or topic + ".bad"}"\n',
             f'[sink]\noutput = "{output}"\nformat = "{format}"\ngroup_id = "{group or "g-" + name}"',
             'listen = "127.0.0.1:0"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in sink.items()]
    if s3 is not None:
        lines.append(f'\n[s3]\nregion = "{s3.region}"\nendpoint = "{s3.s3_endpoint}"\npath_style = true')
    if consumer:
        lines.append("\n[kafka.consumer]")
        lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in consumer.items()]
    lines.append('\n[log]\nlevel = "info"\n')
    lines.append(more_toml)
    config = tmp / f"sink-{name}.toml"
    config.write_text("\n".join(lines))
    return SinkRun(config, tmp / f"sink-{name}.log")


def decode_file(data: bytes) -> list[dict]:
    """The rows of one output file, told apart by content rather than by name: Parquet (read with
    pyarrow), gzip'ed or plain JSON Lines. An empty file (0 rows: an empty gzip stream, a 0-row
    Parquet file, no bytes at all) is valid and gives no rows."""
    if data[:4] == b"PAR1":
        import pyarrow as pa
        import pyarrow.parquet as pq
        return pq.read_table(pa.BufferReader(data)).to_pylist()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return [json.loads(line) for line in data.decode().splitlines() if line]


def read_local(root: Path) -> dict[str, list[dict]]:
    """Every output file under `root` (not the intents), by key relative to root."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith("_clicktrail/") and not path.name.startswith("."):
            out[rel] = decode_file(path.read_bytes())
    return out


def read_s3(svc, prefix: str, under: str = "") -> dict[str, list[dict]]:
    """Every output file under `prefix` (only those under prefix/`under` when given; not the
    intents), by key relative to the prefix."""
    out, token = {}, None
    keys = []
    while True:
        query = {"list-type": "2", "prefix": prefix + "/" + under}
        if token:
            query["continuation-token"] = token
        resp = s3_request(svc, "GET", query=query)
        assert resp.status == 200, resp.body
        root = ET.fromstring(resp.body)
        keys += [k.text for k in root.findall(f"{{{S3_NS_URI}}}Contents/{{{S3_NS_URI}}}Key")]
        token_el = root.find(f"{{{S3_NS_URI}}}NextContinuationToken")
        if token_el is None or not token_el.text:
            break
        token = token_el.text
    for key in keys:
        rel = key[len(prefix) + 1:]
        if rel.startswith("_clicktrail/"):
            continue
        resp = s3_request(svc, "GET", key)
        assert resp.status == 200, (key, resp.status)
        out[rel] = decode_file(resp.body)
    return out


def pending_uploads(svc, prefix: str) -> list[str]:
    """Keys of the multipart uploads begun under `prefix` and neither completed nor aborted."""
    resp = s3_request(svc, "GET", query={"uploads": "", "prefix": prefix + "/"})
    assert resp.status == 200, resp.body
    root = ET.fromstring(resp.body)
    return [k.text for k in root.findall(f"{{{S3_NS_URI}}}Upload/{{{S3_NS_URI}}}Key")]


def event_ids(files: dict[str, list[dict]], table: str = "events") -> list[str]:
    return [row["event_id"] for key, rows in files.items() if key.startswith(table + "/") for row in rows]


class Producer(threading.Thread):
    """Produces batches of events over several hours until stopped. `ids` are the events of the
    batches kcat confirmed (each is in the topic exactly once); `uncertain` those of batches it
    did not (a broker failed under it, kcat gave up or timed out): each is there at most once."""

    def __init__(self, bootstrap: str, topic: str, batch: int = 400, pause: float = 0.1, seed: int = 0):
        super().__init__(daemon=True)
        self.bootstrap, self.topic, self.batch, self.pause = bootstrap, topic, batch, pause
        self.rng = random.Random(seed)
        self.ids: list[str] = []
        self.uncertain: list[str] = []
        self.failures: list[str] = []  # why each uncertain batch is uncertain
        self.stopping = threading.Event()
        self.n = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            events = [canonical_event(self.n + i, BASE_TS + ((self.n + i) % 4) * HOUR_MS + i,
                                      page_title="t" * self.rng.randint(0, 300)) for i in range(self.batch)]
            try:
                produce_events(self.bootstrap, self.topic, events)
                self.ids += [e["event_id"] for e in events]
            except subprocess.SubprocessError as e:
                self.uncertain += [e["event_id"] for e in events]
                stderr = getattr(e, "stderr", b"") or b""
                self.failures.append(f"{type(e).__name__}: {stderr.decode(errors='replace')[-300:]}")
            self.n += self.batch
            time.sleep(self.pause)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=120)
        assert not self.is_alive(), "the producer did not stop within 120 s"


def kill_at_random_moments(run: SinkRun, producer: Producer, kills: int = 20, seed: int = 7) -> None:
    """Starts `run` and SIGKILLs it `kills` times, 0.3–3 s after each start, while `producer`
    produces; then stops the producer and lets one last run catch up."""
    producer.start()
    rng = random.Random(seed)
    try:
        for _ in range(kills):
            run.start()
            time.sleep(rng.uniform(0.3, 3.0))
            run.kill()
    finally:
        producer.stopping.set()
        producer.join(timeout=60)
    run.until_caught_up(timeout=300)


class KeptSink:
    """One `clicktrail sink` kept running the way deploy/systemd's Restart=on-failure keeps it:
    an exit nobody asked for is recorded in `exits`, with the tail of that run's log, and the
    sink is started again — so a test that must fail on the exit still goes on to the end and
    reports what the store holds. Call check() often (it is what notices an exit)."""

    def __init__(self, name: str, run: SinkRun):
        self.name, self.run = name, run
        self.exits: list[str] = []
        self.t0 = time.monotonic()
        self._log_from = 0
        self._records_before = 0  # records_in of earlier runs, as last seen
        self._records_now = 0

    def start(self) -> "KeptSink":
        self._log_from = self.run.log.stat().st_size if self.run.log.exists() else 0
        self._records_before += self._records_now
        self._records_now = 0
        self.run.start()
        return self

    def tail(self, lines: int = 15) -> str:
        """The end of the current run's log."""
        with self.run.log.open("rb") as f:
            f.seek(self._log_from)
            return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])

    def check(self) -> None:
        code = self.run.proc.poll()
        if code is None:
            return
        self.exits.append(f"{self.name} exited by itself with code {code} after {time.monotonic() - self.t0:.1f} s; "
                          f"its log ends:\n{self.tail()}")
        self.start()

    def records_in(self) -> int | None:
        """Records this sink has consumed over all its runs (None while /metrics does not answer)."""
        try:
            value = self.run.metrics(timeout=2).get("clicktrail_sink_records_in_total")
        except OSError:
            return None
        if value is None:
            return None
        self._records_now = int(value)
        return self._records_before + self._records_now

    def log_count(self, text: str) -> int:
        return self.run.log.read_text(errors="replace").count(text)

    def stop(self) -> None:
        """SIGTERM; an exit code other than 0 is recorded like an unasked exit."""
        self.check()
        code = self.run.stop(timeout=90)
        if code != 0:
            self.exits.append(f"{self.name} exited with code {code} on SIGTERM; its log ends:\n{self.tail()}")

    def ensure_dead(self) -> None:
        """For a test's `finally`: no sink outlives it, frozen or not."""
        if self.run.proc is not None and self.run.proc.poll() is None:
            os.kill(self.run.proc.pid, signal.SIGCONT)
            self.run.kill()


def keep_watching(sinks: list[KeptSink], seconds: float) -> None:
    """Sleeps `seconds`, noticing (and restarting) sinks that exit meanwhile."""
    deadline = time.monotonic() + seconds
    while True:
        for s in sinks:
            s.check()
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(0.25, left))


def wait_until_working(sinks: list[KeptSink], timeout: float) -> list[str]:
    """Waits until each sink's records_in has grown; returns the names of those that did not
    within `timeout`."""
    baseline = {s.name: s.records_in() for s in sinks}
    idle = {s.name for s in sinks}
    deadline = time.monotonic() + timeout
    while idle and time.monotonic() < deadline:
        keep_watching(sinks, 0.5)
        for s in sinks:
            now = s.records_in()
            if s.name in idle and now is not None and now > (baseline[s.name] or 0):
                idle.discard(s.name)
    return sorted(idle)


@dataclass
class Tally:
    """The store's events against what was produced."""

    acked: list[str]
    uncertain: list[str]
    stored: list[str]

    @property
    def missing(self) -> set[str]:
        return set(self.acked) - set(self.stored)

    @property
    def duplicated(self) -> int:
        """Extra copies: rows beyond the first of each event id."""
        return len(self.stored) - len(set(self.stored))

    @property
    def strangers(self) -> set[str]:
        return set(self.stored) - set(self.acked) - set(self.uncertain)

    @property
    def exact(self) -> bool:
        return not self.missing and not self.duplicated and not self.strangers

    def __str__(self) -> str:
        return (f"{len(self.missing)} of {len(self.acked)} acknowledged events missing, "
                f"{self.duplicated} stored more than once, {len(self.strangers)} never produced "
                f"({len(self.stored)} rows stored; {len(self.uncertain)} unacknowledged events, "
                f"{len(set(self.uncertain) & set(self.stored))} of them stored)")


def table_sinks_commit_side_by_side(sinks: list[KeptSink], producer: Producer, table_ids) -> None:
    """Two or more sinks of one group, started, each committing to one table while `producer`
    produces: each must read records, and go on running, while it produces; then the table
    (`table_ids()`, its event ids) must come to hold every event produced, each sink must have
    committed to it (its clicktrail_sink_table_commits_total), and none may have exited. The
    sinks are stopped at the end."""
    producer.start()
    try:
        idle = wait_until_working(sinks, 90)
        assert not idle, f"sinks that never read a record: {idle}"
        keep_watching(sinks, 8)
    finally:
        producer.stopping.set()
        producer.join(timeout=60)
    try:
        wait_for(lambda: len(table_ids()) >= len(producer.ids) or None, 120,
                 "the sinks did not commit every event to the table")
        for s in sinks:
            assert s.run.metrics().get("clicktrail_sink_table_commits_total", 0) > 0, f"{s.name} never committed"
    finally:
        for s in sinks:
            s.stop()
    for s in sinks:
        assert not s.exits, s.exits
