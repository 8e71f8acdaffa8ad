"""SIGTERM with records in flight, under AddressSanitizer: `clicktrail collect` and `clicktrail run`
stop in the right order (the event log settles every delivery callback it owes before the
pipeline and the server go), exit 0, and nothing acknowledged is lost.

Runs the debug preset's binary (ASan + UBSan), which `./dev test` builds with the sanitizer unit
tests and names in CLICKTRAIL_ASAN_BIN; without it the tests are skipped."""

from __future__ import annotations

import json
import os
import signal
import stat
import threading
import urllib.error
import uuid
from pathlib import Path

import pytest

from collector import start_collector
from conftest import wait_for
from run_harness import new_run, stored_events
from silent_broker import silent_broker

ASAN_BIN = os.environ.get("CLICKTRAIL_ASAN_BIN", "")
pytestmark = pytest.mark.skipif(not (ASAN_BIN and Path(ASAN_BIN).exists()),
                                reason="needs the ASan build: CLICKTRAIL_ASAN_BIN (./dev test builds it)")

SANITIZER_REPORTS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")


@pytest.fixture
def asan_binary(tmp_path, monkeypatch):
    """CLICKTRAIL_BIN for the harnesses: the ASan binary, without address randomisation where the
    kernel randomises more mmap bits than gcc 12's sanitizers can lay out (as ./dev test does)."""
    wrapper = tmp_path / "clicktrail-asan"
    rnd_bits = int(Path("/proc/sys/vm/mmap_rnd_bits").read_text()) if Path("/proc/sys/vm/mmap_rnd_bits").exists() else 28
    prefix = 'setarch "$(uname -m)" -R ' if rnd_bits > 28 else ""
    # Leaks are the unit tests' business; here any use after free or other error fails the run.
    wrapper.write_text(f'#!/bin/sh\nexport ASAN_OPTIONS=detect_leaks=0:halt_on_error=1\n'
                       f'exec {prefix}"{ASAN_BIN}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("CLICKTRAIL_BIN", str(wrapper))
    return wrapper


def runs_the_asan_binary(pid: int) -> None:
    assert os.path.realpath(f"/proc/{pid}/exe") == os.path.realpath(ASAN_BIN)


def no_sanitizer_report(log: str) -> None:
    for report in SANITIZER_REPORTS:
        assert report not in log, log[-6000:]


def test_collect_stops_cleanly_with_events_and_rejections_in_flight(tmp_path, asan_binary):
    with silent_broker() as address:
        # Records outlive the exit's flush (their delivery timeout is long): the producer fails them
        # as it closes, and each failure's callback reaches the pipeline.
        c = start_collector(tmp_path, address, produce_timeout="3s",
                            more_toml='[kafka.producer]\n"message.timeout.ms" = "60000"\n')
        runs_the_asan_binary(c.proc.pid)
        statuses: list[int] = []

        def post(body: bytes):
            try:
                statuses.append(c.post(None, raw=body, timeout=20).status)
            except OSError:
                statuses.append(0)  # the connection closed by the stopping server

        good = json.dumps([{"type": "page_view"} for _ in range(5)]).encode()
        threads = [threading.Thread(target=post, args=(good,)) for _ in range(20)]
        # Rejected input is answered at once; its bad-topic record stays in flight.
        threads += [threading.Thread(target=post, args=(b"{not json",)) for _ in range(10)]
        for t in threads:
            t.start()
        wait_for(lambda: len(statuses) >= 10, 20, "the rejections were not answered")
        c.proc.send_signal(signal.SIGTERM)
        assert c.proc.wait(timeout=60) == 0, c.log()[-6000:]
        for t in threads:
            t.join(30)
        no_sanitizer_report(c.log())
        # Nothing reached a broker that never answers: never a 2xx for an event.
        assert statuses.count(400) == 10 and all(s in (0, 503) for s in statuses if s != 400), statuses


def test_run_stops_cleanly_under_load_and_keeps_every_acknowledged_event(tmp_path, asan_binary):
    run = new_run(tmp_path).start()
    runs_the_asan_binary(run.proc.pid)
    acknowledged: list[str] = []
    stop = threading.Event()

    def load():
        while not stop.is_set():
            batch = [{"type": "click", "event_id": str(uuid.uuid4())} for _ in range(10)]
            try:
                if run.post(batch, timeout=20) == 204:
                    acknowledged.extend(e["event_id"] for e in batch)
            except (OSError, urllib.error.URLError):
                pass  # refused or cut off by the stopping server: not acknowledged

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(acknowledged) >= 200, 60, "run acknowledged too little under load")
        run.proc.send_signal(signal.SIGTERM)
        assert run.proc.wait(timeout=120) == 0, run.log.read_text()[-6000:]
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    no_sanitizer_report(run.log.read_text())
    stored = [e["event_id"] for e in stored_events(run.data)]
    assert len(stored) == len(set(stored)), "an event was stored twice"
    assert set(acknowledged) <= set(stored), f"{len(set(acknowledged) - set(stored))} acknowledged events lost"
