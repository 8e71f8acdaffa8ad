"""Snowplow's node tracker and Segment's analytics-node, unchanged (tests/compat), against
`clicktrail collect` and the real broker, and against `clicktrail run` read back by DuckDB: every
event lands exactly once with the fields docs/compat-snowplow.md and docs/compat-segment.md map it
to; a retried request gives the same event ids; one request's events of two sites; the sp network
user id cookie and SP-Anonymous."""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from email.utils import parsedate_to_datetime

import pytest

from collector import start_collector
from compat_cases import (NODE_NUID, SEGMENT_NS, SEGMENT_SEND, SHOP_ORIGIN, SITES_TOML, SNOWPLOW_NS,
                          SNOWPLOW_SEND, TP2_PATH, bad_records_with, check_node_event, derived_event_id,
                          events_with_ids, expected_segment_node_event, expected_snowplow_node_event, node_send,
                          now_ms, segment_batch, segment_message, segment_post, tp2_body, tp2_event, tp2_post)
from conftest import wait_for
from run_harness import new_run

COOKIE_TOML = '\n[snowplow]\ncookie_domains = ["shop.example"]\ncookie_fallback_domain = "fallback.example"\n'
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def collector(services, tmp_path_factory):
    c = start_collector(tmp_path_factory.mktemp("compat"), services.kafka_bootstrap,
                        more_toml=SITES_TOML + COOKIE_TOML)
    yield c
    assert c.stop() == 0, c.log()


def exactly_once(events: list[dict], ids) -> dict[str, dict]:
    counts = Counter(e["event_id"] for e in events)
    twice = [i for i, n in counts.items() if n > 1]
    assert counts == Counter(set(ids)), f"missing {set(ids) - set(counts)}, more than once {twice}"
    return {e["event_id"]: e for e in events}


# --- the libraries through `collect` ------------------------------------------------------------

def test_snowplow_node_tracker_events_are_in_the_topic_once_with_their_mapped_fields(collector, services):
    started = now_ms()
    sent = node_send(SNOWPLOW_SEND, collector.url, "shop-app", 30, collector.proc)
    ended = now_ms()
    assert Counter(x["e"] for x in sent) == {"pv": 10, "se": 10, "ue": 10}
    stored = exactly_once(events_with_ids(services.kafka_bootstrap, collector.topic, [x["eid"] for x in sent]),
                          [x["eid"] for x in sent])
    for line in sent:
        check_node_event(stored[line["eid"]], expected_snowplow_node_event(line, "shop", "shop-app"), started, ended)
    assert collector.proc.poll() is None, collector.log()[-3000:]


def test_segment_analytics_node_messages_are_in_the_topic_once_with_their_mapped_fields(collector, services):
    started = now_ms()
    sent = node_send(SEGMENT_SEND, collector.url, "shop-write-key", 30, collector.proc)
    ended = now_ms()
    assert Counter(x["type"] for x in sent) == {k: 5 for k in ("track", "identify", "page", "screen", "group", "alias")}
    ids = [str(uuid.uuid5(SEGMENT_NS, f"shop\n{x['messageId']}")) for x in sent]
    stored = exactly_once(events_with_ids(services.kafka_bootstrap, collector.topic, ids), ids)
    for line in sent:
        expected, segment = expected_segment_node_event(line, "shop")
        expected["ip"] = "127.0.0.0"  # no context.ip: the peer's address, anonymised
        check_node_event(stored[expected["event_id"]], expected, started, ended, segment)
    assert collector.proc.poll() is None, collector.log()[-3000:]


def test_segment_context_ip_and_user_agent_are_the_end_users(collector, services):
    # What a backend passes to analytics-node for the browser it serves.
    page = {"url": "https://shop.example/cart?x=1", "path": "/cart"}
    message = segment_message(context={"ip": "198.51.100.23", "userAgent": "Mozilla/5.0 (end user)",
                                       "locale": "de-DE", "page": page})
    r = segment_post(collector, "/v1/batch", segment_batch([message]))
    assert (r.status, r.json()) == (200, {"success": True})
    [e] = events_with_ids(services.kafka_bootstrap, collector.topic, [message["messageId"]])
    assert (e["ip"], e["ua"], e["locale"], e["page_url"], e["page_path"]) == (
        "198.51.100.0", "Mozilla/5.0 (end user)", "de-DE", "https://shop.example/cart?x=1", "/cart")


# --- retries ------------------------------------------------------------------------------------

