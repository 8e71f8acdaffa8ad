"""The `clicktrail` binary as a user meets it: version, config checking, docs, `run`.

Runs the binary that `./dev test` built (CLICKTRAIL_BIN), or build/clicktrail.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def clicktrail() -> str:
    binary = os.environ.get("CLICKTRAIL_BIN") or str(REPO_ROOT / "build" / "clicktrail")
    if not os.access(binary, os.X_OK):
        pytest.fail(f"no clicktrail binary at {binary}; build it with ./dev build", pytrace=False)
    return binary


def ct(binary: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLICKTRAIL_")}
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=30,
                          env={**clean, **(env or {})})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_version(clicktrail):
    out = ct(clicktrail, "--version")
    assert out.returncode == 0
    assert re.fullmatch(r"clicktrail \d+\.\d+\.\d+\n", out.stdout)


def test_config_check_accepts_a_valid_file(clicktrail, tmp_path):
    cfg = tmp_path / "ok.toml"
    cfg.write_text('[[sites]]\nkey = "blog"\norigins = ["https://me.github.io"]\n'
                   '[kafka]\nbrokers = "127.0.0.1:9092"\n[sink]\noutput = "s3://b-1/p"\n')
    out = ct(clicktrail, "config", "check", str(cfg))
    assert out.returncode == 0, out.stderr
    assert "valid" in out.stdout and "Kafka at 127.0.0.1:9092" in out.stdout


def test_config_check_names_an_unknown_key_with_its_line(clicktrail, tmp_path):
    cfg = tmp_path / "typo.toml"
    cfg.write_text('[http]\nlisten = "127.0.0.1:8080"\n\n[kafka]\nbroker = "127.0.0.1:9092"\n')
    out = ct(clicktrail, "config", "check", str(cfg))
    assert out.returncode != 0
    assert f'{cfg}:5:' in out.stderr
    assert 'unknown key "kafka.broker"; did you mean "kafka.brokers"?' in out.stderr


def test_config_check_names_a_value_out_of_bounds(clicktrail, tmp_path):
    cfg = tmp_path / "bounds.toml"
    cfg.write_text('[sink]\nmax_age = "48h"\n')
    out = ct(clicktrail, "config", "check", str(cfg))
    assert out.returncode != 0
    assert 'sink.max_age = "48h"' in out.stderr and "from 1s to 1d" in out.stderr


def test_environment_overrides_are_checked_too(clicktrail, tmp_path):
    cfg = tmp_path / "empty.toml"
    cfg.write_text("")
    out = ct(clicktrail, "config", "check", str(cfg), env={"CLICKTRAIL_SINK_FORMAT": "csv"})
    assert out.returncode != 0
    assert "CLICKTRAIL_SINK_FORMAT: sink.format = \"csv\" must be one of parquet|jsonl" in out.stderr


def test_config_docs_lists_every_setting_with_its_default(clicktrail):
    out = ct(clicktrail, "config", "docs")
    assert out.returncode == 0
    rows = re.findall(r"^\| `([a-z_]+)` \| [^|]+ \| ([^|]+) \|", out.stdout, re.M)
    keys = {k for k, _ in rows}
    for key in ("listen", "threads", "key", "origins", "brokers", "topic", "bad_topic", "output", "group_id",
                "format", "compression", "partition_by", "layout", "max_records", "max_bytes",
                "max_age", "region", "endpoint", "path_style", "level"):
        assert key in keys, key
    defaults = dict(rows)
    assert defaults["max_bytes"].strip() == "`128MiB`"
    assert defaults["max_age"].strip() == "`5m`"
    committed = (REPO_ROOT / "docs" / "configuration.md").read_text()
    assert committed == out.stdout, "docs/configuration.md is stale: build/clicktrail config docs > docs/configuration.md"


def test_run_serves_health_and_metrics_and_stops_on_sigterm(clicktrail, tmp_path):
    port = free_port()
    proc = subprocess.Popen([clicktrail, "run", "--listen", f"127.0.0.1:{port}", "--data", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200 and r.read() == b"ok\n"
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "clicktrail run did not answer /healthz within 10 s"
                time.sleep(0.05)
        # A request is counted once its answer's last byte is written, which can be just after
        # the client has read it: ask again for a moment.
        counted = 'clicktrail_http_requests_total{route="/healthz",status="200"} 1'
        for _ in range(100):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
                metrics = r.read().decode()
            if counted in metrics:
                break
            time.sleep(0.02)
        assert counted in metrics
        assert "# TYPE clicktrail_http_request_duration_seconds histogram" in metrics
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0, out
    assert f"open http://127.0.0.1:{port}/" in out and "read_parquet(" in out  # says where to look


def test_lambda_outside_lambda_says_where_it_runs(clicktrail):
    out = ct(clicktrail, "lambda")  # no AWS_LAMBDA_RUNTIME_API: not inside Lambda
    assert out.returncode == 2
    assert "AWS_LAMBDA_RUNTIME_API" in out.stderr and "Runtime Interface Emulator" in out.stderr


def test_collect_names_what_its_config_lacks(clicktrail, tmp_path):
    no_kafka = tmp_path / "no-kafka.toml"
    no_kafka.write_text('[[sites]]\nkey = "demo"\n')
    out = ct(clicktrail, "collect", "--config", str(no_kafka))
    assert out.returncode == 2 and "needs Kafka" in out.stderr and "[kafka]" in out.stderr
    no_sites = tmp_path / "no-sites.toml"
    no_sites.write_text('[kafka]\nbrokers = "127.0.0.1:9092"\n')
    out = ct(clicktrail, "collect", "--config", str(no_sites))
    assert out.returncode == 2 and "[[sites]]" in out.stderr


def test_collect_refuses_an_unknown_librdkafka_property(clicktrail, tmp_path):
    cfg = tmp_path / "bad-prop.toml"
    cfg.write_text('[[sites]]\nkey = "demo"\n[kafka]\nbrokers = "127.0.0.1:9"\n[kafka.producer]\n"no.such.property" = "1"\n')
    out = ct(clicktrail, "collect", "--config", str(cfg))
    assert out.returncode == 2
    assert "no.such.property" in out.stderr


def test_a_missing_config_file_is_named(clicktrail, tmp_path):
    out = ct(clicktrail, "collect", "--config", str(tmp_path / "absent.toml"))
    assert out.returncode == 2
    assert "absent.toml" in out.stderr


def test_collect_refuses_producer_settings_that_break_the_2xx_promise(clicktrail, tmp_path):
    cfg = tmp_path / "weak.toml"
    cfg.write_text('[[sites]]\nkey = "demo"\n[kafka]\nbrokers = "127.0.0.1:9"\n[kafka.producer]\n"enable.idempotence" = false\n')
    out = ct(clicktrail, "collect", "--config", str(cfg))
    assert out.returncode == 2 and '"enable.idempotence"' in out.stderr and "[kafka.producer]" in out.stderr, out.stderr
    cfg.write_text('[[sites]]\nkey = "demo"\n[kafka]\nbrokers = "127.0.0.1:9"\n')
    out = ct(clicktrail, "collect", "--config", str(cfg), env={"CLICKTRAIL_KAFKA_PRODUCER_ACKS": "1"})
    assert out.returncode == 2 and '"acks"' in out.stderr and "CLICKTRAIL_KAFKA_PRODUCER_" in out.stderr, out.stderr


@pytest.mark.parametrize("status", [200, 403])
def test_a_credential_answer_never_prints_its_secret(clicktrail, tmp_path, status):
    """The container credential endpoint answers with a secret key and a token in a body clicktrail
    refuses (a failure Code, or a 403); the error quotes the answer, never the secrets."""
    import http.server
    import json
    import threading

    secret, token = "FAKE-SECRET-wJalrXUtnFEMI/K7MDENG", "FAKE-TOKEN-IQoJb3JpZ2luX2VjEJr"

    class Endpoint(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"Code": "Failure", "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": secret,
                               "Token": token, "Expiration": "2030-01-01T00:00:00Z"}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cfg = tmp_path / "s3.toml"
        cfg.write_text(f'[sink]\noutput = "s3://bucket/prefix"\n[s3]\nregion = "us-east-1"\n'
                       f'endpoint = "http://127.0.0.1:9"\npath_style = true\n[wal]\ndir = "{tmp_path}/wal"\n')
        # Only the container endpoint: no AWS_* keys or profile of the caller's (the services'
        # environment has some), a HOME without ~/.aws.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLICKTRAIL_", "AWS_"))}
        env.update({"AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://127.0.0.1:{server.server_port}/creds",
                    "HOME": str(tmp_path)})
        out = subprocess.run([clicktrail, "run", "--config", str(cfg), "--listen", "127.0.0.1:0"],
                             capture_output=True, text=True, timeout=30, env=env)
    finally:
        server.shutdown()
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "AWS credentials" in text and "[redacted]" in text, text
    assert secret not in text and token not in text, text
