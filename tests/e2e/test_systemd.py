"""deploy/systemd's units under a real systemd (booted in namespaces by systemd_harness, as this
machine's PID 1 is not systemd): installed as deploy/systemd/README.md says, with the example
config unchanged and only /etc/clicktrail/clicktrail.env pointing them at the test services.
`systemctl start` must bring up a collector that takes an event and a sink that writes it to S3,
as the unprivileged clicktrail user in its sandbox; `systemctl stop` must end both cleanly;
a crash must be restarted."""

from __future__ import annotations

import io
import json
import re
import shlex
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import pytest

from collector import binary, free_port
from conftest import REPO_ROOT, S3_NS_URI, s3_request, wait_for
from sink_harness import create_topic
from systemd_harness import BootedSystemd, unavailable

UNITS_DIR = REPO_ROOT / "deploy" / "systemd"
UNITS = ("clicktrail-collect.service", "clicktrail-sink.service")
# systemd-analyze security's overall exposure, 0 (locked down) to 10 (none of its checks): the
# units score 1.1; 1.5 leaves room for a systemd that counts one more check, and fails
# if a real sandboxing setting goes.
MAX_EXPOSURE = 1.5
ORIGIN = "https://example.github.io"  # the example config's site origin


@pytest.fixture(scope="module")
def booted(services, tmp_path_factory):
    why = unavailable()
    if why:
        pytest.fail(f"cannot boot systemd here: {why}", pytrace=False)
    tmp = tmp_path_factory.mktemp("systemd")
    run_id = uuid.uuid4().hex[:10]
    ports = {"http": free_port(), "sink": free_port()}
    prefix = f"systemd-{run_id}"
    topic, bad_topic = f"ct-systemd-{run_id}", f"ct-systemd-bad-{run_id}"
    env = {
        "CLICKTRAIL_HTTP_LISTEN": f"127.0.0.1:{ports['http']}",
        "CLICKTRAIL_KAFKA_BROKERS": services.kafka_bootstrap,
        "CLICKTRAIL_KAFKA_TOPIC": topic,
        "CLICKTRAIL_KAFKA_BAD_TOPIC": bad_topic,
        "CLICKTRAIL_SINK_OUTPUT": f"s3://{services.s3_bucket}/{prefix}",
        "CLICKTRAIL_SINK_LISTEN": f"127.0.0.1:{ports['sink']}",
        "CLICKTRAIL_SINK_GROUP_ID": f"ct-systemd-{run_id}",
        "CLICKTRAIL_SINK_MAX_AGE": "1s",
        "CLICKTRAIL_S3_ENDPOINT": services.s3_endpoint,
        "CLICKTRAIL_S3_PATH_STYLE": "true",
        "CLICKTRAIL_S3_REGION": services.region,
        "AWS_ACCESS_KEY_ID": services.access_key,
        "AWS_SECRET_ACCESS_KEY": services.secret_key,
    }
    env_file = tmp / "clicktrail.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    # The install steps of deploy/systemd/README.md, into the overlay root.
    units, env_src = shlex.quote(str(UNITS_DIR)), shlex.quote(str(env_file))
    install = f"""
install -m 0755 {shlex.quote(binary())} "$ROOT/usr/local/bin/clicktrail"
install -m 0644 {units}/clicktrail-collect.service {units}/clicktrail-sink.service "$ROOT/etc/systemd/system/"
install -D -m 0644 {units}/clicktrail.sysusers "$ROOT/etc/sysusers.d/clicktrail.conf"
systemd-sysusers --root="$ROOT" "$ROOT/etc/sysusers.d/clicktrail.conf"
gid=$(awk -F: '$1 == "clicktrail" {{ print $3 }}' "$ROOT/etc/group")
install -d -m 0750 -o 0 -g "$gid" "$ROOT/etc/clicktrail"
install -m 0640 -o 0 -g "$gid" {units}/clicktrail.toml "$ROOT/etc/clicktrail/clicktrail.toml"
install -m 0640 -o 0 -g "$gid" {env_src} "$ROOT/etc/clicktrail/clicktrail.env"
"""
    # The sink's consumer must find the topic when it subscribes.
    create_topic(services.kafka_bootstrap, topic)
    with BootedSystemd(install, tmp / "systemd.log") as sd:
        sd.run(["systemctl", "daemon-reload"])
        yield {"sd": sd, "ports": ports, "prefix": prefix, "services": services}


def http(url: str, body: bytes | None = None, headers: dict | None = None) -> int:
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def parquet_event_ids(svc, prefix: str) -> set[str]:
    """event_id of every row of every Parquet file under PREFIX/events/ in the S3 server."""
    import pyarrow.parquet as pq

    listing = s3_request(svc, "GET", query={"list-type": "2", "prefix": f"{prefix}/events/"})
    assert listing.status == 200, listing.body
    keys = [k.text for k in ET.fromstring(listing.body).iter(f"{{{S3_NS_URI}}}Key")]
    ids: set[str] = set()
    for key in keys:
        obj = s3_request(svc, "GET", key)
        assert obj.status == 200, (key, obj.status)
        ids.update(pq.read_table(io.BytesIO(obj.body), columns=["event_id"]).column("event_id").to_pylist())
    return ids


