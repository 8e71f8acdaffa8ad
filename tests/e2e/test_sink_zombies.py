"""Two sinks in one group, one of which stalls past max.poll.interval.ms (its S3 requests held
by its proxy, then let through late) or freezes (SIGSTOP past the session timeout, then
SIGCONT), round after round while production goes on: the group hands the stalled sink's
partitions to the other, and when the stalled one wakes up, whatever it still does must not
change what the new owner owns. The store must end with exactly the produced events.

Only outcomes are judged: the set of event ids in the store (every object under events/, read
whatever its name, 0-row files allowed), and that each sink stayed alive and did its part.

Longer runs: CLICKTRAIL_ZOMBIE_ROUNDS (rounds per test, default 3) and CLICKTRAIL_ZOMBIE_SEED
(default 12) — the seed picks which sink stalls first, when, and for how long.
"""

from __future__ import annotations

import os
import random
import signal
import time
import uuid
from contextlib import ExitStack
from dataclasses import replace

import pytest

from s3_fault_proxy import FaultProxy
from sink_harness import (KeptSink, Producer, Tally, create_topic, event_ids, keep_watching, read_s3, sink_config,
                          wait_until_working)

ROUNDS = int(os.environ.get("CLICKTRAIL_ZOMBIE_ROUNDS", "3"))
SEED = int(os.environ.get("CLICKTRAIL_ZOMBIE_SEED", "12"))
# Past both limits below, so the group always moves the stalled sink's partitions.
STALL_S = (9, 14)
CONSUMER = {
    "max.poll.interval.ms": "7000",
    # librdkafka wants max.poll.interval.ms >= session.timeout.ms; 6 s is the broker's floor
    # (group.min.session.timeout.ms), and what expels a frozen sink, whose heartbeats stop too.
    "session.timeout.ms": "6000",
}
# How much longer a stall may last while the group is still moving the stalled sink's partitions
# (max.poll.interval.ms, then a heartbeat, a rebalance and the new owner's recovery).
MOVE_GRACE_S = 8
# A sink that is not stalled must be back at work this long after a round's fault ends.
BACK_TO_WORK_S = 45


def settle(sinks: list[KeptSink], timeout: float) -> list[str]:
    """Waits until both sinks have consumed during a stretch in which neither was handed
    partitions: the last rebalance, and each one's recovery after it, are over. A stall that
    begins inside a recovery (in the rebalance callback, which librdkafka counts as polling)
    moves nothing, and the round would test nothing. Returns the sinks that stayed idle."""
    deadline = time.monotonic() + timeout
    while True:
        rebalances = sum(s.log_count("was assigned partitions") for s in sinks)
        if idle := wait_until_working(sinks, max(1.0, deadline - time.monotonic())):
            return idle
        if sum(s.log_count("was assigned partitions") for s in sinks) == rebalances or time.monotonic() > deadline:
            return []


def outlast(others: list[KeptSink], seconds: float, moved) -> None:
    """Waits `seconds`, then on until moved() (the group has handed the stalled sink's partitions
    over), at most MOVE_GRACE_S longer: a stall must outlast that move to be the fault meant."""
    keep_watching(others, seconds)
    deadline = time.monotonic() + MOVE_GRACE_S
    while not moved() and time.monotonic() < deadline:
        keep_watching(others, 0.25)


def hold_s3(sink: KeptSink, proxy: FaultProxy, others: list[KeptSink], seconds: float, moved) -> str | None:
    """Holds every S3 request of `sink`, then lets them through."""
    held = proxy.counts["held"]
    with proxy.holding():
        outlast(others, seconds, moved)
    if proxy.counts["held"] == held:
        return f"{sink.name} sent no S3 request during its {seconds:.1f} s stall: nothing was stalled"
    return None


def freeze(sink: KeptSink, proxy: FaultProxy, others: list[KeptSink], seconds: float, moved) -> str | None:
    """SIGSTOP, then SIGCONT."""
    pid = sink.run.proc.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        outlast(others, seconds, moved)
    finally:
        os.kill(pid, signal.SIGCONT)
    return None


@pytest.mark.parametrize("fault", [hold_s3, freeze], ids=["s3-stall", "sigstop"])
@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_sink_that_stalls_past_the_poll_interval_changes_nothing_its_successor_owns(services, tmp_path, fmt,
                                                                                   fault):
    topic = f"e2e-zombie-{uuid.uuid4().hex[:10]}"
    create_topic(services.kafka_bootstrap, topic)
    prefix = f"zombie-{uuid.uuid4().hex[:8]}"
    group = f"zombie-{prefix}"
    rng = random.Random(SEED)
    problems: list[str] = []
    with ExitStack() as stack:
        proxies = [stack.enter_context(FaultProxy(services.s3_endpoint, fault_rate=0, max_hold_s=30))
                   for _ in range(2)]
        sinks = [KeptSink(f"sink {n}", sink_config(
            tmp_path, services.kafka_bootstrap, topic, f"s3://{services.s3_bucket}/{prefix}", group=group,
            s3=replace(services, s3_endpoint=proxy.endpoint), format=fmt, max_age="1s", consumer=CONSUMER))
            for n, proxy in enumerate(proxies)]
        stack.callback(lambda: [s.ensure_dead() for s in sinks])
        producer = Producer(services.kafka_bootstrap, topic, batch=300, pause=0.2, seed=SEED)
        stack.callback(producer.stopping.set)
        for s in sinks:
            s.start()
        producer.start()
        if idle := settle(sinks, 60):
            problems.append(f"before the first round, {idle} consumed nothing within 60 s")

        first = rng.randrange(2)
        for r in range(ROUNDS):
            victim = (first + r) % 2
            stalled, other = sinks[victim], sinks[1 - victim]
            keep_watching(sinks, rng.uniform(1, 3))  # a different moment of the flush cycle each round
            seconds = rng.uniform(*STALL_S)
            assigned = other.log_count("assigned partition=")

            def moved(other=other, assigned=assigned) -> bool:
                return other.log_count("assigned partition=") > assigned

            if why := fault(stalled, proxies[victim], [other], seconds, moved):
                problems.append(f"round {r + 1}: {why}")
            if not moved():
                problems.append(f"round {r + 1}: {other.name} was assigned nothing while {stalled.name} stalled "
                                f"for {seconds:.1f} s (+{MOVE_GRACE_S} s); the group did not move its partitions")
            if idle := settle(sinks, BACK_TO_WORK_S):
                problems.append(f"round {r + 1}: {idle} consumed nothing within {BACK_TO_WORK_S} s of the stall's end")

        producer.stop()
        for s in sinks:
            s.stop()
        catch_up = KeptSink("the catching-up sink", sinks[0].run)
        catch_up.run.start("--until-caught-up")
        if (code := catch_up.run.proc.wait(timeout=300)) != 0:
            problems.append(f"--until-caught-up exited with {code}:\n{catch_up.tail()}")
    assert len(producer.ids) > 3000, "production stalled: the test proves nothing"
    tally = Tally(producer.ids, producer.uncertain, event_ids(read_s3(services, prefix)))
    exits = [e for s in sinks for e in s.exits]
    summary = f"{fault.__name__}/{fmt}, {ROUNDS} rounds, seed {SEED}: {tally}; {len(exits)} unasked sink exits"
    print(summary)
    exact_and_alive = tally.exact and not exits and not problems
    assert exact_and_alive, "\n\n".join([summary, *problems, *exits])