def test_a_segment_retry_gives_the_same_event_ids(collector, services):
    tag = uuid.uuid4().hex
    message_ids = [f"node-next-{tag}-{i}" for i in range(3)] + [str(uuid.uuid4()).upper() for _ in range(2)]
    messages = [segment_message(message_id=m) for m in message_ids]
    first = segment_post(collector, "/v1/batch", segment_batch(messages, "2030-01-01T00:00:01.000Z"))
    retry = segment_post(collector, "/v1/batch", segment_batch(messages, "2030-01-01T00:00:09.000Z"),
                         **{"X-Retry-Count": "1"})
    assert [(r.status, r.json()) for r in (first, retry)] == [(200, {"success": True})] * 2
    ids = [derived_event_id(SEGMENT_NS, "shop", m) for m in message_ids]
    assert ids[:3] == [str(uuid.uuid5(SEGMENT_NS, f"shop\n{m}")) for m in message_ids[:3]]
    assert ids[3:] == [m.lower() for m in message_ids[3:]]
    stored = events_with_ids(services.kafka_bootstrap, collector.topic, ids, copies=2)
    assert Counter(e["event_id"] for e in stored) == {i: 2 for i in ids}  # the sink's dedupe key
    for i in ids:
        assert sorted(e["sent_ts"] for e in stored if e["event_id"] == i) == [1893456001000, 1893456009000]


def test_a_segment_retry_is_counted_in_metrics(collector):
    # docs/compat-segment.md, Answers: X-Retry-Count is counted in clicktrail_ingest_retries_total{protocol}.
    r = segment_post(collector, "/v1/batch", segment_batch([segment_message()]), **{"X-Retry-Count": "1"})
    assert r.status == 200
    assert re.search(r'^clicktrail_ingest_retries_total\{protocol="segment"\} [1-9]', collector.metrics(), re.M), \
        "no clicktrail_ingest_retries_total{protocol=\"segment\"} in /metrics"


def test_a_tp2_retry_gives_the_same_event_ids(collector, services):
    eids = [str(uuid.uuid4()), str(uuid.uuid4()).upper(), f"sp-retry-{uuid.uuid4().hex}"]
    events = [tp2_event("shop-app", eid=eid, dtm="1893456000000") for eid in eids]
    for stm in (1893456001000, 1893456009000):  # the tracker writes a new stm into each attempt
        r = tp2_post(collector, tp2_body(events, stm=stm))
        assert (r.status, r.body) == (200, b"ok")
    ids = [derived_event_id(SNOWPLOW_NS, "shop", eid) for eid in eids]
    assert ids == [eids[0], eids[1].lower(), str(uuid.uuid5(SNOWPLOW_NS, f"shop\n{eids[2]}"))]
    stored = events_with_ids(services.kafka_bootstrap, collector.topic, ids, copies=2)
    assert Counter(e["event_id"] for e in stored) == {i: 2 for i in ids}
    for i in ids:
        assert sorted(e["sent_ts"] for e in stored if e["event_id"] == i) == [1893456001000, 1893456009000]
    assert [e["props"]["snowplow"]["eid"] for e in stored if e["event_id"] == ids[2]] == [eids[2]] * 2


# --- one request, two sites ---------------------------------------------------------------------

def test_tp2_events_of_another_site_than_the_first_events_are_rejected(collector, services):
    marker = f"marker-{uuid.uuid4().hex}"
    events = [tp2_event("shop-app"), tp2_event("shop-app"), tp2_event("demo", url=f"https://x/{marker}"),
              tp2_event("shop-app")]
    r = tp2_post(collector, tp2_body(events))
    assert (r.status, r.body) == (200, b"ok")
    [bad] = bad_records_with(services.kafka_bootstrap, collector.bad_topic, marker)
    assert (bad["reason"], bad["site"], bad["index"]) == ("site_mismatch", "shop", 2)
    kept = events_with_ids(services.kafka_bootstrap, collector.topic, [e["eid"] for e in events])
    assert sorted((e["event_id"], e["site"]) for e in kept) == sorted(
        (e["eid"], "shop") for e in events if e["aid"] == "shop-app")


def test_tp2_events_of_two_app_ids_of_one_site_are_all_that_sites(collector, services):
    # docs/compat-snowplow.md, Answers: only the events whose aid names another *site* than the
    # first event's are rejected; shop-app and shop-web are both the shop's.
    marker = f"marker-{uuid.uuid4().hex}"
    events = [tp2_event("shop-app"), tp2_event("shop-web", url=f"https://shop.example/{marker}")]
    assert tp2_post(collector, tp2_body(events)).status == 200
    stored = events_with_ids(services.kafka_bootstrap, collector.topic, [e["eid"] for e in events], wait_s=10)
    rejected = [(b["reason"], b["detail"]) for b in bad_records_with(services.kafka_bootstrap, collector.bad_topic,
                                                                      marker, wait_s=2)]
    assert sorted((e["props"]["snowplow"]["aid"], e["site"]) for e in stored) == [
        ("shop-app", "shop"), ("shop-web", "shop")], f"rejected: {rejected}"


# --- the network user id cookie and SP-Anonymous ------------------------------------------------

def set_cookie(r) -> dict[str, str]:
    """The answer's sp cookie: its value under "sp", its attributes by lower-cased name."""
    header = r.headers.get("set-cookie")
    assert header, r.headers
    parts = [p.strip() for p in header.split(";")]
    name, _, value = parts[0].partition("=")
    assert name == "sp", header
    attrs = {"sp": value}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        attrs[k.lower()] = v
    return attrs


