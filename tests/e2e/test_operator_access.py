"""The operator routes (/metrics, and `clicktrail run`'s inspector, which streams every visitor's
events) are not for the public: on a public http.listen they answer only with http.admin_token,
or on http.admin_listen; the inspector's event stream has a cap on its connections and closes
each after a while, so idle clients cannot take the server."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

from collector import binary, free_port
from conftest import wait_for
from run_harness import new_run

TOKEN = "e2e-admin-token-0123456789abcdef"


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """(status, body); status 0 when nothing listens there (yet)."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except urllib.error.URLError:
        return 0, b""


def start_collect(tmp_path, http_toml: str) -> tuple[subprocess.Popen, int, str]:
    """`clicktrail collect` listening on every address (a public listener), reached on 127.0.0.1."""
    port = free_port()
    suffix = uuid.uuid4().hex[:8]
    config = tmp_path / f"collect-{suffix}.toml"
    config.write_text(f'[http]\nlisten = "0.0.0.0:{port}"\n{http_toml}\n[[sites]]\nkey = "demo"\norigins = ["*"]\n'
                      f'[kafka]\nbrokers = "{os.environ["KAFKA_BOOTSTRAP"]}"\ntopic = "e2e-ops-{suffix}"\n'
                      f'bad_topic = "e2e-ops-bad-{suffix}"\n')
    log = tmp_path / f"collect-{suffix}.log"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLICKTRAIL_")}
    proc = subprocess.Popen([binary(), "collect", "--config", str(config)], stdout=log.open("w"),
                            stderr=subprocess.STDOUT, env=clean)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: proc.poll() is not None or get(url + "/healthz")[0] == 200, 20, "collect did not start")
    assert proc.poll() is None, log.read_text()
    return proc, port, url


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    assert proc.wait(timeout=30) == 0


def test_collect_keeps_metrics_off_its_public_listener(tmp_path):
    admin_port = free_port()
    proc, _, url = start_collect(tmp_path, f'admin_listen = "127.0.0.1:{admin_port}"')
    try:
        assert get(url + "/metrics")[0] == 404
        assert get(url + "/inspect")[0] == 404
        assert get(url + "/healthz")[0] == 200  # health stays public: load balancers ask
        status, body = get(f"http://127.0.0.1:{admin_port}/metrics")
        assert status == 200 and b"clicktrail_http_requests_total" in body
    finally:
        stop(proc)

    proc, _, url = start_collect(tmp_path, f'admin_token = "{TOKEN}"')
    try:
        assert get(url + "/metrics")[0] == 401
        assert get(url + "/metrics", {"Authorization": "Bearer wrong-token-0123456789abcdef"})[0] == 401
        status, body = get(url + "/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200 and b"clicktrail_http_requests_total" in body
    finally:
        stop(proc)


def test_run_on_a_public_address_shows_the_inspector_only_with_the_token(tmp_path):
    # run_harness listens on 127.0.0.1; this one listens on every address: started by hand.
    port = free_port()
    data = tmp_path / "public"
    log = tmp_path / "public.log"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLICKTRAIL_")}
    for env, expect in (({}, 404), ({"CLICKTRAIL_HTTP_ADMIN_TOKEN": TOKEN}, 401)):
        proc = subprocess.Popen([binary(), "run", "--listen", f"0.0.0.0:{port}", "--data", str(data)],
                                stdout=log.open("w"), stderr=subprocess.STDOUT, env={**clean, **env})
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: proc.poll() is not None or get(url + "/healthz")[0] == 200, 30, "run did not start")
            assert proc.poll() is None, log.read_text()
            assert get(url + "/")[0] == 200  # the demo stays public
            assert get(url + "/inspect")[0] == expect and get(url + "/inspect/stream")[0] == expect
            assert get(url + "/metrics")[0] == expect
            if expect == 404:
                assert "not served on http.listen" in log.read_text()
                continue
            status, page = get(url + f"/inspect?token={TOKEN}")
            assert status == 200 and b"inspect.js" in page
            assert get(url + "/metrics", {"Authorization": f"Bearer {TOKEN}"})[0] == 200
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(f"GET /inspect/stream?token={TOKEN} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                head = s.recv(4096)
                assert head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in head, head
        finally:
            proc.terminate()
            assert proc.wait(timeout=60) == 0, log.read_text()[-3000:]


def test_a_hundred_idle_inspector_streams_neither_block_nor_exhaust_the_server(tmp_path):
    config = tmp_path / "streams.toml"
    config.write_text('[http]\ninspect_max_streams = 5\ninspect_stream_timeout = "3s"\n')
    run = new_run(tmp_path, config=config).start()
    try:
        wait_for(lambda: run.get("/readyz")[0] == 200, 20, "run did not become ready")
        clients, answers = [], []
        for _ in range(100):  # connect, ask, and never read: idle clients
            s = socket.create_connection(("127.0.0.1", run.port), timeout=10)
            s.sendall(b"GET /inspect/stream HTTP/1.1\r\nHost: x\r\n\r\n")
            clients.append(s)
        # The server goes on serving events meanwhile.
        started = time.monotonic()
        assert run.post([{"type": "page_view"}]) == 204
        assert time.monotonic() - started < 5
        for s in clients:
            answers.append(s.recv(4096))
        statuses = [a.split(b" ", 2)[1] for a in answers]
        assert statuses.count(b"200") == 5 and statuses.count(b"503") == 95, statuses
        assert all(b"inspect_busy" in a for a in answers if b" 503 " in a[:16])
        # Each stream is closed after inspect_stream_timeout, and its place is free again.
        streams = [s for s, a in zip(clients, answers) if a.startswith(b"HTTP/1.1 200")]
        for s in streams:
            s.settimeout(15)
            while s.recv(65536):
                pass  # until the server closes it
        assert get(run.url + "/healthz")[0] == 200
        with socket.create_connection(("127.0.0.1", run.port), timeout=10) as s:
            s.sendall(b"GET /inspect/stream HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
        for s in clients:
            s.close()
    finally:
        assert run.stop() == 0, run.log.read_text()[-3000:]
