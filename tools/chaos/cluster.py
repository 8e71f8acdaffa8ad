"""The 3-node Kafka cluster as the campaign sees it: which node leads a partition and whether every
replica is back in sync (kcat -L), which nodes run (tools/services.sh status), and every record of
a topic read back (kcat -C)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from google.protobuf.message import DecodeError
from shared import REPO_ROOT

import records  # noqa: E402  (tests/e2e, on the path that shared puts there)

SERVICES_SH = REPO_ROOT / "tools" / "services.sh"
PARTITION_LINE = re.compile(r"^\s+partition (\d+), leader (-?\d+), replicas: ([\d,]*), isrs: ([\d,]*)")
TOPIC_LINE = re.compile(r'^\s+topic "([^"]+)" with (\d+) partitions')


@dataclass(frozen=True)
class PartitionState:
    leader: int
    replicas: tuple[int, ...]
    isrs: tuple[int, ...]


def partitions(bootstrap: str, topic: str) -> dict[int, PartitionState]:
    """The topic's partitions as the cluster's metadata describes them ({} if it cannot be read)."""
    done = subprocess.run(["kcat", "-L", "-b", bootstrap, "-t", topic, "-m", "5"], capture_output=True, text=True,
                          timeout=30)
    out: dict[int, PartitionState] = {}
    for line in done.stdout.splitlines():
        if m := PARTITION_LINE.match(line):
            ids = [tuple(int(x) for x in g.split(",") if x) for g in (m.group(3), m.group(4))]
            out[int(m.group(1))] = PartitionState(int(m.group(2)), ids[0], ids[1])
    return out


def leader(bootstrap: str, topic: str, partition: int) -> int | None:
    state = partitions(bootstrap, topic).get(partition)
    return state.leader if state and state.leader > 0 else None


def nodes_running() -> set[int]:
    done = subprocess.run([str(SERVICES_SH), "status"], capture_output=True, text=True, timeout=30)
    return {int(m.group(1)) for m in re.finditer(r"^kafka-cluster-(\d)\s+running", done.stdout, re.M)}


def whole(bootstrap: str, topics: list[str]) -> str | None:
    """None when all three nodes run and every partition of `topics` has a leader and all its
    replicas in sync; otherwise what is missing."""
    running = nodes_running()
    if running != {1, 2, 3}:
        return f"cluster nodes running: {sorted(running)}"
    for topic in topics:
        parts = partitions(bootstrap, topic)
        if not parts:
            return f"no metadata for {topic}"
        for p, s in sorted(parts.items()):
            if s.leader < 1 or set(s.isrs) != set(s.replicas):
                return f"{topic}[{p}]: leader {s.leader}, in sync {list(s.isrs)} of {list(s.replicas)}"
    return None


@dataclass(frozen=True)
class TopicRecord:
    partition: int
    offset: int
    value: dict | None  # None: not JSON


def read_topic(bootstrap: str, topic: str, timeout: float = 300):
    """Yields every record of the topic from the beginning to its end (kcat -e), its value read as
    the collector wrote it (JSON or a binary record: tests/e2e/records.py)."""
    for r in records.read_topic(bootstrap, topic, timeout_s=timeout):
        try:
            parsed = records.decode(r.value) if r.value is not None else None
        except (ValueError, DecodeError):
            parsed = None
        yield TopicRecord(r.partition, r.offset, parsed)
