"""What the collector's tests send and expect, shared with the Lambda function's tests, which
must give the very same answers: the bad inputs and bad events, and reading a topic back."""

from __future__ import annotations

import gzip
import time

from conftest import TOOL_TIMEOUT_S
from records import read_topic


def consume(bootstrap: str, topic: str, expect: int, wait_s: float = 20) -> list[tuple[str, dict]]:
    """All records of `topic` as (key, value), after at least `expect` arrived; then checks that
    no more follow (kcat -e stops at the end of every partition)."""
    deadline = time.monotonic() + wait_s
    records: list[tuple[str, dict]] = []
    while True:
        records = [((r.key or b"").decode(), r.event())
                   for r in read_topic(bootstrap, topic, timeout_s=TOOL_TIMEOUT_S, missing_ok=True)]
        if len(records) >= expect or time.monotonic() > deadline:
            return records
        time.sleep(0.3)


def gzip_bomb() -> bytes:
    return gzip.compress(b"[" + b" " * (64 << 20) + b"]", compresslevel=9)


# (name, request kwargs, status, error code in the body or in "rejected", in the bad topic?)
BAD_INPUTS = [
    ("invalid json", dict(raw=b'{"type": "page_view",'), 400, "invalid_json", True),
    ("invalid utf-8", dict(raw=b'{"type":"page_view","page_title":"\xff\xfe"}'), 400, "invalid_utf8", True),
    ("too deep", dict(raw=b'{"type":"x","props":' + b'{"a":' * 40 + b"1" + b"}" * 40 + b"}"), 400, "too_deep", True),
    ("oversized batch", dict(events=[{"type": "page_view"}] * 501), 413, "too_many_events", True),
    ("gzip bomb", dict(raw=gzip_bomb(), extra_headers={"Content-Encoding": "gzip"}), 413, "body_too_large", True),
    ("disallowed origin", dict(events={"type": "page_view"}, origin="https://evil.example"), 403, "origin_not_allowed", True),
    ("unknown site", dict(events={"type": "page_view"}, site="nope"), 401, "unknown_site", True),
    ("wrong content type", dict(events={"type": "page_view"}, content_type="application/xml"), 415,
     "unsupported_content_type", True),
]


# Events that are rejected one by one: the rest of the batch goes on (200 + the list).
BAD_EVENTS = [
    ("wrong type", {"type": "click", "x": "left"}, "invalid_field"),
    ("missing type", {"page_url": "http://localhost:8080/"}, "missing_field"),
    ("bad type name", {"type": "Page View"}, "invalid_type"),
    ("oversized event", {"type": "page_view", "page_title": "t" * (40 << 10)}, "event_too_large"),
    ("collector field", {"type": "page_view", "ip": "1.2.3.4"}, "unknown_field"),
]
