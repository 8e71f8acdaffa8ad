"""The sink benchmark's peer: Kafka Connect standalone with Apache Iceberg's sink connector
(connect/pom.xml, run by connect/connect.sh), on a topic of JSON lines, into an Iceberg table of
the REST catalog that tools/services.sh runs, its files on the same S3 server as ours.

Two passes over the same topic in one JVM, each a connector of its own (its own consumer group,
control topic and table), each measured until the table's current snapshot says (summary
total-records) that every event is committed:
1. Cold: from launching the JVM. Wall time; the JVM's CPU, user + system of all its threads from
   /proc/PID/stat (it is not our child: spawn detaches it); and the CPU it had used when the sink
   task's consumer got its partitions (Connect's log, polled every 20 ms), so that what came after
   is the work without start-up (the JVM, the worker, the connector, the task, the group join).
2. Warm: the first connector deleted, a second one created through the worker's REST API, and
   measured from that request. The JVM has compiled its hot code by then (in the cold pass the JIT
   compilers' threads use about as much CPU as the sink task's), as it would have in a worker
   that has run for a while; what this pass adds is a connector's start, which such a worker
   doesn't pay either, so it errs in the peer's favour. Even then the JIT compilers still use
   about a quarter of the pass's CPU on 400,000 events; the kindest figure leaves out their
   threads' CPU (/proc/PID/task/*/stat, by thread name), the bound a worker that runs for hours
   would approach.
Peak RSS (VmHWM) is sampled throughout. Each figure is kinder to the peer than the one before.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from procfs import high_water_kib

CONNECT_SH = Path(__file__).resolve().parent / "connect" / "connect.sh"
# ConsumerCoordinator's line for the sink task's consumer (not the connector's control-topic one).
TASK_ASSIGNED = ("connector-consumer-", "Adding newly assigned partitions")
# WorkerSinkTask's line when the task dies; the worker lives on, and would wait for the timeout.
TASK_DIED = "Task threw an uncaught and unrecoverable exception"
POLL_S = 0.02
TABLE_POLL_S = 0.25
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
# Connect's log of the last run, kept: the run folder is temporary.
KEPT_LOG = Path(__file__).resolve().parents[2] / "build" / "bench" / "sink-connect.log"


def catalog():
    from pyiceberg.catalog.rest import RestCatalog
    env = os.environ
    if "ICEBERG_REST_URI" not in env:
        sys.exit("ICEBERG_REST_URI is unset: run under `eval \"$(tools/services.sh env)\"` (bench/sink/run does)")
    return RestCatalog("bench", uri=env["ICEBERG_REST_URI"], **{
        "s3.endpoint": env["S3_ENDPOINT"], "s3.access-key-id": env["AWS_ACCESS_KEY_ID"],
        "s3.secret-access-key": env["AWS_SECRET_ACCESS_KEY"], "s3.region": env["AWS_REGION"]})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_properties(run: Path, commit_ms: int, rest_url: str) -> dict[str, str]:
    """The S3 credentials reach the JVM as the AWS SDK's own variables, inherited, not in these
    properties (Connect logs its configs)."""
    return {
        "bootstrap.servers": os.environ["KAFKA_BOOTSTRAP"],
        # The keys are the producer's partitioning keys, not JSON documents.
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "offset.storage.file.filename": str(run / "offsets"),  # source connectors' offsets: unused
        # A sink task's poll waits at most until its next offset flush (60 s by default), and the
        # Iceberg sink answers its coordinator's commit requests only from put(): on a topic that
        # has run dry, the last events would wait up to a minute for their commit. In a live
        # stream put() is called all the time; here, at least once per commit interval.
        "offset.flush.interval.ms": str(commit_ms),
        "listeners": rest_url,
        # The plugins' ServiceLoader manifests instead of a reflective scan of the class path.
        "plugin.discovery": "service_load",
    }


def connector_properties(name: str, topic: str, table: str, commit_ms: int) -> dict[str, str]:
    env = os.environ
    return {
        "name": name,
        "connector.class": "org.apache.iceberg.connect.IcebergSinkConnector",
        "tasks.max": "1",
        "topics": topic,
        "iceberg.tables": table,
        # The schema is inferred from the first record (JSON numbers → long, strings → string):
        # the connector's own way with schemaless JSON; the table is unpartitioned.
        "iceberg.tables.auto-create-enabled": "true",
        "iceberg.catalog.type": "rest",
        "iceberg.catalog.uri": env["ICEBERG_REST_URI"],
        "iceberg.catalog.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        "iceberg.catalog.s3.endpoint": env["S3_ENDPOINT"],
        "iceberg.catalog.s3.path-style-access": "true",
        "iceberg.catalog.client.region": env["AWS_REGION"],
        # A control topic of the connector's own (the broker creates it on first use): its
        # coordinator and its workers exchange their commit messages there.
        "iceberg.control.topic": f"{name}-control",
        "iceberg.control.commit.interval-ms": str(commit_ms),
    }


def write_properties(path: Path, props: dict[str, str]) -> None:
    path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))


def cpu_s(pid: int) -> float | None:
    """User + system CPU of the process and all its threads, dead or alive."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


