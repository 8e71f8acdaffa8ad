"""The clicktrail processes of the campaign: two collectors and two sinks on the 3-node cluster,
and `clicktrail run` on its own log. Each keeps its port and its log file across restarts, so
clients and checks find it again and the evidence of every start is in one place."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from shared import binary


class Managed:
    """One process, started, killed, frozen and restarted by the campaign's thread only.
    `port` serves /healthz, /readyz and /metrics."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], port: int, log: Path):
        self.name, self.args, self.env, self.port, self.log = name, args, env, port, log
        self.proc: subprocess.Popen | None = None
        self.frozen = False
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with self.log.open("a") as f:
            f.write(f"==== chaos: start #{self.starts} of {self.name} at {time.strftime('%H:%M:%S')}\n")
        self.proc = subprocess.Popen([binary(), *self.args], stdout=self.log.open("a"), stderr=subprocess.STDOUT,
                                     env=self.env, start_new_session=True)

    def mark(self, what: str) -> None:
        """A line in the process's log, so that its output can be read against the campaign's."""
        with self.log.open("a") as f:
            f.write(f"==== chaos: {what} at {time.strftime('%H:%M:%S')}\n")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_code(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def kill(self) -> None:
        self.mark("SIGKILL")
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.frozen = False

    def freeze(self) -> None:
        self.mark("SIGSTOP")
        self.proc.send_signal(signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        if self.frozen and self.alive():
            self.proc.send_signal(signal.SIGCONT)
            self.mark("SIGCONT")
        self.frozen = False

    def terminate(self, timeout: float) -> int | None:
        """SIGTERM and the exit code; None if it did not exit in time (then it is killed)."""
        if not self.alive():
            return self.exit_code()
        self.thaw()
        self.mark("SIGTERM")
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
            return None

    def get(self, path: str, timeout: float = 3) -> tuple[int, str]:
        """(status, body) of a GET on the process's port; (0, error) when it does not answer."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as r:
                return r.status, r.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")
        except OSError as e:
            return 0, str(e)

    def metrics(self) -> dict[str, float]:
        status, text = self.get("/metrics")
        if status != 200:
            return {}
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                for line in text.splitlines() if line and not line.startswith("#")}

    def ready(self) -> tuple[bool, str]:
        """(ready, why not): alive, /healthz 200 and /readyz 200."""
        if not self.alive():
            return False, f"exited with code {self.exit_code()}"
        status, body = self.get("/healthz")
        if status != 200:
            return False, f"/healthz: {status or body}"
        status, body = self.get("/readyz")
        if status != 200:
            try:
                body = json.loads(body).get("message", body)
            except ValueError:
                pass
            return False, f"/readyz {status}: {body.strip()[:200]}"
        return True, ""

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError as e:
            return f"(no log: {e})"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without CLICKTRAIL_* (a developer's settings must not leak in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKTRAIL_")}
    env.update(extra)
    return env


def collector(work: Path, index: int, port: int, bootstrap: str, topic: str, bad_topic: str,
              produce_timeout: str) -> Managed:
    name = f"collector-{index + 1}"
    config = work / f"{name}.toml"
    config.write_text(f"""\
[http]
listen = "127.0.0.1:{port}"

[ingest]
produce_timeout = "{produce_timeout}"

[[sites]]
key = "demo"
origins = ["http://localhost:8080"]

[kafka]
brokers = "{bootstrap}"
topic = "{topic}"
bad_topic = "{bad_topic}"
""")
    return Managed(name, ["collect", "--config", str(config)], clean_env(), port, work / f"{name}.log")


def sink_config(work: Path, name: str, port: int, bootstrap: str, topic: str, bad_topic: str, output: str,
                fmt: str, group: str, s3_endpoint: str, region: str) -> Path:
    # Files close every second and commit all the time; a sink that stops polling (frozen, or
    # stuck in a stalled S3 request) for 7 s leaves the group, and a frozen one (no heartbeats)
    # is out after 6 s, so faults cause rebalances and takeovers.
    config = work / f"{name}.toml"
    config.write_text(f"""\
[kafka]
brokers = "{bootstrap}"
topic = "{topic}"
bad_topic = "{bad_topic}"

[kafka.consumer]
"max.poll.interval.ms" = "7000"
"session.timeout.ms" = "6000"
"heartbeat.interval.ms" = "1000"

[sink]
output = "{output}"
format = "{fmt}"
group_id = "{group}"
max_age = "1s"
listen = "127.0.0.1:{port}"

[s3]
region = "{region}"
endpoint = "{s3_endpoint}"
path_style = true
""")
    return config


def sink(work: Path, index: int, port: int, **config) -> Managed:
    name = f"sink-{index + 1}"
    path = sink_config(work, name, port, **config)
    return Managed(name, ["sink", "--config", str(path)], clean_env(), port, work / f"{name}.log")


def run(work: Path, port: int, data: Path, fmt: str) -> Managed:
    config = work / "run.toml"
    config.write_text(f"""\
[sink]
format = "{fmt}"
max_age = "1s"
""")
    return Managed("run", ["run", "--config", str(config), "--listen", f"127.0.0.1:{port}", "--data", str(data)],
                   clean_env(), port, work / "run.log")
