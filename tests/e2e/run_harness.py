"""`clicktrail run` for the end-to-end tests: the embedded pipeline on a free port, with its data
in a directory of the test's own."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from collector import binary, free_port
from conftest import Stoppable


@dataclass
class Run(Stoppable):
    data: Path
    log: Path
    port: int = 0
    proc: subprocess.Popen | None = None
    env: dict[str, str] = field(default_factory=dict)
    config: Path | None = None  # a TOML file for --config (--listen and --data still win)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> "Run":
        self.port = free_port()
        clean = {k: v for k, v in os.environ.items() if not k.startswith("CLICKTRAIL_")}
        clean.update({"CLICKTRAIL_SINK_MAX_AGE": "1s", **self.env})
        config = ["--config", str(self.config)] if self.config else []
        self.proc = subprocess.Popen([binary(), "run", *config, "--listen", f"127.0.0.1:{self.port}",
                                      "--data", str(self.data)],
                                     stdout=self.log.open("a"), stderr=subprocess.STDOUT, env=clean)
        if wait:
            deadline = time.monotonic() + 20
            while True:
                try:
                    with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                assert self.proc.poll() is None, self.log.read_text()[-3000:]
                assert time.monotonic() < deadline, "clicktrail run did not start: " + self.log.read_text()[-3000:]
                time.sleep(0.05)
        return self


    def post(self, events, timeout: float = 10) -> int:
        body = json.dumps({"site": "demo", "events": events}).encode()
        req = urllib.request.Request(self.url + "/v1/events?site=demo", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def get(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body), for an error status too."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read()


def new_run(tmp: Path, config: Path | None = None, **env: str) -> Run:
    name = uuid.uuid4().hex[:8]
    return Run(tmp / f"data-{name}", tmp / f"run-{name}.log", env=env, config=config)


def stored_events(data: Path, con=None) -> list[dict]:
    """Every event in the run's Parquet output, read by DuckDB."""
    import duckdb
    if not list((data / "events").rglob("*.parquet")):
        return []
    con = con or duckdb.connect()
    rel = con.execute(f"select * from read_parquet('{data}/events/**/*.parquet', hive_partitioning=true)")
    names = [d[0] for d in rel.description]
    return [dict(zip(names, row)) for row in rel.fetchall()]


def stored(data: Path) -> list[dict]:
    """The stored events as JSON Lines would hold them, in the order they happened (client_ts:
    a page's page-hide flush may overtake its keepalive fetch still in flight, so arrival order is not
    the session's order), timestamps as ms, props as objects, absent fields left out."""
    import duckdb
    if not list((data / "events").rglob("*.parquet")):
        return []
    rel = duckdb.connect().execute(
        f"select * exclude (year, month, day, hour, filename, file_row_number), "
        f"epoch_ms(collector_ts) as collector_ts, epoch_ms(event_ts) as event_ts, "
        f"epoch_ms(client_ts) as client_ts, epoch_ms(sent_ts) as sent_ts "
        f"from read_parquet('{data}/events/**/*.parquet', hive_partitioning=true, filename=true, file_row_number=true) "
        f"order by client_ts, collector_ts, filename, file_row_number")
    names = [d[0] for d in rel.description]
    out = []
    for row in rel.fetchall():
        e = {k: v for k, v in zip(names, row) if v is not None}
        if "props" in e:
            e["props"] = json.loads(e["props"])
        if e.get("truncated") is False:
            del e["truncated"]
        out.append(e)
    return out
