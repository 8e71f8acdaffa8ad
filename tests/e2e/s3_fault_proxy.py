"""A fault-injecting HTTP proxy in front of the S3 server, for the sink's fault tests.

It forwards each request unchanged (the Host header the client signed included, so SigV4 still
verifies) and, for a chosen share of requests, answers 500 InternalError or 503 SlowDown instead,
resets the connection, or stalls mid-request.

It can also hold every request (`with proxy.holding(): ...`): each one is read in full and kept,
neither forwarded nor failed, until the block ends; then all of them go on to the server, late.
That is an S3 stall as a client sees it, and the late delivery is what the sink's zombie tests
need: writes of a stalled sink that land after its partitions have moved on.

Bounded: it serves only on 127.0.0.1, a request is held at most `max_hold_s`, and everything
stops (held requests released) with its `with` block.
"""

from __future__ import annotations

import contextlib
import http.client
import random
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

ERROR_BODY = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
              "<Message>injected by the test proxy</Message></Error>")


class FaultProxy:
    def __init__(self, upstream: str, fault_rate: float = 0.2, stall_s: float = 20, seed: int = 1,
                 max_hold_s: float = 30):
        self.upstream = urlparse(upstream)
        self.fault_rate = fault_rate
        self.stall_s = stall_s
        self.max_hold_s = max_hold_s
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counts = {"forwarded": 0, "500": 0, "503": 0, "reset": 0, "stall": 0, "held": 0}
        self.enabled = True
        # Set: requests go through. Cleared by holding(): requests wait on it.
        self.gate = threading.Event()
        self.gate.set()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                fault = proxy.pick()
                if fault == "stall":
                    # Read part of the body, then hang: the client's timeout must fire.
                    self.rfile.read(min(length, 1024))
                    time.sleep(proxy.stall_s)
                    self.close_connection = True
                    return
                body = self.rfile.read(length) if length else b""
                proxy.wait_at_gate()
                if fault == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                if fault in ("500", "503"):
                    code = "InternalError" if fault == "500" else "SlowDown"
                    payload = ERROR_BODY.format(code=code).encode()
                    self.send_response(int(fault))
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                upstream = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    upstream.putheader(name, value)
                upstream.endheaders(body)
                resp = upstream.getresponse()
                data = resp.read()
                self.send_response(resp.status, resp.reason)
                for name, value in resp.getheaders():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_one

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def pick(self) -> str:
        with self.lock:
            if not self.enabled or self.rng.random() >= self.fault_rate:
                self.counts["forwarded"] += 1
                return "forward"
            fault = self.rng.choice(["500", "503", "reset", "reset", "stall"])
            self.counts[fault] += 1
            return fault

    def wait_at_gate(self) -> None:
        if self.gate.is_set():
            return
        with self.lock:
            self.counts["held"] += 1
        self.gate.wait(timeout=self.max_hold_s)

    @contextlib.contextmanager
    def holding(self):
        """Holds every request that arrives (or is on its way) until the block ends, then lets them
        all through; counts["held"] counts them."""
        self.gate.clear()
        try:
            yield self
        finally:
            self.gate.set()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FaultProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()
