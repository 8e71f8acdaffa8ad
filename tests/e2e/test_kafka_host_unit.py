"""The Kafka host's own Kafka service (deploy/terraform/modules/kafka/files) under a real systemd
(systemd_harness): kafka.service, its log4j.properties, the kafka user's sysusers line and the
server.properties template, installed as cloud-init installs them, with the cluster id Terraform
derives. The JVM must start and serve inside the unit's sandbox (seccomp filter, no
capabilities), as the fixed UID, log only to the journal (nothing left to grow under /var/log),
write its data readable by kafka alone, and stop cleanly. Only Kafka's jars come from elsewhere:
the Maven artefacts tools/fetch-kafka.sh lays out as the release's libs/."""

from __future__ import annotations

import re
import shlex
import subprocess
import uuid

import pytest

from collector import free_port
from conftest import REPO_ROOT, wait_for
from systemd_harness import BootedSystemd, unavailable
from terraform_config import evaluate, load, render_template

FILES = REPO_ROOT / "deploy" / "terraform" / "modules" / "kafka" / "files"
# systemd-analyze security's overall exposure, 0 (locked down) to 10: the unit scores 1.4 (the
# JVM needs writable executable memory, /proc's system files and the volume's real UIDs); 1.8
# leaves room for a systemd that counts one more check, and fails if a real setting goes.
MAX_EXPOSURE = 1.8


