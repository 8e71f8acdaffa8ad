"""Helpers for the sink's end-to-end tests: canonical events produced straight into Kafka with
kcat, `clicktrail sink` started with a config of its own, and the output read back from a local
directory or the S3 server."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import time
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from collector import binary
from conftest import S3_NS_URI, TOOL_TIMEOUT_S, Stoppable, s3_request

HOUR_MS = 3_600_000
BASE_TS = 1_795_600_800_000  # 2026-11-25T07:20:00Z


def canonical_event(i: int, ts: int, **extra) -> dict:
    e = {"event_id": str(uuid.UUID(int=(0x0190 << 112) | (7 << 76) | (2 << 62) | i)), "type": "page_view",
         "site": "demo", "collector_ts": ts, "event_ts": ts, "anonymous_id": f"v{i % 97}",
         "page_url": f"https://me.github.io/post/{i}", "schema_version": 1}
    e.update(extra)
    return e


def produce(bootstrap: str, topic: str, values: list[bytes | None], partition: int | None = None,
            key: bytes | None = None) -> None:
    """Produces each value as one record, in order (None: a null value), keyed so that they
    spread over the topic's partitions unless `partition` is given."""
    target = ["-p", str(partition)] if partition is not None else []
    run: list[bytes] = []

    def flush() -> None:
        if not run:
            return
        # On stdin (a file argument would be one message), with a record delimiter (-D) and a
        # key delimiter (-K) that cannot occur in the values.
        data = b"".join((key if key is not None else str(n).encode()) + b"\x1f" + v + b"\x1e"
                        for n, v in enumerate(run))
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\x1f", "-D", "\x1e", "-z", "lz4", *target],
                       input=data, check=True, timeout=TOOL_TIMEOUT_S, capture_output=True)
        run.clear()

    for v in values:
        if v is None:
            flush()
            # -Z turns an empty value into a null one; the key keeps kcat from skipping it.
            subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-Z", "-K", "\x1f", "-D", "\x1e", *target],
                           input=b"null\x1f\x1e", check=True, timeout=TOOL_TIMEOUT_S, capture_output=True)
        else:
            run.append(v)
    flush()


def produce_events(bootstrap: str, topic: str, events: list[dict], partition: int | None = None) -> None:
    produce(bootstrap, topic, [json.dumps(e, separators=(",", ":")).encode() for e in events], partition)


def create_topic(bootstrap: str, topic: str) -> None:
    """Auto-creates the topic (4 partitions on the test broker) with one throwaway metadata
    request, so that the sink's group sees every partition from the start."""
    subprocess.run(["kcat", "-L", "-b", bootstrap, "-t", topic], check=True, timeout=TOOL_TIMEOUT_S,
                   capture_output=True)
    time.sleep(0.5)


@dataclass
class SinkRun(Stoppable):
    config: Path
    log: Path
    proc: subprocess.Popen | None = None

    def start(self, *args: str) -> "SinkRun":
        clean = {k: v for k, v in os.environ.items() if not k.startswith("CLICKTRAIL_")}
        self.proc = subprocess.Popen([binary(), "sink", "--config", str(self.config), *args],
                                     stdout=self.log.open("a"), stderr=subprocess.STDOUT, env=clean)
        return self

    def metrics(self) -> dict[str, float]:
        """The sink's /metrics, as {'name{labels}': value} ({} until it logged its address)."""
        match = re.search(r"metrics=(http://\S+/metrics)", self.log.read_text(errors="replace"))
        if not match:
            return {}  # not started yet
        with urllib.request.urlopen(match.group(1), timeout=10) as resp:
            text = resp.read().decode()
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                for line in text.splitlines() if line and not line.startswith("#")}


    def until_caught_up(self, timeout: float = 180) -> None:
        self.start("--until-caught-up")
        code = self.proc.wait(timeout=timeout)
        assert code == 0, self.log.read_text(errors="replace")[-4000:]


def sink_config(tmp: Path, bootstrap: str, topic: str, output: str, group: str | None = None,
                s3=None, bad_topic: str | None = None, format: str = "jsonl", **sink: str | int) -> SinkRun:
    name = uuid.uuid4().hex[:8]
    # Each test's rejected input in a topic of its own (the default, clicktrail.bad, is shared).
    lines = [f'[kafka]\nbrokers = "{bootstrap}"\ntopic = "{topic}"\nbad_topic = "{bad_topic or topic + ".bad"}"\n',
             f'[sink]\noutput = "{output}"\nformat = "{format}"\ngroup_id = "{group or "g-" + name}"',
             'listen = "127.0.0.1:0"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in sink.items()]
    if s3 is not None:
        lines.append(f'\n[s3]\nregion = "{s3.region}"\nendpoint = "{s3.s3_endpoint}"\npath_style = true')
    lines.append('\n[log]\nlevel = "info"\n')
    config = tmp / f"sink-{name}.toml"
    config.write_text("\n".join(lines))
    return SinkRun(config, tmp / f"sink-{name}.log")


def decode_file(name: str, data: bytes) -> list[dict]:
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    return [json.loads(line) for line in data.decode().splitlines() if line]


def read_local(root: Path) -> dict[str, list[dict]]:
    """Every output file under `root` (not the intents), by key relative to root."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith("_clicktrail/") and not path.name.startswith("."):
            out[rel] = decode_file(path.name, path.read_bytes())
    return out


def read_s3(svc, prefix: str) -> dict[str, list[dict]]:
    out, token = {}, None
    keys = []
    while True:
        query = {"list-type": "2", "prefix": prefix + "/"}
        if token:
            query["continuation-token"] = token
        resp = s3_request(svc, "GET", query=query)
        assert resp.status == 200, resp.body
        root = ET.fromstring(resp.body)
        keys += [k.text for k in root.findall(f"{{{S3_NS_URI}}}Contents/{{{S3_NS_URI}}}Key")]
        token_el = root.find(f"{{{S3_NS_URI}}}NextContinuationToken")
        if token_el is None or not token_el.text:
            break
        token = token_el.text
    for key in keys:
        rel = key[len(prefix) + 1:]
        if rel.startswith("_clicktrail/"):
            continue
        resp = s3_request(svc, "GET", key)
        assert resp.status == 200, (key, resp.status)
        out[rel] = decode_file(key, resp.body)
    return out


def pending_uploads(svc, prefix: str) -> list[str]:
    """Keys of the multipart uploads begun under `prefix` and neither completed nor aborted."""
    resp = s3_request(svc, "GET", query={"uploads": "", "prefix": prefix + "/"})
    assert resp.status == 200, resp.body
    root = ET.fromstring(resp.body)
    return [k.text for k in root.findall(f"{{{S3_NS_URI}}}Upload/{{{S3_NS_URI}}}Key")]


def event_ids(files: dict[str, list[dict]], table: str = "events") -> list[str]:
    return [row["event_id"] for key, rows in files.items() if key.startswith(table + "/") for row in rows]
