"""Snowplow's tracker protocol (tp2) and Segment's HTTP Tracking API for the end-to-end tests: the
sites the compat tests configure, the event ids the collector must derive, the node libraries of
tests/compat run as senders, the bad inputs of each protocol with their documented answers
(docs/compat-snowplow.md and docs/compat-segment.md, "Answers" and "Limits"), and reading a
topic back by event id or by a marker inside a bad record's raw input. Shared by the collector's,
`run`'s and the Lambda function's tests."""

from __future__ import annotations

import base64
import gzip
import json
import re
import socket
import subprocess
import time
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from collector import Collector, IngestClient, Response
from ingest_cases import consume

COMPAT = Path(__file__).resolve().parents[1] / "compat"
SNOWPLOW_SEND = COMPAT / "node" / "snowplow_send.mjs"
SEGMENT_SEND = COMPAT / "node" / "segment_send.mjs"
NODE_TIMEOUT_S = 120

TP2_PATH = "/com.snowplowanalytics.snowplow/tp2"
PAYLOAD_DATA = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"
# The namespaces of the event ids derived from ids that are not UUIDs (docs/compat-*.md, Fields).
SEGMENT_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/clicktrail/clicktrail#segment-message-id")
SNOWPLOW_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/clicktrail/clicktrail#snowplow-event-id")
UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# What snowplow_send.mjs sets with the node tracker's server-side identity setters.
NODE_NUID = "0b8c4e4c-6f8a-4e55-9d6e-2b8f8d6b1c11"
NODE_IP, NODE_IP_STORED = "203.0.113.7", "203.0.113.0"  # ingest.anonymize_ip: the /24
NODE_UA = "Mozilla/5.0 (X11; Linux x86_64) compat-test"
NODE_DUID = "5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b"
NODE_SID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"

# Sites beside the collector harness's demo (app id "demo", no write key) and open: one with two
# app ids and a write key, one with a write key of its own.
SITES_TOML = """
[[sites]]
key = "shop"
origins = ["https://shop.example"]
snowplow_app_ids = ["shop-app", "shop-web"]
segment_write_keys = ["shop-write-key"]

[[sites]]
key = "blog"
origins = ["https://blog.example"]
segment_write_keys = ["blog-write-key"]
"""
SHOP_ORIGIN = "https://shop.example"


def derived_event_id(namespace: uuid.UUID, site: str, original: str) -> str:
    """The event_id for a tracker's id: the UUID itself, lower-cased, or uuid5(ns, site + "\\n" + id)."""
    if UUID_TEXT.fullmatch(original):
        return original.lower()
    return str(uuid.uuid5(namespace, f"{site}\n{original}"))


def now_ms() -> int:
    return int(time.time() * 1000)


# --- the node libraries -------------------------------------------------------------------------

