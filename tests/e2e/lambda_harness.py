"""Runs a Lambda function under AWS's Runtime Interface Emulator (RIE), for the end-to-end
tests and bench/lambda: `clicktrail lambda` from the file tree deploy/lambda/assemble.sh lays
out (the one the container image holds), or any other runtime command (the Python handler the
benchmark compares with). Requests are wrapped in API Gateway proxy events, payload 1.0 or 2.0,
as API Gateway would wrap them, and the function's proxy result is unwrapped into a Response.

The emulator starts the function at the first invocation, as Lambda does on a cold start; its
log says how long init took ("INIT REPORT(durationMs: …)")."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from collector import REPO_ROOT, IngestClient, Response, free_port
from conftest import Stoppable

INVOKE_PATH = "/2015-03-31/functions/function/invocations"
# API Gateway reports this client address; the function must take it as the peer.
SOURCE_IP = "203.0.113.45"


def rie_binary() -> str:
    """The emulator, built once from the Go module proxy (tools/build-rie.sh caches it)."""
    out = subprocess.run([str(REPO_ROOT / "tools" / "build-rie.sh")], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise AssertionError(f"tools/build-rie.sh failed:\n{out.stderr}")
    return out.stdout.strip()


def assemble(binary: str, out: Path, config: Path | None = None) -> Path:
    """The function's file tree (deploy/lambda/assemble.sh), with `config` as the clicktrail.toml
    baked into it; returns its bootstrap."""
    subprocess.run([str(REPO_ROOT / "deploy" / "lambda" / "assemble.sh"), binary, str(out),
                    *([str(config)] if config else [])], check=True, capture_output=True, timeout=120)
    return out / "var" / "runtime" / "bootstrap"


class Function(Stoppable):
    """One emulated function: RIE on two free ports running `command` in `cwd`."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], log_path: Path,
                 timeout_s: int = 30):
        self.port, runtime_port = free_port(), free_port()
        self.log_path = log_path
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("CLICKTRAIL_", "AWS_LAMBDA_"))}
        self.proc = subprocess.Popen(
            [rie_binary(), "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
             "--runtime-api-address", f"127.0.0.1:{runtime_port}", *command],
            cwd=cwd, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
            env={**clean, "AWS_LAMBDA_FUNCTION_TIMEOUT": str(timeout_s), **env})
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop(5)
                    raise AssertionError(f"the emulator did not start:\n{self.log()}")
                time.sleep(0.02)

    def invoke(self, event, timeout: float = 60) -> tuple[float, bytes]:
        """Seconds until the answer, and the function's result (or the emulator's error)."""
        data = event if isinstance(event, bytes) else json.dumps(event).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{INVOKE_PATH}", data=data, method="POST")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                body = r.read()
        except urllib.error.HTTPError as e:
            body = e.read()
        return time.perf_counter() - started, body

    def init_ms(self) -> float | None:
        """Init duration of the function's cold start, as the emulator measured it."""
        m = re.search(r"INIT REPORT\(durationMs: ([0-9.]+)\)", self.log())
        return float(m.group(1)) if m else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def gateway(self, payload: str) -> "ApiGateway":
        return ApiGateway(self, payload)


def proxy_event(payload: str, method: str, path: str, body: bytes | None, headers: dict[str, str],
                base64_body: bool) -> dict:
    """The event API Gateway would send for this request: HTTP API payload "2.0", or "1.0"
    (what REST APIs send). Payload 2.0 moves the Cookie header into `cookies`, one a cookie."""
    path, _, query = path.partition("?")
    if body is None:
        text, encoded = None, False
    elif base64_body:
        text, encoded = base64.b64encode(body).decode(), True
    else:
        text, encoded = body.decode("utf-8", errors="surrogateescape"), False
    user_agent = next((v for k, v in headers.items() if k.lower() == "user-agent"), "")
    params = urllib.parse.parse_qs(query, keep_blank_values=True)
    if payload == "2.0":
        lowered = {k.lower(): v for k, v in headers.items()}
        cookie = lowered.pop("cookie", None)
        return {
            "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
            **({"cookies": [c.strip() for c in cookie.split(";") if c.strip()]} if cookie else {}),
            "headers": lowered,
            # Repeated parameters are joined with commas, as HTTP APIs do.
            "queryStringParameters": {k: ",".join(v) for k, v in params.items()} or None,
            "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                        "sourceIp": SOURCE_IP, "userAgent": user_agent},
                               "stage": "$default", "requestId": "e2e", "timeEpoch": int(time.time() * 1000)},
            "body": text, "isBase64Encoded": encoded,
        }
    return {
        "resource": path, "path": path, "httpMethod": method,
        "headers": dict(headers), "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in params.items()} or None,
        "multiValueQueryStringParameters": params or None,
        "requestContext": {"stage": "prod", "identity": {"sourceIp": SOURCE_IP, "userAgent": user_agent}},
        "body": text, "isBase64Encoded": encoded,
    }


@dataclass
class ApiGateway(IngestClient):
    """The function behind an emulated API Gateway speaking one payload format. Bodies that are
    not UTF-8 text travel base64-encoded, as API Gateway sends binary bodies."""

    function: Function
    payload: str
    always_base64: bool = False

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float = 30) -> Response:
        headers = headers or {}
        binary = body is not None and not _is_utf8(body)
        event = proxy_event(self.payload, method, path, body, headers, self.always_base64 or binary)
        _, raw = self.function.invoke(event, timeout)
        result = json.loads(raw)
        if "statusCode" not in result:
            raise AssertionError(f"the function did not return a proxy result: {raw[:500]!r}\n{self.function.log()}")
        out = result.get("body") or ""
        data = base64.b64decode(out) if result.get("isBase64Encoded") else out.encode()
        return Response(result["statusCode"], {k.lower(): v for k, v in (result.get("headers") or {}).items()}, data,
                        result.get("cookies") or [])


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False