def test_the_sp_cookie_is_the_network_id_and_is_renewed(collector, services):
    known = str(uuid.uuid4())
    with_cookie = tp2_event("shop-app")
    r = tp2_post(collector, tp2_body([with_cookie]), origin=SHOP_ORIGIN, Cookie=f"other=1; sp={known}")
    assert (r.status, r.headers["access-control-allow-origin"], r.headers["access-control-allow-credentials"]) == (
        200, SHOP_ORIGIN, "true")
    cookie = set_cookie(r)
    assert (cookie["sp"], cookie["path"], cookie["domain"]) == (known, "/", "shop.example")
    assert {"secure", "httponly"} <= cookie.keys() and cookie["samesite"] == "None"
    assert abs(parsedate_to_datetime(cookie["expires"]).timestamp() - (time.time() + 365 * 86400)) < 120

    fresh = tp2_event("shop-app")  # no cookie, no Origin (a server): a new id, the fallback domain
    cookie = set_cookie(tp2_post(collector, tp2_body([fresh])))
    assert UUID4.fullmatch(cookie["sp"]) and cookie["domain"] == "fallback.example"
    nuid = tp2_event("shop-app", nuid=NODE_NUID)  # nuid wins over the cookie
    assert tp2_post(collector, tp2_body([nuid]), Cookie=f"sp={known}").status == 200
    stored = {e["event_id"]: e for e in events_with_ids(
        services.kafka_bootstrap, collector.topic, [with_cookie["eid"], fresh["eid"], nuid["eid"]])}
    assert stored[with_cookie["eid"]]["network_id"] == known
    assert stored[fresh["eid"]]["network_id"] == cookie["sp"]
    assert stored[nuid["eid"]]["network_id"] == NODE_NUID


def test_sp_anonymous_reads_and_sets_no_cookie_and_stores_no_address(collector, services):
    event = tp2_event("shop-app", ip="203.0.113.7", ua="Mozilla/5.0 (anonymous)")
    r = tp2_post(collector, tp2_body([event]), origin=SHOP_ORIGIN, Cookie=f"sp={uuid.uuid4()}",
                 **{"SP-Anonymous": "*"})
    assert (r.status, r.body) == (200, b"ok") and "set-cookie" not in r.headers
    [e] = events_with_ids(services.kafka_bootstrap, collector.topic, [event["eid"]])
    assert "network_id" not in e and "ip" not in e and e["ua"] == "Mozilla/5.0 (anonymous)", e


def test_snowplow_preflight_and_pixel(collector, services):
    ok = collector.request("OPTIONS", TP2_PATH, headers={"Origin": SHOP_ORIGIN,
                                                         "Access-Control-Request-Method": "POST"})
    assert (ok.status, ok.headers["access-control-allow-origin"], ok.headers["access-control-max-age"]) == (
        200, SHOP_ORIGIN, "3600")
    assert "SP-Anonymous" in ok.headers["access-control-allow-headers"]
    # (an origin no site allows gets 403; the harness's site "open" allows every origin)
    eid = str(uuid.uuid4())
    gif = collector.request("GET", f"/i?e=pv&eid={eid}&aid=shop-app&url=https%3A%2F%2Fshop.example%2Fa%3Fb%3D1"
                                   f"&nuid={NODE_NUID}")
    assert (gif.status, gif.headers["content-type"], gif.body[:6]) == (200, "image/gif", b"GIF89a")
    [e] = events_with_ids(services.kafka_bootstrap, collector.topic, [eid])
    assert (e["type"], e["site"], e["page_url"], e["network_id"]) == (
        "page_view", "shop", "https://shop.example/a?b=1", NODE_NUID)


# --- the libraries through `run`, read back from Parquet ----------------------------------------

def test_run_stores_each_library_event_once_in_parquet(tmp_path):
    pytest.importorskip("duckdb")
    from test_browser import stored as stored_rows

    config = tmp_path / "compat.toml"
    config.write_text('[[sites]]\nkey = "demo"\norigins = ["*"]\nsegment_write_keys = ["demo-write-key"]\n')
    run = new_run(tmp_path, config=config).start()
    try:
        started = now_ms()
        snowplow = node_send(SNOWPLOW_SEND, run.url, "demo", 30, run.proc)
        segment = node_send(SEGMENT_SEND, run.url, "demo-write-key", 30, run.proc)
        ended = now_ms()
        segment_ids = [str(uuid.uuid5(SEGMENT_NS, f"demo\n{x['messageId']}")) for x in segment]
        ids = [x["eid"] for x in snowplow] + segment_ids
        wait_for(lambda: Counter(e["event_id"] for e in stored_rows(run.data)) >= Counter(ids), 30,
                 "the libraries' events did not reach Parquet")
        assert run.proc.poll() is None, run.log.read_text()[-3000:]
    finally:
        assert run.stop() == 0, run.log.read_text()[-3000:]
    rows = exactly_once(stored_rows(run.data), ids)
    for line in snowplow:
        check_node_event(rows[line["eid"]], expected_snowplow_node_event(line, "demo", "demo"), started, ended)
    for line in segment:
        expected, members = expected_segment_node_event(line, "demo")
        check_node_event(rows[expected["event_id"]], expected, started, ended, members)
