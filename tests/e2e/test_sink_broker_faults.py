"""A sink under load survives the Kafka cluster's faults — a broker restarted, a partition
leader killed with -9 — and the store ends with exactly the produced events. Uses the 3-node
cluster (replication factor 3, min.insync.replicas 2), as test_collector_faults.py does.

Longer runs: CLICKTRAIL_BROKER_FAULTS_ROUNDS (faults per test, default 1) and
CLICKTRAIL_BROKER_FAULTS_SEED.

Production is idempotent with acks=all (sink_harness.RELIABLE): every batch kcat confirmed must
be in the store exactly once; a batch it could not confirm while a broker was down may be there
at most once.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
import uuid

import pytest

from conftest import TOOL_TIMEOUT_S
from sink_harness import KeptSink, Producer, Tally, event_ids, keep_watching, read_s3, sink_config, wait_until_working
from test_collector_faults import broker, needs_cluster

ROUNDS = int(os.environ.get("CLICKTRAIL_BROKER_FAULTS_ROUNDS", "1"))
SEED = int(os.environ.get("CLICKTRAIL_BROKER_FAULTS_SEED", "5"))
# How long the node stays down, the sink working on without it.
DOWN_S = 6


def partition_leaders(bootstrap: str, topic: str) -> dict[int, int]:
    """{partition: leader's node id} of `topic` (an empty dict while it has no metadata)."""
    out = subprocess.run(["kcat", "-L", "-J", "-b", bootstrap, "-t", topic], capture_output=True, check=True,
                         timeout=TOOL_TIMEOUT_S).stdout
    return {p["partition"]: p["leader"] for t in json.loads(out)["topics"] for p in t["partitions"]}


def coordinator(bootstrap: str, group: str) -> int:
    """The node that coordinates `group`: the leader of the __consumer_offsets partition Kafka
    maps the group to (abs of the Java String hash of its id, modulo the partition count)."""
    leaders = partition_leaders(bootstrap, "__consumer_offsets")
    h = 0
    for unit in group.encode("utf-16-be").hex(" ", 2).split():
        h = (31 * h + int(unit, 16)) & 0xFFFFFFFF
    return leaders[(h & 0x7FFFFFFF) % len(leaders)]


def commits(sink: KeptSink) -> int:
    try:
        return int(sink.run.metrics(timeout=2).get("clicktrail_sink_commits_total", 0))
    except OSError:
        return 0


def wait_for_commits(sink: KeptSink, more_than: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        keep_watching([sink], 0.5)
        if commits(sink) > more_than:
            return True
    return False


def pick_victim(fault: str, bootstrap: str, topic: str, group: str, rng: random.Random) -> int:
    """The node whose loss hurts most: for a restart the group's coordinator (the sink's commits
    go to it); for a kill, the leader of one of the sink's partitions — one that coordinates the
    group too when there is one, so that the kill lands on commits as well as on fetches."""
    boss = coordinator(bootstrap, group)
    if fault == "restart":
        return boss
    leaders = partition_leaders(bootstrap, topic)
    return boss if boss in leaders.values() else leaders[rng.randrange(len(leaders))]


@needs_cluster
@pytest.mark.parametrize("fault", ["restart", "kill"])
def test_a_sink_under_load_survives_a_broker_fault_with_the_exact_set(services, tmp_path, fault):
    bootstrap = os.environ["KAFKA_CLUSTER_BOOTSTRAP"]
    topic = f"e2e-broker-faults-{uuid.uuid4().hex[:10]}"
    prefix = f"broker-faults-{uuid.uuid4().hex[:8]}"
    group = f"broker-faults-{prefix}"
    rng = random.Random(SEED)
    leaders = {}
    deadline = time.monotonic() + 60
    while len(leaders) != 4 or -1 in leaders.values():  # auto-created: 4 partitions, 3 replicas each
        assert time.monotonic() < deadline, f"topic {topic} has no leader for every partition: {leaders}"
        leaders = partition_leaders(bootstrap, topic)
        time.sleep(0.5)
    sink = KeptSink("the sink", sink_config(tmp_path, bootstrap, topic, f"s3://{services.s3_bucket}/{prefix}",
                                            group=group, s3=services, max_age="1s"))
    producer = Producer(bootstrap, topic, batch=200, pause=0.2, seed=SEED)
    problems: list[str] = []
    victims: list[int] = []
    try:
        sink.start()
        producer.start()
        # The fault must hit a sink that is consuming and committing.
        if not wait_for_commits(sink, 3, 60):
            problems.append("the sink did not commit 3 times within 60 s of starting")
        for r in range(ROUNDS):
            victim = pick_victim(fault, bootstrap, topic, group, rng)
            victims.append(victim)
            broker("stop" if fault == "restart" else "kill", victim)
            keep_watching([sink], DOWN_S)
            while_down = commits(sink)
            broker("start", victim)
            if idle := wait_until_working([sink], 60):
                problems.append(f"round {r + 1}: after node {victim}'s {fault}, {idle} consumed nothing within 60 s")
            if not wait_for_commits(sink, while_down, 60):
                problems.append(f"round {r + 1}: after node {victim}'s {fault}, the sink did not commit again "
                                "within 60 s")
            keep_watching([sink], 2)
        producer.stop()
        sink.stop()
        sink.run.start("--until-caught-up")
        if (code := sink.run.proc.wait(timeout=300)) != 0:
            problems.append(f"--until-caught-up exited with {code}:\n{sink.tail()}")
    finally:
        producer.stopping.set()
        sink.ensure_dead()
        for n in set(victims):
            broker("start", n)  # the cluster whole again for the next test
    assert len(producer.ids) > 2000, f"production stalled: the test proves nothing ({producer.failures[:3]})"
    tally = Tally(producer.ids, producer.uncertain, event_ids(read_s3(services, prefix)))
    summary = f"{fault} of nodes {victims}, seed {SEED}: {tally}; {len(sink.exits)} unasked sink exits"
    print(summary)
    exact_and_alive = tally.exact and not sink.exits and not problems
    assert exact_and_alive, "\n\n".join([summary, *problems, *sink.exits, *producer.failures[:3]])
