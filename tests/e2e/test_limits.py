"""Limits on what comes from outside, on every ingest route: a client over its rate gets 429 with
Retry-After while another client's events are accepted; a flood of rejected input keeps only so
many raw payloads; a flood of connections beyond http.max_connections leaves the collector
serving. Clients are told apart by X-Forwarded-For from a trusted proxy (loopback clients
themselves are not limited)."""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import socket
import time

from collector import start_collector
from conftest import wait_for
from ingest_cases import consume

PROXY = ["127.0.0.1"]


def post_as(c, client: str, body: bytes = b'{"type":"page_view"}') -> tuple[int, dict[str, str]]:
    r = c.post(None, raw=body, extra_headers={"X-Forwarded-For": client}, timeout=20)
    return r.status, r.headers


def metric(c, name: str) -> float:
    m = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", c.metrics(), re.MULTILINE)
    return float(m.group(1)) if m else 0.0


def test_a_client_over_its_rate_gets_429_while_another_is_served(tmp_path):
    # One request a second, ten at once: whatever this machine's load, 40 requests in a row leave
    # the bucket dry, and the refill during them is counted.
    c = start_collector(tmp_path, os.environ["KAFKA_BOOTSTRAP"], trusted_proxies=PROXY,
                        env={"CLICKTRAIL_INGEST_CLIENT_REQUESTS_PER_S": "1", "CLICKTRAIL_INGEST_CLIENT_BURST": "10"})
    try:
        started = time.monotonic()
        answers = [post_as(c, "203.0.113.7") for _ in range(40)]
        elapsed = time.monotonic() - started
        statuses = [s for s, _ in answers]
        assert set(statuses) <= {204, 429}, statuses
        assert 10 <= statuses.count(204) <= 10 + elapsed + 1 and statuses.count(429) >= 1, (statuses, elapsed)
        limited = [h for s, h in answers if s == 429]
        assert all(int(h["retry-after"]) >= 1 for h in limited), limited
        # Another client, meanwhile: its own bucket.
        assert [post_as(c, "198.51.100.9")[0] for _ in range(5)] == [204] * 5
        # Snowplow's door counts against the same client's bucket.
        tp2 = json.dumps({"schema": "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4",
                          "data": [{"e": "pv", "aid": "demo"}]}).encode()
        tp2_answers = [c.request("POST", "/com.snowplowanalytics.snowplow/tp2", tp2,
                                 {"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.7"})
                       for _ in range(20)]
        refused = [r for r in tp2_answers if r.status == 429]
        assert refused and all(r.json()["error"] == "rate_limited" for r in refused), [r.status for r in tp2_answers]
        assert 'clicktrail_ingest_requests_rate_limited_total{limit="client"}' in c.metrics()
    finally:
        assert c.stop() == 0, c.log()


def test_a_flood_of_rejected_input_keeps_only_so_many_raw_payloads(tmp_path):
    c = start_collector(tmp_path, os.environ["KAFKA_BOOTSTRAP"], trusted_proxies=PROXY,
                        env={"CLICKTRAIL_INGEST_CLIENT_REQUESTS_PER_S": "0",
                             "CLICKTRAIL_INGEST_CLIENT_BAD_RECORDS_PER_S": "1"})  # 50 at once, then 1 a second
    try:
        started = time.monotonic()
        for i in range(200):
            assert post_as(c, "192.0.2.44", b"{not json " + str(i).encode())[0] == 400
        elapsed = time.monotonic() - started
        # Another client's rejection is still kept.
        assert post_as(c, "198.51.100.9", b"{also not json")[0] == 400
        kept_at_most = 50 + int(elapsed) + 1
        records = consume(os.environ["KAFKA_BOOTSTRAP"], c.bad_topic, kept_at_most + 1, wait_s=5)
        raws = [base64.b64decode(v["raw_base64"]) for _, v in records]
        flood = [r for r in raws if r.startswith(b"{not json ")]
        assert 50 <= len(flood) <= kept_at_most, (len(flood), elapsed)
        assert b"{also not json" in raws
        m = c.metrics()
        dropped = re.search(r'^clicktrail_ingest_bad_records_dropped_total\{limit="client"\} (\d+)$', m, re.MULTILINE)
        assert dropped and int(dropped.group(1)) == 200 - len(flood), m
        refused = re.search(r'^clicktrail_ingest_requests_refused_total\{reason="invalid_json"\} (\d+)$', m,
                            re.MULTILINE)
        assert refused and int(refused.group(1)) == 201  # every rejection still counted
    finally:
        assert c.stop() == 0, c.log()


def test_a_connection_flood_beyond_the_cap_leaves_the_collector_serving(tmp_path):
    c = start_collector(tmp_path, os.environ["KAFKA_BOOTSTRAP"], env={"CLICKTRAIL_HTTP_MAX_CONNECTIONS": "20"})
    kept = http.client.HTTPConnection("127.0.0.1", c.port, timeout=10)  # open before the flood

    def over_kept(method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        kept.request(method, path, body, {"Content-Type": "application/json", "Origin": "http://localhost:8080"})
        r = kept.getresponse()
        return r.status, r.read()

    flood: list[socket.socket] = []
    try:
        assert over_kept("GET", "/healthz") == (200, b"ok\n")
        for _ in range(100):
            flood.append(socket.create_connection(("127.0.0.1", c.port), timeout=5))

        def refused() -> int:
            m = re.search(rb"^clicktrail_http_connections_refused_total (\d+)$", over_kept("GET", "/metrics")[1],
                          re.MULTILINE)
            return int(m.group(1)) if m else 0

        # The kept connection and 19 of the flood fill the cap; the other 81 are closed at once.
        wait_for(lambda: refused() >= 100 - 19, 20, "the connections beyond the cap were not refused")
        # The connection open before goes on serving.
        assert over_kept("POST", "/v1/events?site=demo", json.dumps({"type": "page_view"}).encode())[0] == 204
    finally:
        for s in flood:
            s.close()
        kept.close()
    # With the flood gone, new connections are served again.
    def served() -> bool:
        try:
            return c.request("GET", "/healthz", timeout=2).status == 200
        except OSError:  # closed at once while the server has yet to see the flood go
            return False

    wait_for(served, 10, "new connections were not served again")
    assert c.post({"type": "page_view"}).status == 204
    assert c.stop() == 0, c.log()
