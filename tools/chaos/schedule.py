"""The campaign's fault schedule, drawn from the seed alone: the same seed gives the same faults,
targets, delays and durations in the same order, whatever happens while it runs (only the broker
that leads a partition is looked up when its fault comes).

Faults come in decks: every len(FAULT_KINDS) rounds each kind comes once, in a seeded order, so
a short campaign still meets every kind, and a longer one with the same seed begins with the
same rounds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# Longer than the sinks' max.poll.interval.ms (7 s) and session.timeout.ms (6 s): the group gives
# a frozen sink's partitions (or those of a sink whose S3 requests are held) to the other one
# before it wakes.
FREEZE_S = (9.0, 14.0)

FAULT_KINDS = (
    "kill-collector",  # SIGKILL one of the two collectors, start it again after a pause
    "kill-sink",       # SIGKILL one of the two sinks, start it again after a pause
    "kill-run",        # SIGKILL `clicktrail run`, start it again after a pause
    "freeze-sink",     # SIGSTOP one sink past the poll interval, then SIGCONT
    "restart-broker",  # graceful stop of a cluster node, start again after a pause
    "kill-leader",     # kill -9 the leader of one partition of the events topic, start it again
    "s3-errors",       # a burst of 500 InternalError / 503 SlowDown answers from the S3 proxy
    "s3-resets",       # a burst of reset connections
    "s3-stalls",       # a burst of requests held past the poll interval, then cut
    "s3-hold",         # every S3 request of one sink held past the poll interval, then let through late
)


@dataclass(frozen=True)
class Fault:
    kind: str
    delay_s: float      # from the round's start to the fault
    duration_s: float   # down, frozen, or the burst's length
    target: int = 0     # collector or sink 0/1, broker 1-3, partition 0-3
    rate: float = 0.0   # S3 bursts: the share of requests that fail
    stall_s: float = 0.0  # s3-stalls: how long a held request hangs before the proxy cuts it

    def describe(self) -> str:
        k, d = self.kind, self.duration_s
        if k in ("kill-collector", "kill-sink"):
            return f"{k} {k.split('-')[1]}-{self.target + 1}, down {d:.1f}s"
        if k == "kill-run":
            return f"{k}, down {d:.1f}s"
        if k == "freeze-sink":
            return f"{k} sink-{self.target + 1} for {d:.1f}s"
        if k == "s3-hold":
            return f"{k} of sink-{self.target + 1}'s requests for {d:.1f}s"
        if k == "restart-broker":
            return f"{k} {self.target}, down {d:.1f}s"
        if k == "kill-leader":
            return f"{k} of partition {self.target}, down {d:.1f}s"
        stall = f", each held {self.stall_s:.0f}s" if k == "s3-stalls" else ""
        return f"{k} {self.rate:.0%} of requests for {d:.1f}s{stall}"


@dataclass(frozen=True)
class Plan:
    seed: int
    format_a: str  # the distributed pipeline's output format; the embedded one gets the other
    faults: tuple[Fault, ...]

    @property
    def format_b(self) -> str:
        return "jsonl" if self.format_a == "parquet" else "parquet"


def draw(kind: str, rng: random.Random) -> Fault:
    delay = round(rng.uniform(0.3, 2.0), 2)
    if kind == "kill-collector":
        return Fault(kind, delay, round(rng.uniform(0.2, 3.0), 2), target=rng.randrange(2))
    if kind == "kill-sink":
        return Fault(kind, delay, round(rng.uniform(0.2, 4.0), 2), target=rng.randrange(2))
    if kind == "kill-run":
        return Fault(kind, delay, round(rng.uniform(0.2, 2.0), 2))
    if kind == "freeze-sink":
        return Fault(kind, delay, round(rng.uniform(*FREEZE_S), 2), target=rng.randrange(2))
    if kind == "restart-broker":
        return Fault(kind, delay, round(rng.uniform(1.0, 6.0), 2), target=rng.randrange(1, 4))
    if kind == "kill-leader":
        return Fault(kind, delay, round(rng.uniform(1.0, 6.0), 2), target=rng.randrange(4))
    if kind in ("s3-errors", "s3-resets"):
        # Low enough that the S3 client's 8 tries rarely all fail (0.4^8 < 0.1 %): a sink that
        # gives up on the store stops, which the campaign would report.
        return Fault(kind, delay, round(rng.uniform(3.0, 8.0), 2), rate=round(rng.uniform(0.2, 0.4), 2))
    if kind == "s3-hold":
        return Fault(kind, delay, round(rng.uniform(*FREEZE_S), 2), target=rng.randrange(2))
    if kind == "s3-stalls":
        return Fault(kind, delay, round(rng.uniform(4.0, 10.0), 2), rate=round(rng.uniform(0.1, 0.25), 2),
                     stall_s=round(rng.uniform(8.0, 14.0), 1))
    raise ValueError(f"unknown fault kind {kind!r}")


def plan(seed: int, rounds: int, kinds: tuple[str, ...] = FAULT_KINDS) -> Plan:
    """The first `rounds` faults of the seed's decks of `kinds` (all of them unless narrowed, e.g.
    to replay one kind many times)."""
    rng = random.Random(seed)
    format_a = rng.choice(["parquet", "jsonl"])
    faults: list[Fault] = []
    while len(faults) < rounds:
        deck = list(kinds)
        rng.shuffle(deck)
        faults += [draw(kind, rng) for kind in deck]
    return Plan(seed, format_a, tuple(faults[:rounds]))