# The JVM's live threads by what they do, from their names (/proc/PID/task/*/comm, 15 characters).
THREAD_KINDS = (("task-thread-", "sink task"), ("C1 CompilerThre", "JIT"), ("C2 CompilerThre", "JIT"),
                ("G1 ", "GC"), ("GC Thread", "GC"), ("iceberg-", "Iceberg pools"), ("kafka-", "Kafka clients"))


def thread_cpu(pid: int) -> dict[int, tuple[str, float]]:
    """Each live thread's name and CPU seconds, by thread id."""
    threads = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            name = (task / "comm").read_text().rstrip("\n")
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        threads[int(task.name)] = (name, (int(fields[11]) + int(fields[12])) / CLOCK_TICK)
    return threads


def by_kind(threads: dict[int, tuple[str, float]], since: dict[int, tuple[str, float]] | None = None) -> dict:
    """CPU seconds summed by THREAD_KINDS (the rest is "other"); with SINCE, only what each
    thread used after it (threads that died in between are not counted)."""
    kinds: collections.Counter = collections.Counter()
    for tid, (name, cpu) in threads.items():
        kind = next((k for prefix, k in THREAD_KINDS if name.startswith(prefix)), "other")
        kinds[kind] += cpu - (since or {}).get(tid, (name, 0.0))[1]
    return {k: round(v, 2) for k, v in kinds.most_common()}


def committed_records(cat, table: str) -> int:
    from pyiceberg.exceptions import NoSuchTableError
    try:
        snapshot = cat.load_table(table).current_snapshot()
    except NoSuchTableError:
        return 0
    return int(snapshot.summary["total-records"] or 0) if snapshot else 0


class PeerFailed(Exception):
    pass