def node_send(script: Path, url: str, key: str, count: int, server) -> list[dict]:
    """Runs one of tests/compat/node's senders against `url` and returns the JSON lines it printed,
    one an event; its exit code 0 says the library saw every request succeed. `server` (a Popen)
    must stay alive the whole time."""
    proc = subprocess.Popen(["node", str(script), url, key, str(count)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=COMPAT)
    deadline = time.monotonic() + NODE_TIMEOUT_S
    try:
        while proc.poll() is None:
            assert server.poll() is None, f"the server exited ({server.returncode}) while {script.name} sent"
            assert time.monotonic() < deadline, f"{script.name} still running after {NODE_TIMEOUT_S} s"
            time.sleep(0.1)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 0, f"{script.name} exited {proc.returncode}: {err[-3000:]}"
    assert server.poll() is None, f"the server exited ({server.returncode}) after {script.name} sent"
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert sorted(x["seq"] for x in lines) == list(range(count)), f"{script.name} delivered: {out[-3000:]}"
    return lines


# --- requests -----------------------------------------------------------------------------------

def tp2_event(aid: str | None, e: str | None = "pv", eid: str | None = None, **params: str) -> dict:
    """One tp2 event as a server-side tracker sends it: every value a string."""
    event = {"e": e, "eid": eid or str(uuid.uuid4()), "p": "srv", "tv": "e2e-1", "aid": aid, "dtm": str(now_ms())}
    event.update(params)
    return {k: v for k, v in event.items() if v is not None}


def tp2_body(events: list[dict], stm: int | None = None) -> bytes:
    """payload_data with `stm` written into each event when the request is sent, as trackers do."""
    sent = str(stm or now_ms())
    return json.dumps({"schema": PAYLOAD_DATA, "data": [{**e, "stm": sent} for e in events]}).encode()


def tp2_post(client: IngestClient, body: bytes, origin: str | None = None, **headers: str) -> Response:
    h = {"Content-Type": "application/json; charset=UTF-8", "User-Agent": "clicktrail-e2e/1", **headers}
    if origin:
        h["Origin"] = origin
    return whole_request(client, "POST", TP2_PATH, body, h)


def whole_request(client: IngestClient, method: str, path: str, body: bytes, headers: dict[str, str]) -> Response:
    """client.request(), except that to the HTTP collector the body is written on a socket of its
    own, so that an answer given before the body was read (and the connection closed) is still
    read rather than lost in a broken pipe."""
    if not isinstance(client, Collector) or len(body) < (256 << 10):
        return client.request(method, path, body, headers)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", client.port), timeout=30) as s:
        try:
            s.sendall(head.encode() + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered early: read the answer below
        answer = b""
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    head_text, _, rest = answer.partition(b"\r\n\r\n")
    lines = head_text.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 "), f"no HTTP answer: {answer[:200]!r}"
    fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return Response(int(lines[0].split()[1]), {k.lower(): v for k, v in fields.items()}, rest)


def basic(write_key: str) -> str:
    return "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()


def segment_post(client: IngestClient, path: str, body: bytes, write_key: str | None = "shop-write-key",
                 content_type: str = "application/json", origin: str | None = None, **headers: str) -> Response:
    h = {"Content-Type": content_type, "User-Agent": "analytics-node-next/latest", **headers}
    if write_key:
        h["Authorization"] = basic(write_key)
    if origin:
        h["Origin"] = origin
    return client.request("POST", path, body, h)


def segment_message(kind: str = "track", message_id: str | None = None, **fields) -> dict:
    m = {"type": kind, "messageId": message_id or str(uuid.uuid4()), "anonymousId": "anon-e2e",
         "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())}
    if kind == "track":
        m["event"] = "Order Completed"
    m.update(fields)
    return {k: v for k, v in m.items() if v is not None}


def segment_batch(messages: list[dict], sent_at: str | None = None) -> bytes:
    return json.dumps({"batch": messages, "sentAt": sent_at or time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
                       }).encode()


# --- reading the topics back --------------------------------------------------------------------

def events_with_ids(bootstrap: str, topic: str, ids, copies: int = 1, wait_s: float = 30) -> list[dict]:
    """The events of `topic` whose event_id is in `ids`, once each id is there `copies` times (or
    `wait_s` passed: the caller's count check then says what is missing)."""
    wanted = set(ids)
    deadline = time.monotonic() + wait_s
    while True:
        found = [v for _, v in consume(bootstrap, topic, 0, wait_s=0) if v["event_id"] in wanted]
        seen = Counter(v["event_id"] for v in found)
        if all(seen[i] >= copies for i in wanted) or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def _readable(raw: bytes) -> bytes:
    """A raw input as text: gzip bodies are kept as sent (and cut), so inflate what is there."""
    if not raw.startswith(b"\x1f\x8b"):
        return raw
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, 1 << 20)
    except zlib.error:
        return raw


def bad_records_with(bootstrap: str, topic: str, marker: str, wait_s: float = 20) -> list[dict]:
    """The bad records whose raw input holds `marker` (inflated, if it is gzip), each with its raw
    bytes as `raw`; waits for at least one."""
    deadline = time.monotonic() + wait_s
    while True:
        found = []
        for _, v in consume(bootstrap, topic, 0, wait_s=0):
            raw = base64.b64decode(v["raw_base64"])
            if marker.encode() in _readable(raw):
                found.append({**v, "raw": raw})
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


# --- bad inputs ---------------------------------------------------------------------------------

@dataclass
class BadInput:
    """One bad request and its documented answer. `send(client, marker)` makes the request with
    `marker` in its raw input, so that its bad record can be found; `reason` None: no bad record
    (the request matched no route). `site` is the bad record's site, `index` its event index.
    `http_records` False: the HTTP collector answers before reading the input (a body over its
    limit), so only the Lambda function, which gets the body whole, writes a bad record."""
    name: str
    send: Callable[[IngestClient, str], Response]
    status: int
    reason: str | None
    site: str = ""
    index: int | None = None
    http_records: bool = True


def _padded_tp2(marker: str, size: int) -> bytes:
    """payload_data of one event, `size` bytes or a little more, the marker near its start."""
    event = tp2_event("shop-app", url=f"https://shop.example/{marker}", se_la="x" * size)
    return tp2_body([event])


SNOWPLOW_BAD_INPUTS = [
    BadInput("invalid json", lambda c, m: tp2_post(c, b'{"schema": "' + m.encode() + b'", "data": ['),
             200, "invalid_json"),
    BadInput("an event without e", lambda c, m: tp2_post(c, tp2_body([
        tp2_event("shop-app"), tp2_event("shop-app", e=None, url=f"https://shop.example/{m}")])),
        200, "missing_field", site="shop", index=1),
    # docs/compat-snowplow.md, Answers: 413 as on every route (the HTTP server stops reading).
    BadInput("body over ingest.max_body", lambda c, m: tp2_post(c, _padded_tp2(m, 1100 << 10)),
             413, "body_too_large", http_records=False),
    BadInput("gzip body over ingest.max_body", lambda c, m: tp2_post(
        c, gzip.compress(_padded_tp2(m, 1100 << 10)), **{"Content-Encoding": "gzip"}), 413, "body_too_large"),
    BadInput("unknown app id", lambda c, m: tp2_post(c, tp2_body([tp2_event("nobody-app", url=f"https://x/{m}")])),
             200, "unknown_site"),
    BadInput("no app id", lambda c, m: tp2_post(c, tp2_body([tp2_event(None, url=f"https://x/{m}")])),
             200, "missing_site"),
    BadInput("origin not allowed", lambda c, m: tp2_post(
        c, tp2_body([tp2_event("shop-app", url=f"https://x/{m}")]), origin="https://evil.example"),
        403, "origin_not_allowed", site="shop"),
    BadInput("too many events", lambda c, m: tp2_post(
        c, tp2_body([tp2_event("shop-app", url=f"https://x/{m}")] * 501)), 200, "too_many_events"),
    # docs/compat-snowplow.md, Routes: another method is 405, as on clicktrail's own routes.
    BadInput("PUT on tp2", lambda c, m: c.request("PUT", TP2_PATH, tp2_body([tp2_event("shop-app")]),
                                                  {"Content-Type": "application/json"}), 405, None),
]

_BIG_PROPS = {"blob": "x" * (40 << 10)}
SEGMENT_BAD_INPUTS = [
    BadInput("invalid json", lambda c, m: segment_post(c, "/v1/batch", b'{"batch": [{"messageId": "' + m.encode()),
             400, "invalid_json", site="shop"),
    BadInput("track without event", lambda c, m: segment_post(
        c, "/v1/track", json.dumps(segment_message(message_id=m, event=None)).encode()),
        400, "missing_field", site="shop", index=0),
    BadInput("identify without userId and anonymousId", lambda c, m: segment_post(
        c, "/v1/identify", json.dumps(segment_message("identify", m, anonymousId=None)).encode()),
        400, "missing_field", site="shop", index=0),
    BadInput("message over 32 KiB on /v1/track", lambda c, m: segment_post(
        c, "/v1/track", json.dumps(segment_message(message_id=m, properties=_BIG_PROPS)).encode()),
        400, "event_too_large", site="shop", index=0),
    BadInput("body over max_batch_bytes", lambda c, m: segment_post(
        c, "/v1/batch", segment_batch([segment_message(message_id=f"{m}-{i}", properties={"blob": "x" * 20000})
                                       for i in range(30)])), 400, "event_too_large", site="shop"),
    BadInput("unknown write key", lambda c, m: segment_post(
        c, "/v1/batch", segment_batch([segment_message(message_id=m)]), write_key="nobodys-key"), 401, "unknown_site"),
    BadInput("no write key", lambda c, m: segment_post(
        c, "/v1/batch", segment_batch([segment_message(message_id=m)]), write_key=None), 401, "missing_site"),
    BadInput("origin not allowed", lambda c, m: segment_post(
        c, "/v1/batch", segment_batch([segment_message(message_id=m)]), origin="https://evil.example"),
        403, "origin_not_allowed", site="shop"),
    BadInput("unsupported content type", lambda c, m: segment_post(
        c, "/v1/batch", segment_batch([segment_message(message_id=m)]), content_type="application/xml"),
        415, "unsupported_content_type", site="shop"),
    BadInput("GET /v1/track", lambda c, m: c.request("GET", "/v1/track"), 405, None),
]


# --- what the node libraries' events become (the same for the topic's JSON and DuckDB's rows) ----

def expected_snowplow_node_event(line: dict, site: str, app_id: str) -> dict:
    """The stored fields of snowplow_send.mjs's event `line` ({"seq", "e", "eid"})."""
    seq = line["seq"]
    kept = {"p": "srv", "tv": "node-4.8.0", "tna": "compat-node", "aid": app_id, "vid": "3"}
    common = {"event_id": line["eid"], "site": site, "anonymous_id": NODE_DUID, "session_id": NODE_SID,
              "user_id": "user-42", "network_id": NODE_NUID, "ip": NODE_IP_STORED, "ua": NODE_UA}
    if line["e"] == "pv":
        return {**common, "type": "page_view", "page_url": f"https://shop.example/item/{seq}?ref=node",
                "page_path": f"/item/{seq}", "page_title": f"Item {seq}", "referrer": "https://search.example/",
                "props": {"snowplow": kept}}
    if line["e"] == "se":
        return {**common, "type": "struct", "props": {"category": "shop", "action": "add", "label": f"sku-{seq}",
                                                      "property": "size m", "value": seq + 0.5, "snowplow": kept}}
    assert line["e"] == "ue", line
    return {**common, "type": "order", "props": {"order": f"o-{seq}", "total": seq * 10, "snowplow": {
        **kept, "schema": "iglu:com.example/order/jsonschema/1-0-0"}}}


SEGMENT_TYPES = {"track": "order_completed", "identify": "identify", "page": "page_view",
                 "screen": "screen_view", "group": "group", "alias": "alias"}


def expected_segment_node_event(line: dict, site: str) -> tuple[dict, dict]:
    """The stored fields of segment_send.mjs's message `line` ({"seq", "type", "messageId"}), and
    the members its props.segment must have."""
    seq, kind = line["seq"], line["type"]
    e = {"event_id": str(uuid.uuid5(SEGMENT_NS, f"{site}\n{line['messageId']}")), "site": site,
         "type": SEGMENT_TYPES[kind], "user_id": "user-42", "anonymous_id": "anon-7",
         "ua": "analytics-node-next/latest"}
    segment = {"messageId": line["messageId"]}
    props = {}
    if kind == "track":
        props, segment["event"] = {"order_id": f"o-{seq}", "revenue": seq + 0.5}, "Order Completed"
    elif kind == "identify":
        props = {"plan": "pro", "seq": seq}
    elif kind == "page":
        e.update(page_url=f"https://shop.example/docs/{seq}", page_path=f"/docs/{seq}")
        props, segment["name"], segment["category"] = {"category": "Docs"}, "Compat", "Docs"
    elif kind == "screen":
        props, segment["name"] = {"seq": seq}, "Home"
    elif kind == "group":
        props, segment["groupId"] = {"name": "Acme"}, "group-7"
    else:
        e.update(user_id="user-43", anonymous_id=None)
        segment["previousId"] = "user-42"
    e["props"] = props
    return e, segment


def check_node_event(stored: dict, expected: dict, started_ms: int, ended_ms: int,
                     segment: dict | None = None) -> None:
    """`stored` has the `expected` fields; client_ts and sent_ts are times of the send; with
    `segment`, props.segment holds those members and props is `expected`'s beside it."""
    got = {k: stored.get(k) for k in expected}
    if segment is not None:
        got["props"] = {k: v for k, v in stored["props"].items() if k != "segment"}
        have = stored["props"]["segment"]
        assert {k: have.get(k) for k in segment} == segment, (stored["event_id"], have)
        assert have["context"]["library"]["name"] == "@segment/analytics-node" and "writeKey" not in have
    assert got == expected, stored
    assert started_ms - 1000 <= stored["client_ts"] <= stored["sent_ts"] <= ended_ms + 1000, stored
    assert stored["event_ts"] <= stored["collector_ts"] <= ended_ms + 1000, stored