def kafka_libs() -> str:
    proc = subprocess.run([str(REPO_ROOT / "tools" / "fetch-kafka.sh")], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


# A deployment name whose hashed id would start with '-', which Kafka's tools read as an option:
# the module's cluster_id must mend it, and Kafka must take what it makes.
DASH_NAME = "dash-45"


def module_cluster_id(local: dict, name: str) -> str:
    """The kafka module's cluster_id for deployment NAME, as Terraform computes it."""
    hashed = local["cluster_id_hash"].src
    return evaluate(local["cluster_id"].src.replace("local.cluster_id_hash", f"({hashed})"), {"name": name})


def test_the_cluster_id_is_the_names_hash_unless_that_starts_with_a_dash():
    local = load()["modules/kafka"].locals()
    plain = module_cluster_id(local, "myblog")
    assert plain == evaluate(local["cluster_id_hash"].src, {"name": "myblog"}) and len(plain) == 22
    assert evaluate(local["cluster_id_hash"].src, {"name": DASH_NAME}).startswith("-")
    mended = module_cluster_id(local, DASH_NAME)
    assert mended[0] == "A" and mended[1:] == evaluate(local["cluster_id_hash"].src, {"name": DASH_NAME})[1:]


@pytest.fixture(scope="module")
def kafka_host(tmp_path_factory):
    why = unavailable()
    if why:
        pytest.fail(f"cannot boot systemd here: {why}", pytrace=False)
    kafka = load()["modules/kafka"]
    local = kafka.locals()
    tmp = tmp_path_factory.mktemp("kafka-unit")
    port, controller_port = free_port(), free_port()

    # The values the module gives each host, for a one-node cluster on loopback.
    cluster_id = module_cluster_id(local, DASH_NAME)
    assert not cluster_id.startswith("-") and len(cluster_id) == 22, cluster_id
    properties = render_template((FILES / "server.properties.tftpl").read_text(), {
        "node_id": 1, "voters": f"1@127.0.0.1:{controller_port}", "address": "127.0.0.1", "port": port,
        "controller_port": controller_port, "partitions": 1, "retention_hours": 1, "replication": 1,
        "min_insync": 1, "flush_settings": ""})
    (tmp / "server.properties").write_text(properties)
    uid = str(evaluate(local["kafka_uid"].src))
    files_src = local["files"].src
    sysusers = re.search(r'"(u kafka \$\{local\.kafka_uid\} [^"]*?)\\n"', files_src.replace('\\"', "'"))
    assert sysusers, "the kafka module's files no longer hold the kafka user's sysusers line"
    (tmp / "kafka.conf").write_text(sysusers.group(1).replace("${local.kafka_uid}", uid).replace("'", '"') + "\n")
    (tmp / "kafka.env").write_text("KAFKA_HEAP_OPTS=-Xms256m -Xmx256m\n")

    libs = kafka_libs()
    q = {k: shlex.quote(str(v)) for k, v in {"files": FILES, "tmp": tmp, "libs": libs}.items()}
    install = f"""
# A copy, laid out as the release's: the kafka user cannot read the cache in root's home.
install -d -m 0755 "$ROOT/opt/kafka" "$ROOT/opt/kafka/libs"
install -m 0644 {q['libs']}/*.jar "$ROOT/opt/kafka/libs/"
install -m 0644 {q['files']}/kafka.service "$ROOT/etc/systemd/system/kafka.service"
install -D -m 0644 {q['tmp']}/kafka.conf "$ROOT/etc/sysusers.d/kafka.conf"
systemd-sysusers --root="$ROOT" "$ROOT/etc/sysusers.d/kafka.conf"
gid=$(awk -F: '$1 == "kafka" {{ print $3 }}' "$ROOT/etc/group")
install -d -m 0750 -o 0 -g "$gid" "$ROOT/etc/kafka"
install -m 0640 -o 0 -g "$gid" {q['tmp']}/server.properties {q['tmp']}/kafka.env {q['files']}/log4j.properties "$ROOT/etc/kafka/"
# The data volume's mount point, as a fresh file system's root is: 0755, root's.
install -d -m 0755 "$ROOT/var/lib/kafka"
"""
    with BootedSystemd(install, tmp / "systemd.log") as sd:
        sd.run(["systemctl", "daemon-reload"])
        # The bootstrap's step 6: the data folder, then the storage formatted as kafka.
        sd.run(["install", "-d", "-o", "kafka", "-g", "kafka", "-m", "0750", "/var/lib/kafka/data"])
        sd.run(["runuser", "-u", "kafka", "--", "java", "-cp", "/opt/kafka/libs/*",
                "-Dlog4j.configuration=file:/etc/kafka/log4j.properties", "kafka.tools.StorageTool", "format",
                "-t", cluster_id, "-c", "/etc/kafka/server.properties"], timeout=120)
        yield {"sd": sd, "port": port, "uid": uid, "cluster_id": cluster_id, "libs": libs}


def kcat(*args: str, data: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["kcat", *args], input=data, capture_output=True, text=True, timeout=30)


def test_kafka_serves_from_its_sandbox_as_the_fixed_user_logs_to_the_journal_and_stops_cleanly(kafka_host):
    sd, port, uid = kafka_host["sd"], kafka_host["port"], kafka_host["uid"]
    broker = f"127.0.0.1:{port}"
    proc = sd.run(["systemd-analyze", "verify", "/etc/systemd/system/kafka.service"], check=False)
    assert proc.returncode == 0 and not proc.stderr.strip() and not proc.stdout.strip(), proc.stdout + proc.stderr

    sd.run(["systemctl", "start", "kafka.service"])
    wait_for(lambda: kcat("-b", broker, "-L", "-m", "5").returncode == 0
             or sd.show("kafka.service", "ActiveState")["ActiveState"] == "failed", 90,
             f"Kafka did not answer on {broker}")
    assert sd.show("kafka.service", "ActiveState")["ActiveState"] == "active", sd.journal("kafka.service")

    # The formatted cluster id is the one Terraform derived, and Kafka serves it.
    meta = sd.run(["cat", "/var/lib/kafka/data/meta.properties"]).stdout
    assert f"cluster.id={kafka_host['cluster_id']}" in meta

    # The unit's sandbox holds: the fixed UID, no privileges, a seccomp filter.
    pid = sd.show("kafka.service", "MainPID")["MainPID"]
    status = dict(re.split(r":\s*", line, maxsplit=1) for line in sd.run(["cat", f"/proc/{pid}/status"]).stdout.splitlines()
                  if ":" in line)
    assert status["Uid"].split()[:2] == [uid, uid], status["Uid"]
    assert status["NoNewPrivs"] == "1" and status["Seccomp"] == "2" and status["CapEff"] == "0000000000000000"
    out = sd.run(["systemd-analyze", "security", "--no-pager", "kafka.service"]).stdout
    exposure = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
    assert exposure and float(exposure.group(1)) <= MAX_EXPOSURE, out

    # A topic made as the bootstrap makes it (kafka-topics.sh runs this class), and an event
    # through it with acks=all: the broker works under the filter.
    topic = f"unit-{uuid.uuid4().hex[:8]}"
    libs = kafka_host["libs"]
    made = subprocess.run(["java", "-cp", f"{libs}/*", "org.apache.kafka.tools.TopicCommand", "--bootstrap-server",
                           broker, "--create", "--topic", topic, "--partitions", "1", "--replication-factor", "1"],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    value = uuid.uuid4().hex
    produced = kcat("-b", broker, "-P", "-t", topic, "-X", "acks=all", data=value + "\n")
    assert produced.returncode == 0, produced.stderr
    consumed = kcat("-b", broker, "-C", "-t", topic, "-c", "1", "-e", "-q")
    assert consumed.stdout.strip() == value, consumed.stdout + consumed.stderr
    # auto.create.topics.enable=false: a client's misspelt topic is refused, not made quietly.
    listed = kcat("-b", broker, "-L", "-t", topic + "-typo")
    assert "Unknown topic" in listed.stdout, listed.stdout + listed.stderr

    # Logs: to the journal, nothing under /var/log/kafka; the data readable by kafka alone.
    journal = sd.journal("kafka.service", 400)
    assert "Kafka Server started" in journal, journal
    assert sd.run(["test", "-e", "/var/log/kafka"], check=False).returncode != 0
    modes = sd.run(["find", "/var/lib/kafka/data", "-newer", "/var/lib/kafka/data/meta.properties", "-type", "f",
                    "-printf", "%m %u %p\n"]).stdout.split("\n")
    made = [m for m in modes if m]
    assert made, "Kafka wrote no file of its own under /var/lib/kafka/data"
    for line in made:
        mode, owner, path = line.split(" ", 2)
        assert owner == "kafka" and int(mode, 8) & 0o077 == 0, line

    sd.run(["systemctl", "stop", "kafka.service"], timeout=150)
    props = sd.show("kafka.service", "ActiveState", "Result")
    assert props == {"ActiveState": "inactive", "Result": "success"}, (props, sd.journal("kafka.service"))
    assert "shut down completed" in sd.journal("kafka.service", 400)
