"""Kafka's own command-line tools (what kafka-topics.sh and kafka-consumer-groups.sh run), from the
jars tools/fetch-kafka.sh laid out: for tests that delete topics or move a group's offsets, as an
operator would."""

from __future__ import annotations

import functools
import subprocess
import time

from conftest import REPO_ROOT, TOOL_TIMEOUT_S


@functools.cache
def kafka_libs() -> str:
    home = subprocess.run(["bash", "-c", f". {REPO_ROOT}/tools/lib.sh && echo \"$KAFKA_HOME\""], check=True,
                          capture_output=True, text=True, timeout=TOOL_TIMEOUT_S).stdout.strip()
    return f"{home}/libs/*"


def kafka_tool(main_class: str, *args: str) -> str:
    """Runs one of Kafka's tools (e.g. org.apache.kafka.tools.TopicCommand) and returns its output."""
    done = subprocess.run(["java", "-Xmx256m", "-cp", kafka_libs(), main_class, *args], capture_output=True,
                          text=True, timeout=TOOL_TIMEOUT_S)
    assert done.returncode == 0, f"{main_class} {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def topics(bootstrap: str) -> list[str]:
    return kafka_tool("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap, "--list").split()


def delete_topic(bootstrap: str, topic: str, timeout: float = 60) -> None:
    """Deletes `topic` and waits until the cluster no longer lists it."""
    kafka_tool("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap, "--delete", "--topic", topic)
    deadline = time.monotonic() + timeout
    while topic in topics(bootstrap):
        assert time.monotonic() < deadline, f"topic {topic} still listed {timeout}s after its deletion"
        time.sleep(0.5)


def create_topic(bootstrap: str, topic: str, partitions: int = 4, replication: int = 1) -> None:
    kafka_tool("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap, "--create", "--topic", topic,
               "--partitions", str(partitions), "--replication-factor", str(replication))


def committed_offsets(bootstrap: str, group: str) -> dict[tuple[str, int], int]:
    """The group's committed offsets, {(topic, partition): offset}."""
    out = kafka_tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--bootstrap-server", bootstrap,
                     "--describe", "--group", group)
    offsets = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[0] == group and fields[3].isdigit():
            offsets[(fields[1], int(fields[2]))] = int(fields[3])
    return offsets


def reset_offset(bootstrap: str, group: str, topic: str, partition: int, offset: int) -> None:
    """Moves the (inactive) group's committed offset of one partition, as an operator would."""
    kafka_tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--bootstrap-server", bootstrap,
               "--reset-offsets", "--group", group, "--topic", f"{topic}:{partition}", "--to-offset", str(offset),
               "--execute")
