"""The collector against the real broker: every accepted event is in the topic exactly once,
every bad input gets its documented status and lands in the bad topic, and a 2xx always means
durable."""

from __future__ import annotations

import base64
import gzip
import json
import re
import socket
import time
import uuid

import pytest

from collector import start_collector
from ingest_cases import BAD_EVENTS, BAD_INPUTS, consume
from records import read_topic


@pytest.fixture(scope="module")
def collector(services, tmp_path_factory):
    c = start_collector(tmp_path_factory.mktemp("collector"), services.kafka_bootstrap)
    yield c
    assert c.stop() == 0, c.log()


def metric(text: str, name: str, **labels: str) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(want) + r"\}" if labels else "") + r" (\S+)"
    m = re.search(pattern, text)
    return float(m.group(1)) if m else 0.0


def test_posted_events_are_in_the_topic_once_each_keyed_by_visitor(collector, services):
    ids = [str(uuid.uuid4()) for _ in range(4)]
    single = {"type": "page_view", "event_id": ids[0], "anonymous_id": "visitor-a",
              "page_url": "http://localhost:8080/?utm_source=news", "client_ts": 1000, "sent_ts": 3000}
    array = [{"type": "click", "event_id": ids[1], "anonymous_id": "visitor-b", "target_tag": "a"},
             {"type": "scroll", "event_id": ids[2], "anonymous_id": "visitor-a", "scroll_depth": 50}]
    envelope = {"sent_ts": 5000, "events": [{"type": "signup.done", "event_id": ids[3],
                                              "session_id": "s-1", "client_ts": 4000, "props": {"plan": "pro"}}]}
    for body in (single, array, envelope):
        r = collector.post(body)
        assert r.status == 204, r.body
        assert r.headers["access-control-allow-origin"] == "http://localhost:8080"
    records = consume(services.kafka_bootstrap, collector.topic, 4)
    assert sorted(v["event_id"] for _, v in records) == sorted(ids)  # each exactly once
    by_id = {v["event_id"]: (k, v) for k, v in records}
    key, first = by_id[ids[0]]
    assert key == "visitor-a"
    assert first["site"] == "demo" and first["ip"] == "127.0.0.0" and first["ua"] == "clicktrail-e2e/1"
    assert first["utm_source"] == "news"
    assert first["event_ts"] == first["collector_ts"] - 2000  # skew-corrected
    assert abs(first["collector_ts"] / 1000 - time.time()) < 120
    assert by_id[ids[1]][0] == "visitor-b"
    assert by_id[ids[3]][0] == "s-1" and by_id[ids[3]][1]["props"] == {"plan": "pro"}
    assert by_id[ids[3]][1]["event_ts"] == by_id[ids[3]][1]["collector_ts"] - 1000
    # Each record's Kafka timestamp is its event's collector_ts, so a seek by time finds it.
    stamped = {e["event_id"]: (r.timestamp_ms, e["collector_ts"])
               for r in read_topic(services.kafka_bootstrap, collector.topic) for e in [r.event()]}
    assert all(stamped[i][0] == stamped[i][1] for i in ids), stamped


def test_events_without_id_get_a_uuid7(collector, services):
    marker = uuid.uuid4().hex
    assert collector.post({"type": "page_view", "anonymous_id": marker}).status == 204
    records = [v for k, v in consume(services.kafka_bootstrap, collector.topic, 1) if k == marker]
    assert len(records) == 1
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", records[0]["event_id"])