class Worker:
    """One Connect worker (a detached JVM) on a run folder, watched from this thread: its CPU,
    its peak RSS, and its log as it grows (whole lines only; a half-written one is read later)."""

    def __init__(self, run: Path, rest_url: str) -> None:
        self.run, self.rest_url = run, rest_url
        self.pid: int | None = None
        self.peak_kib, self.cpu, self.log_seen = 0, 0.0, 0
        self.starter: subprocess.Popen | None = None

    def launch(self) -> None:
        self.starter = subprocess.Popen([str(CONNECT_SH), "start", str(self.run)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)

    def stop(self) -> None:
        if self.starter is not None:
            self.starter.wait()
        stopped = subprocess.run([str(CONNECT_SH), "stop", str(self.run)], capture_output=True, text=True)
        KEPT_LOG.parent.mkdir(parents=True, exist_ok=True)
        if (self.run / "connect.log").exists():
            shutil.copyfile(self.run / "connect.log", KEPT_LOG)
        if stopped.returncode != 0:
            raise PeerFailed(f"connect.sh stop: {stopped.stderr.strip()}")

    def rest(self, method: str, path: str, body: dict | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.rest_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()

    def new_log_lines(self) -> list[bytes]:
        path = self.run / "connect.log"
        if not path.exists():
            return []
        with path.open("rb") as f:
            f.seek(self.log_seen)
            chunk = f.read()
        complete = chunk[:chunk.rfind(b"\n") + 1]
        self.log_seen += len(complete)
        return complete.splitlines()

    def sample(self) -> list[bytes]:
        """Updates the CPU and peak RSS; returns the log's new lines. Raises if the worker or its
        task is gone."""
        if self.starter is not None and self.starter.poll() not in (None, 0):
            raise PeerFailed(f"connect.sh start: {self.starter.stderr.read().strip()}")
        if self.pid is None:
            pid_file = self.run / "connect.pid"
            text = pid_file.read_text().strip() if pid_file.exists() else ""
            if not text:
                return []
            self.pid = int(text)
        cpu = cpu_s(self.pid)
        if cpu is None:
            raise PeerFailed("Kafka Connect exited")
        self.cpu, self.peak_kib = cpu, max(self.peak_kib, high_water_kib(self.pid))
        lines = self.new_log_lines()
        if any(TASK_DIED.encode() in line for line in lines):
            raise PeerFailed("the sink task died")
        return lines

    def until_committed(self, cat, table: str, events: int, started: float, timeout: float) -> dict:
        """Watches until TABLE holds EVENTS; wall since STARTED, CPU, and the moment and CPU when
        a sink task's consumer got its partitions."""
        at_task = None
        committed, next_table_poll = 0, 0.0
        while True:
            now = time.monotonic()
            if now - started > timeout:
                raise PeerFailed(f"{committed:,} of {events:,} events committed after {timeout:.0f} s")
            lines = self.sample()
            if at_task is None and any(all(m.encode() in line for m in TASK_ASSIGNED) for line in lines):
                at_task = (now - started, self.cpu)
            if at_task is not None and now >= next_table_poll:
                committed = committed_records(cat, table)
                next_table_poll = time.monotonic() + TABLE_POLL_S
                if committed >= events:
                    wall = time.monotonic() - started
                    self.sample()
                    return {"wall_s": wall, "cpu_at_end_s": self.cpu, "task_assigned_after_s": at_task[0],
                            "cpu_at_task_assigned_s": at_task[1], "committed_records": committed}
            time.sleep(POLL_S)


def run_connect(run: Path, cat, topic: str, tables: tuple[str, str], names: tuple[str, str], events: int,
                commit_ms: int) -> dict:
    """The cold pass, then the warm one (the module's docstring); stops the worker however it ends."""
    timeout = 120 + events / 2000  # generous: some 5× the peer's time here
    rest_url = f"http://127.0.0.1:{free_port()}"
    write_properties(run / "worker.properties", worker_properties(run, commit_ms, rest_url))
    write_properties(run / "connector.properties", connector_properties(names[0], topic, tables[0], commit_ms))
    worker = Worker(run, rest_url)
    try:
        started = time.monotonic()
        worker.launch()
        cold = worker.until_committed(cat, tables[0], events, started, timeout)
        cold["cpu_s_by_live_thread"] = by_kind(thread_cpu(worker.pid))
        worker.rest("DELETE", f"/connectors/{names[0]}")
        worker.sample()
        cpu_before, threads_before = worker.cpu, thread_cpu(worker.pid)
        started = time.monotonic()
        worker.rest("PUT", f"/connectors/{names[1]}/config",
                    connector_properties(names[1], topic, tables[1], commit_ms))
        warm = worker.until_committed(cat, tables[1], events, started, timeout)
        warm["cpu_s"] = warm["cpu_at_end_s"] - cpu_before
        warm["cpu_s_by_live_thread"] = by_kind(thread_cpu(worker.pid), since=threads_before)
    except (PeerFailed, OSError) as e:
        failure = str(e)
    else:
        failure = None
    finally:
        # Also on Ctrl-C: the JVM is detached (spawn) and would outlive us.
        worker.stop()
    if failure:
        lines = KEPT_LOG.read_text(errors="replace").splitlines() if KEPT_LOG.exists() else []
        # The first error, with its exception and causes: the lines up to the next log line
        # that are not stack frames.
        first = next((i for i, line in enumerate(lines) if "] ERROR " in line), len(lines))
        shown = lines[first:first + 1]
        for line in lines[first + 1:first + 200]:
            if line.startswith("["):
                break
            if not line.lstrip().startswith(("at ", "...")):
                shown.append(line)
        sys.exit("\n".join(shown) + f"\nthe peer failed: {failure}; Connect's log: {KEPT_LOG}")
    return {"wall_s": cold["wall_s"], "cpu_s": cold["cpu_at_end_s"],
            "startup_wall_s": cold["task_assigned_after_s"], "startup_cpu_s": cold["cpu_at_task_assigned_s"],
            "cpu_s_by_live_thread": cold["cpu_s_by_live_thread"],
            "warm_wall_s": warm["wall_s"], "warm_cpu_s": warm["cpu_s"],
            "warm_cpu_s_by_live_thread": warm["cpu_s_by_live_thread"], "peak_rss_mib": worker.peak_kib / 1024}


def verify(cat, table: str, expected: set[str]) -> str:
    """The rules of run.py's verify, for the table: every expected id once, nothing else."""
    t = cat.load_table(table)
    ids = collections.Counter(t.scan(selected_fields=("event_id",)).to_arrow().column("event_id").to_pylist())
    twice = sum(1 for n in ids.values() if n > 1)
    missing = len(expected - ids.keys())
    extra = len(ids.keys() - expected)
    if twice or missing or extra:
        sys.exit(f"the peer's table {table} is not the topic's events exactly once: "
                 f"{missing:,} missing, {twice:,} written more than once, {extra:,} not in the topic")
    return f"{len(ids):,} event ids, each once, {len(t.snapshots())} commits"


def run_peer(tmp: Path, topic: str, run_id: str, expected: set[str], commit_ms: int) -> dict:
    """Connect + Iceberg on TOPIC (JSON lines), cold into bench_sink_RUNID.events, warm into
    bench_sink_RUNID.events_warm; the figures, both tables verified."""
    fetched = subprocess.run([str(CONNECT_SH), "fetch"], stdout=subprocess.PIPE, text=True)
    if fetched.returncode != 0:
        sys.exit("could not fetch Kafka Connect and Iceberg's sink connector (see above)")
    cat = catalog()
    namespace = f"bench_sink_{run_id}"
    cat.create_namespace(namespace)
    tables = (f"{namespace}.events", f"{namespace}.events_warm")
    names = (f"bench-sink-peer-{run_id}", f"bench-sink-peer-warm-{run_id}")
    run = tmp / "connect"
    run.mkdir()
    r = run_connect(run, cat, topic, tables, names, len(expected), commit_ms)
    r["verified"] = f"verified: {verify(cat, tables[0], expected)}; warm: {verify(cat, tables[1], expected)}"
    r.update(table=tables[0], commit_interval_ms=commit_ms)
    return r
