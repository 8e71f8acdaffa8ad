"""The whole store read back: every object under an S3 prefix (listed with ListObjectsV2, fetched by
curl with SigV4 signing, many at a time) or every file under a local directory, decoded as
Parquet (pyarrow) or gzip JSON Lines. Empty files are valid: a new owner retires a key by putting
a 0-row file over it. The intent objects under _clicktrail/ are not data and are skipped."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import subprocess
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from shared import S3_NS_URI, Services, s3_request

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
EVENT_COLUMNS = ["event_id", "collector_ts", "sent_ts"]


@dataclass(frozen=True)
class Row:
    key: str
    event_id: str | None
    collector_ts: int | None
    sent_ts: int | None

    @property
    def copy(self) -> tuple:
        """What one ingest of an event looks like: a retried request is a new copy (its own
        collector_ts and sent_ts); the same copy twice can only come from the sink."""
        return self.event_id, self.collector_ts, self.sent_ts


@dataclass
class StoreContents:
    events: list[Row] = field(default_factory=list)
    bad: list[Row] = field(default_factory=list)
    files: int = 0
    empty_files: int = 0
    unreadable: dict[str, str] = field(default_factory=dict)  # key → why


def rows_of(name: str, data: bytes, columns: list[str] | None) -> list[dict]:
    if name.endswith(".parquet"):
        table = pq.read_table(io.BytesIO(data), columns=columns)
        # Timestamps as the JSON Lines files and the topic have them: milliseconds since the epoch.
        for i, f in enumerate(table.schema):
            if pa.types.is_timestamp(f.type):
                table = table.set_column(i, f.name, table.column(i).cast(pa.timestamp("ms", f.type.tz)).cast(pa.int64()))
        return table.to_pylist()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    return [json.loads(line) for line in data.decode().splitlines() if line]


def bad_row_event(row: dict) -> dict:
    """The event a row of the bad table is about: the collector keeps the raw input of a rejected
    event in raw_base64."""
    try:
        return json.loads(base64.b64decode(row.get("raw_base64") or ""))
    except ValueError:
        return {}


def add_file(contents: StoreContents, key: str, data: bytes) -> None:
    table = key.split("/", 1)[0]
    try:
        rows = rows_of(key, data, EVENT_COLUMNS if table == "events" else None)
    except Exception as e:  # any decoder error is a finding, with the key
        contents.unreadable[key] = f"{type(e).__name__}: {e}"
        return
    contents.files += 1
    contents.empty_files += not rows
    for r in rows:
        if table == "events":
            contents.events.append(Row(key, r.get("event_id"), r.get("collector_ts"), r.get("sent_ts")))
        elif table == "bad":
            e = bad_row_event(r)
            contents.bad.append(Row(key, e.get("event_id") if isinstance(e, dict) else None, r.get("collector_ts"),
                                    None))
        else:
            contents.unreadable[key] = f"a file outside events/ and bad/ ({table})"


def read_local(root: Path) -> StoreContents:
    contents = StoreContents()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith("_clicktrail/") and not path.name.startswith("."):
            add_file(contents, rel, path.read_bytes())
    return contents


def list_keys(svc: Services, prefix: str) -> list[str]:
    keys, token = [], None
    while True:
        query = {"list-type": "2", "prefix": prefix + "/"}
        if token:
            query["continuation-token"] = token
        resp = s3_request(svc, "GET", query=query)
        if resp.status != 200:
            raise RuntimeError(f"ListObjectsV2 of {prefix}/ answered {resp.status}: {resp.body[:500]!r}")
        root = ET.fromstring(resp.body)
        keys += [k.text for k in root.findall(f"{{{S3_NS_URI}}}Contents/{{{S3_NS_URI}}}Key")]
        token_el = root.find(f"{{{S3_NS_URI}}}NextContinuationToken")
        if token_el is None or not token_el.text:
            return keys
        token = token_el.text


def fetch_all(svc: Services, keys: list[str], into: Path) -> dict[str, Path]:
    """Downloads the objects with one curl run per 500 keys, 8 transfers at a time."""
    into.mkdir(parents=True, exist_ok=True)
    paths = {}
    for start in range(0, len(keys), 500):
        lines = ["silent", "show-error", "fail", "parallel", "parallel-max = 8",
                 f'aws-sigv4 = "aws:amz:{svc.region}:s3"', f'user = "{svc.access_key}:{svc.secret_key}"',
                 f'header = "x-amz-content-sha256: {EMPTY_SHA256}"']
        for n, key in enumerate(keys[start:start + 500], start):
            paths[key] = into / f"{n:08d}"
            # SigV4's canonical URI: RFC 3986 percent-encoding, '/' kept (as conftest.s3_request).
            url = f"{svc.s3_endpoint}/{svc.s3_bucket}/{urllib.parse.quote(key, safe='/~')}"
            lines += [f'url = "{url}"', f'output = "{paths[key]}"']
        config = into / "curl.config"  # holds the secret key: removed at once
        config.write_text("\n".join(lines) + "\n")
        try:
            done = subprocess.run(["curl", "-K", str(config)], capture_output=True, text=True, timeout=600)
        finally:
            config.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"curl could not fetch objects: {done.stderr[-2000:]}")
    return paths


def read_s3(svc: Services, prefix: str, scratch: Path) -> StoreContents:
    contents = StoreContents()
    keys = [k for k in list_keys(svc, prefix) if not k[len(prefix) + 1:].startswith("_clicktrail/")]
    for key, path in fetch_all(svc, keys, scratch).items():
        add_file(contents, key[len(prefix) + 1:], path.read_bytes())
        path.unlink()
    return contents
