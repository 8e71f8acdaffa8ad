"""The Kafka hosts' sink-lag timer and service (deploy/terraform/modules/kafka/files) under a real
systemd (systemd_harness), reading a real `clicktrail sink`: installed where cloud-init writes
them, with the drop-in through which the sink's unit wants the timer and the settings file as the
kafka module renders them. The units must pass `systemd-analyze verify`; the service must run in
its sandbox as a transient user, read the sink's /metrics and call `aws cloudwatch
put-metric-data` with the sum of the sink's lag, and send nothing, failing, when the sink does not
answer. Only `aws` is a stand-in (CloudWatch cannot be had here): it logs the call it got."""

from __future__ import annotations

import re
import shlex
import uuid

import pytest

from conftest import REPO_ROOT, wait_for
from sink_harness import BASE_TS, canonical_event, create_topic, produce_events, sink_config
from systemd_harness import BootedSystemd, unavailable
from terraform_config import evaluate, load

FILES = REPO_ROOT / "deploy" / "terraform" / "modules" / "kafka" / "files"
SINK_UNIT = REPO_ROOT / "deploy" / "systemd" / "clicktrail-sink.service"
SERVICE, TIMER = "clicktrail-sink-lag.service", "clicktrail-sink-lag.timer"
EVENTS = 40
# systemd-analyze security's overall exposure, 0 (locked down) to 10: the service scores 1.1 (it
# needs the network, for the sink and CloudWatch, and leaves the AWS CLI's Python writable
# executable memory); 1.5 leaves room for a systemd that counts one more check, and fails if a
# real sandboxing setting goes.
MAX_EXPOSURE = 1.5


def module_file(path: str, **variables: str) -> str:
    """The content the kafka module writes to `path` on its hosts, evaluated with `variables`."""
    [entry] = [i for i in load()["modules/kafka"].locals()["files"].items if f'path = "{path}"' in i.src]
    return evaluate(entry.src.replace("local.region", "var.region"), variables)["content"]


@pytest.fixture(scope="module")
def host(services, tmp_path_factory):
    why = unavailable()
    if why:
        pytest.fail(f"cannot boot systemd here: {why}", pytrace=False)
    tmp = tmp_path_factory.mktemp("sink-lag-unit")
    run_id = uuid.uuid4().hex[:8]

    # A real sink, caught up with a few events; the namespaces share this machine's network.
    topic = f"ct-lag-{run_id}"
    create_topic(services.kafka_bootstrap, topic)
    produce_events(services.kafka_bootstrap, topic, [canonical_event(i, BASE_TS + i) for i in range(EVENTS)])
    sink = sink_config(tmp, services.kafka_bootstrap, topic, str(tmp / "out")).start()
    wait_for(lambda: sink.metrics().get("clicktrail_sink_records_in_total") == EVENTS, 60,
             "the sink did not read the events")
    metrics_url = re.findall(r"metrics=(http://\S+/metrics)", sink.log.read_text())[-1]

    # The settings and the drop-in as the module renders them for a deployment "blog"; the sink's
    # address is this run's (the hosts' sink listens on 127.0.0.1:8081).
    names = {"metrics_namespace": "clicktrail", "name": "blog", "region": "eu-west-1"}
    env = module_file("/etc/clicktrail/sink-lag.env", **names)
    assert "METRICS_URL=http://127.0.0.1:8081/metrics\n" in env
    (tmp / "sink-lag.env").write_text(env.replace("http://127.0.0.1:8081/metrics", metrics_url))
    (tmp / "sink-lag.conf").write_text(module_file("/etc/systemd/system/clicktrail-sink.service.d/sink-lag.conf",
                                                   **names))
    # Where the AWS CLI is on the host, a stand-in that logs its call and who made it.
    (tmp / "aws").write_text('#!/bin/sh\necho "aws-call uid=$(id -u): $*"\n')

    q = {k: shlex.quote(str(v)) for k, v in {"files": FILES, "tmp": tmp, "sink": SINK_UNIT}.items()}
    install = f"""
install -m 0755 {q['files']}/sink-lag.sh "$ROOT/usr/local/sbin/clicktrail-sink-lag"
install -m 0644 {q['files']}/{SERVICE} {q['files']}/{TIMER} {q['sink']} "$ROOT/etc/systemd/system/"
install -D -m 0644 {q['tmp']}/sink-lag.conf "$ROOT/etc/systemd/system/clicktrail-sink.service.d/sink-lag.conf"
install -D -m 0640 {q['tmp']}/sink-lag.env "$ROOT/etc/clicktrail/sink-lag.env"
install -m 0755 {q['tmp']}/aws "$ROOT/usr/local/bin/aws"
"""
    try:
        with BootedSystemd(install, tmp / "systemd.log") as sd:
            sd.run(["systemctl", "daemon-reload"])
            yield {"sd": sd, "sink": sink}
    finally:
        sink.stop()


