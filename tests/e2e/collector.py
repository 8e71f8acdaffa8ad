"""Runs `clicktrail collect` for the end-to-end tests: a config of its own, a free port, its
own topics, and a clean SIGTERM at the end."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def binary() -> str:
    return os.environ.get("CLICKTRAIL_BIN") or str(REPO_ROOT / "build" / "clicktrail")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: list[str] = field(default_factory=list)  # API Gateway 2.0's Set-Cookie values

    def json(self):
        return json.loads(self.body)


class IngestClient:
    """post() in terms of request(), for every front door of the ingest path: the HTTP
    collector, and the Lambda function behind an emulated API Gateway (lambda_harness.py)."""

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float = 30) -> Response:
        raise NotImplementedError

    def post(self, events, site: str | None = "demo", origin: str | None = "http://localhost:8080",
             content_type: str = "application/json", extra_headers: dict[str, str] | None = None,
             raw: bytes | None = None, timeout: float = 30) -> Response:
        headers = {"Content-Type": content_type, "User-Agent": "clicktrail-e2e/1"}
        if origin:
            headers["Origin"] = origin
        headers.update(extra_headers or {})
        body = raw if raw is not None else json.dumps(events).encode()
        path = "/v1/events" + (f"?site={site}" if site else "")
        return self.request("POST", path, body, headers, timeout)


@dataclass
class Collector(IngestClient):
    proc: subprocess.Popen
    port: int
    topic: str
    bad_topic: str
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float = 30) -> Response:
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())

    def metrics(self) -> str:
        return self.request("GET", "/metrics").body.decode()

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_collector(tmp: Path, bootstrap: str, produce_timeout: str = "3s", read_timeout: str = "2s",
                    env: dict[str, str] | None = None, trusted_proxies: list[str] | None = None,
                    more_toml: str = "") -> Collector:
    """`more_toml` is appended to the config: more [[sites]], an [enrich] section."""
    port = free_port()
    suffix = uuid.uuid4().hex[:10]
    topic, bad_topic = f"e2e-events-{suffix}", f"e2e-bad-{suffix}"
    config = tmp / f"collector-{suffix}.toml"
    config.write_text(f"""
[http]
listen = "127.0.0.1:{port}"
read_timeout = "{read_timeout}"

[ingest]
produce_timeout = "{produce_timeout}"
trusted_proxies = {json.dumps(trusted_proxies or [])}

[[sites]]
key = "demo"
origins = ["http://localhost:8080"]

[[sites]]
key = "open"
origins = ["*"]

[kafka]
brokers = "{bootstrap}"
topic = "{topic}"
bad_topic = "{bad_topic}"
{more_toml}""")
    log_path = tmp / f"collector-{suffix}.log"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLICKTRAIL_")}
    proc = subprocess.Popen([binary(), "collect", "--config", str(config)], stdout=log_path.open("w"),
                            stderr=subprocess.STDOUT, env={**clean, **(env or {})})
    c = Collector(proc, port, topic, bad_topic, log_path)
    deadline = time.monotonic() + 15
    while True:
        try:
            if c.request("GET", "/healthz", timeout=2).status == 200:
                return c
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            c.stop(5)
            raise AssertionError(f"clicktrail collect did not start:\n{c.log()}")
        time.sleep(0.05)
