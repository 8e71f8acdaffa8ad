"""Shared fixtures for the end-to-end tests: the services started by tools/services.sh.

The tests never start services themselves; they read the addresses that
`eval "$(tools/services.sh env)"` exports, so one running set of services serves
many test runs. Helpers here drive Kafka with kcat and S3 with curl's SigV4 signing.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES_SH = REPO_ROOT / "tools" / "services.sh"
REQUIRED_ENV = (
    "KAFKA_BOOTSTRAP",
    "S3_ENDPOINT",
    "S3_BUCKET",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_REGION",
    "ICEBERG_REST_URI",
)
# The S3 XML namespace of ListObjectsV2 answers.
S3_NS_URI = "http://s3.amazonaws.com/doc/2006-03-01/"
# Tools get this long before a hung kcat/curl fails the test instead of the run.
TOOL_TIMEOUT_S = 60


@dataclass(frozen=True)
class Services:
    kafka_bootstrap: str
    s3_endpoint: str
    s3_bucket: str
    access_key: str
    secret_key: str
    region: str
    iceberg_rest_uri: str  # an Iceberg REST catalog whose tables' metadata goes to the S3 server


@pytest.fixture(scope="session")
def services() -> Services:
    missing = [name for name in REQUIRED_ENV if not os.environ.get(name)]
    if missing:
        pytest.fail(
            f"missing environment: {', '.join(missing)}. Start the test services and "
            'export their addresses first: ./dev services start && eval "$(tools/services.sh env)"',
            pytrace=False,
        )
    env = os.environ
    return Services(
        env["KAFKA_BOOTSTRAP"],
        env["S3_ENDPOINT"].rstrip("/"),
        env["S3_BUCKET"],
        env["AWS_ACCESS_KEY_ID"],
        env["AWS_SECRET_ACCESS_KEY"],
        env["AWS_REGION"],
        env["ICEBERG_REST_URI"].rstrip("/"),
    )


def wait_for(condition, timeout: float, what: str, every: float = 0.2):
    """Calls `condition` until it returns something true (returned), failing with `what` after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(every)


class Stoppable:
    """kill() and stop() for a harness whose process is `self.proc`."""

    proc: subprocess.Popen | None

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess[bytes]:
    """Runs a tool, failing the test with its stderr if it exits non-zero."""
    proc = subprocess.run(args, capture_output=True, timeout=TOOL_TIMEOUT_S, **kwargs)
    if proc.returncode != 0:
        pytest.fail(f"{args[0]} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return proc


def kcat_produce(bootstrap: str, topic: str, key: str, value: bytes, *extra: str) -> None:
    """Produces one record whose value is exactly `value` (a file argument makes
    kcat send the whole file as one message, newlines and NULs included)."""
    with tempfile.NamedTemporaryFile() as f:
        f.write(value)
        f.flush()
        run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-k", key, *extra, f.name])


def kcat_consume(bootstrap: str, topic: str, count: int) -> list[tuple[bytes, bytes]]:
    """Reads `count` records from the beginning of every partition as (key, value).
    Each record is printed length-prefixed, so binary keys and values parse exactly."""
    out = run(
        ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-c", str(count),
         "-f", "%K:%k%S:%s"]
    ).stdout
    records, pos = [], 0
    while pos < len(out):
        fields = []
        for _ in range(2):
            colon = out.index(b":", pos)
            n = max(int(out[pos:colon]), 0)  # kcat prints -1 for a null key
            fields.append(out[colon + 1 : colon + 1 + n])
            pos = colon + 1 + n
        records.append((fields[0], fields[1]))
    return records


@dataclass
class S3Response:
    status: int
    body: bytes


def s3_request(
    svc: Services,
    method: str,
    key: str = "",
    body: bytes | None = None,
    query: dict[str, str] | None = None,
    secret: str | None = None,
    signed_body: bytes | None = None,
) -> S3Response:
    """One path-style S3 request signed by curl --aws-sigv4.

    curl 7.88 signs the URL as given, so the key is percent-encoded here the way
    SigV4's canonical URI wants it (RFC 3986, '/' kept), and the query is sorted.
    curl also leaves x-amz-content-sha256 to the caller, so it's set to the body's hash
    (or to `signed_body`'s, to send a body that doesn't match what was signed).
    """
    url = f"{svc.s3_endpoint}/{svc.s3_bucket}"
    if key:
        url += "/" + urllib.parse.quote(key, safe="/~")
    if query:
        url += "?" + urllib.parse.urlencode(sorted(query.items()), quote_via=urllib.parse.quote, safe="~")
    payload = body if body is not None else b""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        args = [
            "curl", "-sS", "-X", method, "-o", str(out), "-w", "%{http_code}",
            "--aws-sigv4", f"aws:amz:{svc.region}:s3",
            "--user", f"{svc.access_key}:{secret or svc.secret_key}",
            "-H", f"x-amz-content-sha256: {hashlib.sha256(signed_body or payload).hexdigest()}",
        ]
        if body is not None:
            src = Path(tmp) / "in"
            src.write_bytes(body)
            args += ["--data-binary", f"@{src}", "-H", "Content-Type: application/octet-stream"]
        proc = run(args + [url])
        return S3Response(int(proc.stdout), out.read_bytes() if out.exists() else b"")


# On the first failing test, attach the services' recent logs to its report: most
# e2e failures are explained by a broker or S3 server complaint.
_logs_attached = False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    global _logs_attached
    report = yield
    if report.failed and not _logs_attached and SERVICES_SH.exists():
        _logs_attached = True
        try:
            logs = subprocess.run(
                [str(SERVICES_SH), "logs"], capture_output=True, text=True, timeout=30,
                env={**os.environ, "LOG_LINES": "40"},
            )
            report.sections.append(("tools/services.sh logs", logs.stdout + logs.stderr))
        except (OSError, subprocess.SubprocessError) as e:
            report.sections.append(("tools/services.sh logs", f"could not run: {e}"))
    return report