def aws_calls(sd: BootedSystemd) -> list[str]:
    out = sd.run(["journalctl", "--no-pager", "-o", "cat", "-u", SERVICE], check=False).stdout
    return [line for line in out.splitlines() if line.startswith("aws-call ")]


def test_units_pass_systemd_analyze_verify(host):
    proc = host["sd"].run(["systemd-analyze", "verify", f"/etc/systemd/system/{SERVICE}",
                           f"/etc/systemd/system/{TIMER}"], check=False)
    # Any complaint, warnings included, fails: verify prints them and still exits 0.
    assert proc.returncode == 0 and not proc.stderr.strip() and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_the_sinks_unit_wants_the_timer_which_runs_every_minute(host):
    sd = host["sd"]
    assert TIMER in sd.show("clicktrail-sink.service", "Wants")["Wants"].split(), "the drop-in is not read"
    sd.run(["systemctl", "start", TIMER])
    assert sd.show(TIMER, "ActiveState")["ActiveState"] == "active", sd.journal(TIMER)
    # One line per trigger: the first run 30 s after the timer starts, then a minute after each.
    timers = sd.run(["systemctl", "show", TIMER, "--property=TimersMonotonic"]).stdout
    assert re.search(r"OnActiveUSec=30s\b", timers) and re.search(r"OnUnitActiveUSec=1min\b", timers), timers


def test_the_service_is_sandboxed_as_a_transient_user(host):
    sd = host["sd"]
    props = sd.show(SERVICE, "DynamicUser", "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp",
                    "CapabilityBoundingSet")
    assert props == {"DynamicUser": "yes", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
                     "ProtectHome": "yes", "PrivateTmp": "yes", "CapabilityBoundingSet": ""}, props
    out = sd.run(["systemd-analyze", "security", "--no-pager", SERVICE]).stdout
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
    assert match and float(match.group(1)) <= MAX_EXPOSURE, out


def test_the_service_puts_the_sum_of_a_real_sinks_lag_and_nothing_when_it_is_gone(host):
    sd, sink = host["sd"], host["sink"]
    lags = {k: v for k, v in sink.metrics().items() if k.startswith("clicktrail_sink_lag_records{")}
    assert lags, "the sink serves no clicktrail_sink_lag_records"
    before = len(aws_calls(sd))
    sd.run(["systemctl", "start", SERVICE])  # a oneshot: returns once the run is over
    assert sd.show(SERVICE, "Result")["Result"] == "success", sd.journal(SERVICE)
    calls = aws_calls(sd)[before:]
    assert len(calls) == 1, sd.journal(SERVICE)
    uid, args = re.fullmatch(r"aws-call uid=(\d+): (.*)", calls[0]).groups()
    assert uid != "0", "the service ran as root"
    assert args.split() == ["cloudwatch", "put-metric-data", "--region", "eu-west-1", "--cli-connect-timeout", "5",
                            "--cli-read-timeout", "10", "--namespace", "clicktrail", "--metric-name", "SinkLagRecords",
                            "--dimensions", "Deployment=blog", "--value", f"{sum(lags.values()):.0f}", "--unit",
                            "Count"]
    # A sink that does not answer: the run fails and sends nothing, which the alarm counts.
    sink.stop()
    before = len(aws_calls(sd))
    sd.run(["systemctl", "start", SERVICE], check=False)
    assert sd.show(SERVICE, "Result")["Result"] == "exit-code"
    assert aws_calls(sd)[before:] == []
    assert "did not answer" in sd.journal(SERVICE)