@pytest.mark.parametrize("name,kwargs,status,code,in_bad_topic", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gets_its_status_is_counted_and_kept(collector, services, name, kwargs, status, code, in_bad_topic):
    before = collector.metrics()
    r = collector.post(kwargs.get("events"), **{k: v for k, v in kwargs.items() if k != "events"})
    assert r.status == status, r.body
    assert r.json()["error"] == code
    assert r.json()["message"]
    # The HTTP counter moves once the answer's last byte is written, possibly just after the
    # client read it: look again for a moment.
    answered = lambda text: metric(text, "clicktrail_http_requests_total", route="/v1/events", status=str(status))
    for _ in range(100):
        after = collector.metrics()
        if answered(after) > answered(before):
            break
        time.sleep(0.02)
    assert answered(after) > answered(before)
    if in_bad_topic:
        assert metric(after, "clicktrail_ingest_requests_refused_total", reason=code) == \
            metric(before, "clicktrail_ingest_requests_refused_total", reason=code) + 1
        reasons = [v["reason"] for _, v in consume(services.kafka_bootstrap, collector.bad_topic, 1)]
        assert code in reasons


@pytest.mark.parametrize("name,bad,reason", BAD_EVENTS, ids=[c[0] for c in BAD_EVENTS])
def test_a_bad_event_is_rejected_alone(collector, services, name, bad, reason):
    good_id = str(uuid.uuid4())
    r = collector.post([{"type": "page_view", "event_id": good_id}, bad])
    assert r.status == 200, r.body
    answer = r.json()
    assert answer["accepted"] == 1
    assert [(x["index"], x["reason"]) for x in answer["rejected"]] == [(1, reason)]
    bad_records = [v for _, v in consume(services.kafka_bootstrap, collector.bad_topic, 1)
                   if v["reason"] == reason and v.get("index") == 1]
    assert bad_records, f"no {reason} record in the bad topic"
    raw = base64.b64decode(bad_records[-1]["raw_base64"])
    if reason == "event_too_large":
        assert raw.startswith(b'{"type"') and len(raw) <= 32 << 10  # kept, cut to the event limit
    else:
        assert json.loads(raw) == bad
    assert good_id in [v["event_id"] for _, v in consume(services.kafka_bootstrap, collector.topic, 1)]


def test_an_oversized_body_is_refused_before_it_is_read(collector):
    # Content-Length alone decides: the collector answers without reading 2 MiB it would refuse.
    with socket.create_connection(("127.0.0.1", collector.port), timeout=10) as s:
        s.sendall(b"POST /v1/events?site=demo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 2097152\r\n\r\n")
        answer = s.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413"), answer
    assert '"error":"body_too_large"' in answer
    assert collector.post({"type": "page_view"}).status == 204  # and the collector goes on


def test_cors_preflight_and_pixel(collector, services):
    ok = collector.request("OPTIONS", "/v1/events?site=demo", headers={
        "Origin": "http://localhost:8080", "Access-Control-Request-Method": "POST"})
    assert ok.status == 204
    assert ok.headers["access-control-allow-origin"] == "http://localhost:8080"
    assert "POST" in ok.headers["access-control-allow-methods"]
    denied = collector.request("OPTIONS", "/v1/events?site=demo", headers={"Origin": "https://evil.example"})
    assert denied.status == 403

    marker = uuid.uuid4().hex
    gif = collector.request("GET", f"/v1/p.gif?site=demo&url=http%3A%2F%2Flocalhost%3A8080%2Fnojs&aid={marker}")
    assert gif.status == 200 and gif.headers["content-type"] == "image/gif" and gif.body.startswith(b"GIF89a")
    pixel_events = [v for k, v in consume(services.kafka_bootstrap, collector.topic, 1) if k == marker]
    assert len(pixel_events) == 1 and pixel_events[0]["page_url"] == "http://localhost:8080/nojs"


def test_text_plain_and_gzip_bodies_are_accepted(collector, services):
    marker = uuid.uuid4().hex
    body = json.dumps([{"type": "page_view", "anonymous_id": marker}] * 3).encode()
    assert collector.post(None, raw=body, content_type="text/plain;charset=UTF-8").status == 204
    assert collector.post(None, raw=gzip.compress(body), extra_headers={"Content-Encoding": "gzip"}).status == 204
    assert len([1 for k, _ in consume(services.kafka_bootstrap, collector.topic, 6) if k == marker]) == 6


def test_a_slow_client_is_cut_off_while_others_are_served(collector):
    slow = socket.create_connection(("127.0.0.1", collector.port))
    slow.sendall(b"POST /v1/events?site=demo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    started = time.monotonic()
    assert collector.post({"type": "page_view"}).status == 204  # served meanwhile
    slow.settimeout(10)
    assert slow.recv(1024) == b""  # closed by the server after read_timeout (2 s)
    assert time.monotonic() - started < 8
    slow.close()


def test_readyz_and_healthz(collector):
    assert collector.request("GET", "/healthz").status == 200
    # /readyz answers the background check's last result (once a second): ready soon after start.
    deadline = time.monotonic() + 10
    while (r := collector.request("GET", "/readyz")).status != 200:
        assert r.status == 503 and time.monotonic() < deadline, (r.status, r.body)
        time.sleep(0.05)