def main_pid_status(sd: BootedSystemd, unit: str) -> dict[str, str]:
    pid = sd.show(unit, "MainPID")["MainPID"]
    assert pid != "0", f"{unit} has no main process:\n{sd.journal(unit)}"
    text = sd.run(["cat", f"/proc/{pid}/status"]).stdout
    return dict(re.split(r":\s*", line, maxsplit=1) for line in text.splitlines() if ":" in line)


def start(sd: BootedSystemd, unit: str, ready_url: str) -> None:
    sd.run(["systemctl", "start", unit])
    wait_for(lambda: http(ready_url) == 200 or sd.show(unit, "ActiveState")["ActiveState"] == "failed",
             30, f"{unit} did not answer {ready_url}")
    assert sd.show(unit, "ActiveState")["ActiveState"] == "active", sd.journal(unit)


def test_units_pass_systemd_analyze_verify(booted):
    sd = booted["sd"]
    proc = sd.run(["systemd-analyze", "verify", *(f"/etc/systemd/system/{u}" for u in UNITS)], check=False)
    # Any complaint, warnings included, fails: verify prints them and still exits 0.
    assert proc.returncode == 0 and not proc.stderr.strip() and not proc.stdout.strip(), proc.stdout + proc.stderr


@pytest.mark.parametrize("unit", UNITS)
def test_units_are_sandboxed_as_an_unprivileged_user(booted, unit):
    sd = booted["sd"]
    props = sd.show(unit, "User", "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp",
                    "CapabilityBoundingSet", "Restart", "DynamicUser")
    assert props["User"] == "clicktrail"
    assert props["NoNewPrivileges"] == "yes"
    assert props["ProtectSystem"] == "strict"
    assert props["ProtectHome"] == "yes"
    assert props["PrivateTmp"] == "yes"
    assert props["CapabilityBoundingSet"] == ""
    assert props["Restart"] == "on-failure"
    out = sd.run(["systemd-analyze", "security", "--no-pager", unit]).stdout
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
    assert match, out
    assert float(match.group(1)) <= MAX_EXPOSURE, out


def test_collect_and_sink_start_take_an_event_to_s3_and_stop_cleanly(booted):
    sd, ports, svc = booted["sd"], booted["ports"], booted["services"]
    collect, sink = UNITS
    base = f"http://127.0.0.1:{ports['http']}"
    start(sd, collect, f"{base}/readyz")
    start(sd, sink, f"http://127.0.0.1:{ports['sink']}/healthz")

    # Running as the clicktrail user, without privileges, under a seccomp filter.
    uid = sd.run(["id", "-u", "clicktrail"]).stdout.strip()
    for unit in UNITS:
        status = main_pid_status(sd, unit)
        assert status["Uid"].split()[:2] == [uid, uid], (unit, status["Uid"])
        assert status["NoNewPrivs"] == "1", unit
        assert status["Seccomp"] == "2", unit
        assert status["CapEff"] == "0000000000000000", unit

    event_id = str(uuid.uuid4())
    body = json.dumps({"site": "blog", "events": [{"type": "page_view", "event_id": event_id,
                                                   "page_url": f"{ORIGIN}/hello"}]}).encode()
    status = http(f"{base}/v1/events", body, {"Content-Type": "application/json", "Origin": ORIGIN})
    assert status == 204, (status, sd.journal(collect))

    # The sink (sink.max_age 1s here) completes a file holding the event.
    wait_for(lambda: event_id in parquet_event_ids(svc, booted["prefix"]), 60,
             f"the event never reached S3; sink log:\n{sd.journal(sink)}")

    for unit in (collect, sink):
        sd.run(["systemctl", "stop", unit])
        props = sd.show(unit, "ActiveState", "Result")
        # CLD_EXITED (1) with status 0: the program exited 0 on SIGTERM, not killed.
        # Result=success alone would also cover a process killed by SIGTERM; systemd's own log
        # line (debug level, see systemd_harness) says how it ended.
        log = sd.journal(unit, 400)
        assert props["ActiveState"] == "inactive" and props["Result"] == "success", (unit, props, log)
        exits = re.findall(r"Main process exited, code=\w+, status=\S+", log)
        assert exits and exits[-1] == "Main process exited, code=exited, status=0/SUCCESS", (unit, exits, log)


def test_a_crashed_collector_is_restarted(booted):
    sd, ports = booted["sd"], booted["ports"]
    collect = UNITS[0]
    base = f"http://127.0.0.1:{ports['http']}"
    start(sd, collect, f"{base}/readyz")
    before = sd.show(collect, "MainPID", "NRestarts")
    sd.run(["kill", "-KILL", before["MainPID"]])
    # RestartSec=2s, then it starts again under a new pid.
    wait_for(lambda: sd.show(collect, "NRestarts")["NRestarts"] == str(int(before["NRestarts"]) + 1)
             and http(f"{base}/readyz") == 200, 30, f"{collect} was not restarted:\n{sd.journal(collect)}")
    assert sd.show(collect, "MainPID")["MainPID"] != before["MainPID"]
    sd.run(["systemctl", "stop", collect])
