"""The campaign: two pipelines under tracker traffic, one fault a round, a checkpoint after each,
then a drain and the store read back.

  A (distributed): 2 × `clicktrail collect` → the 3-node cluster (replication 3, min.insync 2,
    acks=all) → 2 × `clicktrail sink` in one group → the S3 server, each sink through a fault
    proxy of its own (so that one sink's requests can be held while the other's go on).
  B (embedded): `clicktrail run` (its own durable log and sink) → a local directory.

Only the campaign's thread starts, stops and signals processes; client threads only send.
Every wait is bounded; what does not come back in time is a finding, with the logs to read.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cluster
import processes
import store
from burst_proxy import BurstProxy
from check import PipelineResult, TopicCopies, check_pipeline
from processes import Managed
from schedule import Fault, Plan
from shared import Services, broker, restartable_port
from traffic import GIVE_UP_S, REQUEST_TIMEOUT_S, Endpoint, Ledger, TrackerClient

# How long a round may take to come back whole after its fault, and then to show progress.
SETTLE_S = {"restart-broker": 120, "kill-leader": 120}
SETTLE_DEFAULT_S = 60
PROGRESS_S = 45
# Rounds in a row that do not recover before the campaign stops drawing faults.
GIVE_UP_AFTER_FAILED_ROUNDS = 3


@dataclass
class Finding:
    where: str     # "round 7", "start", "drain"
    what: str
    evidence: str


def say(line: str) -> None:
    print(line, flush=True)


class Campaign:
    def __init__(self, plan: Plan, svc: Services, cluster_bootstrap: str, work: Path, clients_a: int, clients_b: int,
                 produce_timeout: str, strict: bool):
        self.plan, self.svc, self.bootstrap, self.work = plan, svc, cluster_bootstrap, work
        self.tag = int.from_bytes(os.urandom(6), "big")
        self.name = f"chaos-{plan.seed}-{self.tag:012x}"[:40]
        self.topic, self.bad_topic = self.name, self.name + ".bad"
        self.proxies = [BurstProxy(svc.s3_endpoint, plan.seed * 2 + i) for i in range(2)]
        self.run_data = work / "run-data"
        self.collectors = [processes.collector(work, i, restartable_port(), cluster_bootstrap, self.topic, self.bad_topic,
                                               produce_timeout) for i in range(2)]
        self.sinks: list[Managed] = []
        self.run = processes.run(work, restartable_port(), self.run_data, plan.format_b)
        self.ledger = Ledger()
        self.stopping = threading.Event()
        endpoints_a = [Endpoint(c.name, c.port) for c in self.collectors]
        self.clients = [TrackerClient(i, "A", endpoints_a, self.ledger, self.tag, self.stopping)
                        for i in range(clients_a)]
        self.clients += [TrackerClient(clients_a + i, "B", [Endpoint("run", self.run.port)], self.ledger, self.tag,
                                       self.stopping) for i in range(clients_b)]
        self.strict = strict
        self.findings: list[Finding] = []
        self.faults_done: Counter = Counter()
        self.rounds_done = 0
        self.rounds_failed = 0

    @property
    def processes(self) -> list[Managed]:
        return [*self.collectors, *self.sinks, self.run]

    def finding(self, where: str, what: str, evidence: str = "") -> None:
        self.findings.append(Finding(where, what, evidence))
        say(f"  FINDING ({where}): {what}")

    # ---- start ------------------------------------------------------------------------------

    def start(self) -> None:
        for proxy in self.proxies:
            proxy.__enter__()
        for t in (self.topic, self.bad_topic):
            # Created by a metadata request: 4 partitions, replication 3 (the cluster's defaults).
            subprocess.run(["kcat", "-L", "-b", self.bootstrap, "-t", t], capture_output=True, timeout=30)
        deadline = time.monotonic() + 60
        while why := cluster.whole(self.bootstrap, [self.topic, self.bad_topic]):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the cluster is not whole before the campaign: {why}")
            time.sleep(0.5)
        sink_settings = dict(bootstrap=self.bootstrap, topic=self.topic, bad_topic=self.bad_topic,
                             output=f"s3://{self.svc.s3_bucket}/{self.name}", fmt=self.plan.format_a,
                             group=self.name, region=self.svc.region)
        self.sinks = [processes.sink(self.work, i, restartable_port(), s3_endpoint=self.proxies[i].endpoint, **sink_settings)
                      for i in range(2)]
        for p in self.processes:
            p.start()
        if problems := self.settle(SETTLE_DEFAULT_S, "start"):
            raise RuntimeError("the pipelines did not start: " + "; ".join(problems) + "\n" +
                               "\n".join(f"--- {p.name}\n{p.log_tail(20)}" for p in self.processes))
        for c in self.clients:
            c.start()
        if problems := self.progress(PROGRESS_S):
            raise RuntimeError("no traffic gets through: " + "; ".join(problems))

    # ---- rounds -----------------------------------------------------------------------------

    def play(self, number: int, fault: Fault) -> bool:
        """One round; False when the pipeline did not recover from it."""
        started = time.monotonic()
        where = f"round {number}"
        for p in self.processes:
            p.mark(f"{where}: {fault.describe()}")
        self.check_alive(where)
        time.sleep(fault.delay_s)
        note = self.inject(fault, where)
        self.faults_done[fault.kind] += 1
        problems = self.settle(SETTLE_S.get(fault.kind, SETTLE_DEFAULT_S), where)
        if not problems:
            problems = self.progress(PROGRESS_S)
        self.rounds_done += 1
        total = len(self.plan.faults)
        status = "ok" if not problems else "DID NOT RECOVER: " + "; ".join(problems)
        say(f"round {number:>3}/{total}  {fault.describe() + note:<58} {status}  "
            f"({time.monotonic() - started:.1f}s, {self.ledger.total_acked():,} acknowledged)")
        if problems:
            self.rounds_failed += 1
            named = [p for p in self.processes if any(p.name in x for x in problems)] or self.processes
            self.finding(where, f"the pipeline did not recover from {fault.describe()}: {'; '.join(problems)}",
                         "\n".join(f"--- {p.name} (last lines of {p.log})\n{p.log_tail()}" for p in named))
        return not problems

    def inject(self, fault: Fault, where: str) -> str:
        """Applies the fault and undoes it after its duration; returns what it found out (the
        leader it killed)."""
        k, t, d = fault.kind, fault.target, fault.duration_s
        if k in ("kill-collector", "kill-sink", "kill-run"):
            p = {"kill-collector": lambda: self.collectors[t], "kill-sink": lambda: self.sinks[t],
                 "kill-run": lambda: self.run}[k]()
            p.kill()
            time.sleep(d)
            p.start()
        elif k == "freeze-sink":
            self.sinks[t].freeze()
            time.sleep(d)
            self.sinks[t].thaw()
        elif k == "restart-broker":
            self.broker(where, "stop", t)
            time.sleep(d)
            self.broker(where, "start", t)
        elif k == "kill-leader":
            node = cluster.leader(self.bootstrap, self.topic, t)
            if node is None:
                self.finding(where, f"partition {t} of {self.topic} has no leader before the fault")
                return " (no leader)"
            self.broker(where, "kill", node)
            time.sleep(d)
            self.broker(where, "start", node)
            return f" (node {node})"
        elif k == "s3-hold":
            # Held requests reach the store late, after the group gave the sink's partitions away:
            # the zombie writes that fencing must refuse.
            with self.proxies[t].holding():
                time.sleep(d)
        else:
            for proxy in self.proxies:
                proxy.burst(k, fault.rate, fault.stall_s)
            time.sleep(d)
            for proxy in self.proxies:
                proxy.calm()
        return ""

    def broker(self, where: str, action: str, node: int) -> None:
        try:
            broker(action, node)
        except subprocess.SubprocessError as e:
            out = getattr(e, "stderr", b"") or b""
            self.finding(where, f"tools/services.sh kafka-broker {action} {node} failed",
                         out.decode(errors="replace") if isinstance(out, bytes) else str(out))

    # ---- checkpoints ------------------------------------------------------------------------

    def check_alive(self, where: str) -> None:
        """A process that exited without a fault that killed it is a finding; it is started
        again so that the campaign goes on (and reports it)."""
        for p in self.processes:
            if p.proc is not None and not p.alive():
                self.finding(where, f"{p.name} exited by itself with code {p.exit_code()}",
                             f"--- {p.name} (last lines of {p.log})\n{p.log_tail(60)}")
                p.start()

    def settle(self, limit_s: float, where: str) -> list[str]:
        """Waits until every process is alive and ready, each sink holds partitions and the
        cluster is whole again; returns what is still wrong after `limit_s`."""
        deadline = time.monotonic() + limit_s
        while True:
            self.check_alive(where)
            problems = [f"{p.name} {why}" for p in self.processes for ok, why in [p.ready()] if not ok]
            for s in self.sinks:
                if s.alive() and not s.metrics().get("clicktrail_kafka_consumer_assigned_partitions", 0) > 0:
                    problems.append(f"{s.name} holds no partition")
            if why := cluster.whole(self.bootstrap, [self.topic, self.bad_topic]):
                problems.append(why)
            if not problems or time.monotonic() > deadline:
                return problems
            time.sleep(0.5)

    def progress(self, limit_s: float) -> list[str]:
        """Waits until each front end acknowledged traffic and each sink (and run's) completed
        files since now; returns who did not within `limit_s`."""
        fronts = [*self.collectors, self.run]
        acks = {p.name: self.ledger.acks(p.name) for p in fronts}
        writers = [*self.sinks, self.run]
        out = {p.name: p.metrics().get("clicktrail_sink_records_out_total", 0) for p in writers}
        deadline = time.monotonic() + limit_s
        while True:
            stuck = [f"{p.name} acknowledged nothing" for p in fronts if self.ledger.acks(p.name) <= acks[p.name]]
            stuck += [f"{p.name} completed no file" for p in writers
                      if p.metrics().get("clicktrail_sink_records_out_total", 0) <= out[p.name]]
            if dead := [f"{c.name} ({c.crashed!r})" for c in self.clients if not c.is_alive()]:
                return [f"client threads ended: {', '.join(dead)}"]
            if not stuck or time.monotonic() > deadline:
                return [f"{x} in {limit_s}s" for x in stuck]
            time.sleep(0.5)

    # ---- the end ----------------------------------------------------------------------------

    def drain(self) -> None:
        """Stops the traffic, makes everything whole, stops each process as an operator would
        (each must exit 0), and lets one sink write out what is left."""
        say("drain: traffic stopped; the batches in flight finish or give up")
        self.stopping.set()
        for c in self.clients:
            c.join(timeout=GIVE_UP_S + REQUEST_TIMEOUT_S + 15)
            if c.is_alive() or c.crashed:
                self.finding("drain", f"client {c.name} did not end cleanly: {c.crashed!r}")
        for proxy in self.proxies:
            proxy.calm()
        for p in self.processes:
            p.thaw()
        for node in sorted({1, 2, 3} - cluster.nodes_running()):
            self.broker("drain", "start", node)
        if problems := self.settle(SETTLE_DEFAULT_S * 2, "drain"):
            self.finding("drain", "not everything came back before the drain: " + "; ".join(problems))
        # Each stop must be clean: the collectors flush what they acknowledged, `run` drains its
        # log into its files, the sinks finish their files and commit.
        for p, limit in [*((c, 30) for c in self.collectors), (self.run, 180), *((s, 60) for s in self.sinks)]:
            code = p.terminate(limit)
            if code != 0:
                self.finding("drain", f"{p.name} did not stop cleanly on SIGTERM: exit code {code} "
                             f"({'killed after ' + str(limit) + 's' if code is None else 'exited'})",
                             f"--- {p.name} (last lines of {p.log})\n{p.log_tail(60)}")
        final = Managed("sink-final", ["sink", "--config", str(self.work / "sink-1.toml"), "--until-caught-up"],
                        processes.clean_env(), self.sinks[0].port, self.work / "sink-final.log")
        final.start()
        try:
            code = final.proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            final.proc.kill()
            code = None
        if code != 0:
            self.finding("drain", f"sink --until-caught-up did not finish: exit code {code}",
                         f"--- sink-final (last lines of {final.log})\n{final.log_tail(60)}")

    def verify(self) -> list[PipelineResult]:
        events_a = {i: s for i, s in self.ledger.events.items() if s.pipeline == "A"}
        events_b = {i: s for i, s in self.ledger.events.items() if s.pipeline == "B"}
        topic, bad_topic = TopicCopies(), TopicCopies()
        for rec in cluster.read_topic(self.bootstrap, self.topic):
            topic.records += 1
            v = rec.value
            if isinstance(v, dict) and "event_id" in v:
                topic.positions[(v["event_id"], v.get("collector_ts"), v.get("sent_ts"))].append(
                    (rec.partition, rec.offset))
            else:
                topic.not_events += 1
        for rec in cluster.read_topic(self.bootstrap, self.bad_topic):
            bad_topic.records += 1
            v = rec.value if isinstance(rec.value, dict) else {}
            event = store.bad_row_event(v)
            event_id = event.get("event_id") if isinstance(event, dict) else None
            bad_topic.positions[(event_id, v.get("collector_ts"), None)].append((rec.partition, rec.offset))
        contents_a = store.read_s3(self.svc, self.name, self.work / "fetched")
        contents_b = store.read_local(self.run_data)
        return [check_pipeline("A", events_a, contents_a, topic, bad_topic, self.strict),
                check_pipeline("B", events_b, contents_b, None, strict=self.strict)]

    def cleanup(self) -> None:
        """Whatever happened: nothing of the campaign's keeps running, and the cluster is left
        with its three nodes."""
        self.stopping.set()
        for p in self.processes:
            if p.alive():
                p.thaw()
                p.proc.kill()
                p.proc.wait(timeout=30)
        try:
            for node in sorted({1, 2, 3} - cluster.nodes_running()):
                broker("start", node)
        except subprocess.SubprocessError as e:
            say(f"could not start a cluster node again: {e}")
        for proxy in self.proxies:
            proxy.__exit__(None, None, None)

    def proxy_counts(self) -> Counter:
        return sum((Counter(p.counts) for p in self.proxies), Counter())
