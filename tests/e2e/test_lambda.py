"""`clicktrail lambda` under AWS's Runtime Interface Emulator, from the file tree the container
image holds, against the real broker: API Gateway's payload 1.0 and 2.0 events get the very
answers the HTTP collector gives to the same requests, accepted events are in the topic exactly
once, and a broker outage is answered 503 before the function's timeout."""

from __future__ import annotations

import gzip
import json
import os
import time
import uuid

import pytest

from collector import binary as collector_binary
from collector import start_collector
from compat_cases import (SEGMENT_BAD_INPUTS, SEGMENT_NS, SHOP_ORIGIN, SITES_TOML, SNOWPLOW_BAD_INPUTS,
                          bad_records_with, events_with_ids, segment_batch, segment_message, segment_post,
                          tp2_body, tp2_event, tp2_post)
from conftest import wait_for
from ingest_cases import BAD_EVENTS, BAD_INPUTS, consume
from lambda_harness import SOURCE_IP, Function, assemble
from sink_harness import BASE_TS, canonical_event, create_topic, event_ids, produce_events, read_s3, sink_config
from test_collector_faults import needs_cluster, quorum_lost

PAYLOADS = ["1.0", "2.0"]
SITES = "demo=http://localhost:8080; open=*"  # as the collector harness configures them
# The headers a browser acts on; the rest (Date, Content-Length) belong to each transport.
COMPARED_HEADERS = ("content-type", "access-control-allow-origin", "access-control-allow-methods",
                    "access-control-allow-headers", "access-control-max-age", "access-control-expose-headers",
                    "vary", "retry-after", "cache-control")


@pytest.fixture(scope="session")
def bootstrap_path(tmp_path_factory):
    binary = os.environ.get("CLICKTRAIL_BIN") or collector_binary()
    return assemble(binary, tmp_path_factory.mktemp("lambda-tree") / "root")


def start_function(bootstrap_path, tmp, brokers: str, env: dict[str, str] | None = None,
                   timeout_s: int = 30, sites: str | None = SITES) -> tuple[Function, str, str]:
    """`sites` None: the sites of the clicktrail.toml baked into the tree."""
    suffix = uuid.uuid4().hex[:10]
    topic, bad_topic = f"e2e-lambda-{suffix}", f"e2e-lambda-bad-{suffix}"
    base = {"CLICKTRAIL_KAFKA_BROKERS": brokers, "CLICKTRAIL_KAFKA_TOPIC": topic,
            "CLICKTRAIL_KAFKA_BAD_TOPIC": bad_topic, "CLICKTRAIL_INGEST_PRODUCE_TIMEOUT": "3s",
            **({"CLICKTRAIL_SITES": sites} if sites is not None else {})}
    # Created up front: auto-creation on the first produce can take longer than a short deadline.
    create_topic(brokers, topic)
    create_topic(brokers, bad_topic)
    fn = Function([str(bootstrap_path)], bootstrap_path.parent.parent / "task", {**base, **(env or {})},
                  tmp / f"rie-{suffix}.log", timeout_s)
    return fn, topic, bad_topic


@pytest.fixture(scope="module")
def function(bootstrap_path, services, tmp_path_factory):
    fn, topic, bad_topic = start_function(bootstrap_path, tmp_path_factory.mktemp("lambda"), services.kafka_bootstrap)
    fn.topic, fn.bad_topic = topic, bad_topic
    yield fn
    fn.stop()


@pytest.fixture(scope="module")
def collector(services, tmp_path_factory):
    c = start_collector(tmp_path_factory.mktemp("collector"), services.kafka_bootstrap)
    yield c
    assert c.stop() == 0, c.log()


def same_answer(http, lam) -> None:
    assert (lam.status, lam.body) == (http.status, http.body)
    for name in COMPARED_HEADERS:
        assert lam.headers.get(name) == http.headers.get(name), name


# Every request the collector's own tests make, beyond its bad-input list, as (name, request()).
def good_and_partial_requests():
    return [
        ("one event", lambda c: c.post({"type": "page_view"})),
        ("a batch with a bad event", lambda c: c.post([{"type": "page_view"}, {"type": "click", "x": "left"}])),
        ("text/plain", lambda c: c.post(None, raw=b'[{"type":"page_view"}]', content_type="text/plain;charset=UTF-8")),
        ("gzip", lambda c: c.post(None, raw=gzip.compress(b'{"type":"page_view"}'),
                                  extra_headers={"Content-Encoding": "gzip"})),
        ("site in the header", lambda c: c.post({"type": "page_view"}, site=None,
                                                extra_headers={"X-Clicktrail-Site": "demo"})),
        ("any-origin site", lambda c: c.post({"type": "page_view"}, site="open", origin="https://elsewhere.example")),
        ("no site", lambda c: c.post({"type": "page_view"}, site=None)),
        ("preflight", lambda c: c.request("OPTIONS", "/v1/events?site=demo", headers={
            "Origin": "http://localhost:8080", "Access-Control-Request-Method": "POST"})),
        ("preflight, origin refused", lambda c: c.request("OPTIONS", "/v1/events?site=demo",
                                                          headers={"Origin": "https://evil.example"})),
        ("pixel", lambda c: c.request("GET", "/v1/p.gif?site=demo&url=http%3A%2F%2Flocalhost%3A8080%2Fnojs")),
        ("pixel, unknown parameter", lambda c: c.request("GET", "/v1/p.gif?site=demo&bogus=1")),
        ("no such path", lambda c: c.request("POST", "/v2/events", b"{}", {"Content-Type": "application/json"})),
        ("wrong method", lambda c: c.request("GET", "/v1/events")),
    ] + [(f"bad event: {name}", lambda c, bad=bad: c.post([{"type": "page_view"}, bad]))
         for name, bad, _ in BAD_EVENTS]


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("name,kwargs,status,code,in_bad_topic", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_each_bad_input_gets_the_collectors_answer(function, collector, payload, name, kwargs, status, code,
                                                    in_bad_topic):
    events = kwargs.get("events")
    rest = {k: v for k, v in kwargs.items() if k != "events"}
    http = collector.post(events, **rest)
    lam = function.gateway(payload).post(events, **rest)
    assert lam.status == status and lam.json()["error"] == code, lam.body
    same_answer(http, lam)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("name,send", good_and_partial_requests(), ids=[c[0] for c in good_and_partial_requests()])
def test_every_other_request_gets_the_collectors_answer(function, collector, payload, name, send):
    same_answer(send(collector), send(function.gateway(payload)))


def test_base64_bodies_are_decoded(function):
    marker = uuid.uuid4().hex
    for payload in PAYLOADS:
        gw = function.gateway(payload)
        gw.always_base64 = True
        assert gw.post({"type": "page_view", "anonymous_id": marker}).status == 204
    assert len([1 for k, _ in consume(os.environ["KAFKA_BOOTSTRAP"], function.topic, 2) if k == marker]) == 2


def test_accepted_events_are_in_the_topic_exactly_once_with_api_gateways_client_address(function, services):
    ids = [str(uuid.uuid4()) for _ in range(20)]
    for i, event_id in enumerate(ids):
        r = function.gateway(PAYLOADS[i % 2]).post([{"type": "page_view", "event_id": event_id,
                                                     "anonymous_id": "lambda-visitor"}])
        assert r.status == 204, r.body
    records = [v for k, v in consume(services.kafka_bootstrap, function.topic, len(ids), wait_s=30)
               if k == "lambda-visitor"]
    assert sorted(v["event_id"] for v in records) == sorted(ids)  # each exactly once
    first = records[0]
    assert first["site"] == "demo" and first["ua"] == "clicktrail-e2e/1"
    assert first["ip"] == SOURCE_IP.rsplit(".", 1)[0] + ".0"  # anonymized, from requestContext


def test_rejected_input_reaches_the_bad_topic(function, services):
    r = function.gateway("2.0").post(None, raw=b'{"type": "page_view",')
    assert r.status == 400
    reasons = [v["reason"] for _, v in consume(services.kafka_bootstrap, function.bad_topic, 1)]
    assert "invalid_json" in reasons


def test_an_event_that_is_not_from_api_gateway_is_an_invocation_error(function):
    _, raw = function.invoke({"detail-type": "Scheduled Event", "source": "aws.events"})
    answer = json.loads(raw)
    assert answer["errorType"] == "Clicktrail.NotAnApiGatewayEvent", raw
    assert "API Gateway" in answer["errorMessage"]
    assert function.gateway("2.0").post({"type": "page_view"}).status == 204  # and it goes on


def test_a_configuration_error_is_reported_as_the_init_error(bootstrap_path, services, tmp_path):
    fn, _, _ = start_function(bootstrap_path, tmp_path, services.kafka_bootstrap, env={"CLICKTRAIL_SITES": ""})
    try:
        _, raw = fn.invoke(b"{}")
        answer = json.loads(raw)
        assert answer["errorType"] == "Clicktrail.InvalidConfiguration", raw
        assert "CLICKTRAIL_SITES" in answer["errorMessage"]
    finally:
        fn.stop()


def test_the_functions_tree_also_runs_the_sink_to_s3(bootstrap_path, services, tmp_path, monkeypatch):
    """deploy/terraform's Kafka host runs `clicktrail sink` from this same tree: S3 loads libcurl
    on first use, from the tree's own lib/."""
    task = bootstrap_path.parent.parent / "task"
    assert (task / "lib" / "libcurl.so.4").exists()
    wrapper = tmp_path / "clicktrail"
    wrapper.write_text(f'#!/bin/sh\nexec "{task}/lib/ld-linux-x86-64.so.2" --library-path "{task}/lib" '
                       f'"{task}/bin/clicktrail" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("CLICKTRAIL_BIN", str(wrapper))
    topic, prefix = f"e2e-tree-{uuid.uuid4().hex[:8]}", f"tree-{uuid.uuid4().hex[:8]}"
    events = [canonical_event(i, BASE_TS + i) for i in range(3)]
    produce_events(services.kafka_bootstrap, topic, events)
    sink_config(tmp_path, services.kafka_bootstrap, topic, f"s3://{services.s3_bucket}/{prefix}",
                s3=services).until_caught_up()
    assert sorted(event_ids(read_s3(services, prefix))) == sorted(e["event_id"] for e in events)


@needs_cluster
def test_broker_down_is_answered_503_before_the_timeout_and_the_next_invocation_after_it_returns_succeeds(
        bootstrap_path, tmp_path):
    timeout_s = 3
    # produce_timeout is longer than the function's timeout: the invocation's deadline must win.
    fn, _, _ = start_function(bootstrap_path, tmp_path, os.environ["KAFKA_CLUSTER_BOOTSTRAP"],
                              env={"CLICKTRAIL_INGEST_PRODUCE_TIMEOUT": "30s"}, timeout_s=timeout_s)
    gw = fn.gateway("2.0")
    try:
        wait_for(lambda: gw.post({"type": "page_view"}).status == 204, 60, "the function never produced")
        with quorum_lost():
            started = time.monotonic()
            r = gw.post({"type": "page_view"})
            elapsed = time.monotonic() - started
            assert r.status == 503, r.body
            assert r.headers["retry-after"] and r.json()["error"] == "not_durable"
            assert elapsed < timeout_s, f"answered after {elapsed:.1f} s"
        wait_for(lambda: gw.post({"type": "page_view"}).status == 204, 60,
                 "the function did not succeed within 60 s of the brokers' return", every=0.5)
    finally:
        fn.stop()


# --- Snowplow's and Segment's routes (docs/compat-snowplow.md, docs/compat-segment.md) -----------

# The collector harness's sites and the compat ones, baked into the function's tree as its
# clicktrail.toml: the environment's CLICKTRAIL_SITES cannot list app ids or write keys.
COMPAT_TOML = f"""[[sites]]
key = "demo"
origins = ["http://localhost:8080"]

[[sites]]
key = "open"
origins = ["*"]
{SITES_TOML}
[snowplow]
cookie_domains = ["shop.example"]
"""


@pytest.fixture(scope="module")
def compat_function(services, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lambda-compat")
    (tmp / "clicktrail.toml").write_text(COMPAT_TOML)
    binary = os.environ.get("CLICKTRAIL_BIN") or collector_binary()
    bootstrap = assemble(binary, tmp / "root", tmp / "clicktrail.toml")
    fn, topic, bad_topic = start_function(bootstrap, tmp, services.kafka_bootstrap, sites=None)
    fn.topic, fn.bad_topic = topic, bad_topic
    yield fn
    fn.stop()


@pytest.fixture(scope="module")
def compat_collector(services, tmp_path_factory):
    c = start_collector(tmp_path_factory.mktemp("collector-compat"), services.kafka_bootstrap,
                        more_toml=SITES_TOML + '\n[snowplow]\ncookie_domains = ["shop.example"]\n')
    yield c
    assert c.stop() == 0, c.log()


def test_a_tp2_post_takes_its_network_id_from_api_gateways_cookies_and_sets_it_in_cookies(compat_function, services):
    gw = compat_function.gateway("2.0")
    known = str(uuid.uuid4())
    with_cookie, without = tp2_event("shop-app"), tp2_event("shop-app")
    r = tp2_post(gw, tp2_body([with_cookie]), origin=SHOP_ORIGIN, Cookie=f"other=1; sp={known}")
    assert (r.status, r.body, r.headers["access-control-allow-origin"]) == (200, b"ok", SHOP_ORIGIN)
    assert "set-cookie" not in r.headers  # payload 2.0 answers cookies in their own array
    [cookie] = r.cookies
    assert cookie.startswith(f"sp={known}; Expires=") and cookie.endswith(
        "; Path=/; Domain=shop.example; Secure; HttpOnly; SameSite=None"), cookie
    fresh = tp2_post(gw, tp2_body([without]))
    [fresh_cookie] = fresh.cookies
    fresh_id = fresh_cookie.split(";")[0].removeprefix("sp=")
    assert fresh.status == 200 and fresh_id != known and uuid.UUID(fresh_id).version == 4
    stored = {e["event_id"]: e for e in events_with_ids(services.kafka_bootstrap, compat_function.topic,
                                                         [with_cookie["eid"], without["eid"]])}
    assert stored[with_cookie["eid"]]["network_id"] == known
    assert stored[without["eid"]]["network_id"] == fresh_id
    assert {e["ip"] for e in stored.values()} == {SOURCE_IP.rsplit(".", 1)[0] + ".0"}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_segment_batch_with_basic_authorization_is_accepted(compat_function, services, payload):
    messages = [segment_message(), segment_message("identify", userId="user-42"),
                segment_message("page", properties={"url": "https://shop.example/p"})]
    r = segment_post(compat_function.gateway(payload), "/v1/batch", segment_batch(messages))
    assert (r.status, r.json()) == (200, {"success": True})
    ids = [m["messageId"] for m in messages]  # UUIDs: kept as the event ids
    stored = events_with_ids(services.kafka_bootstrap, compat_function.topic, ids)
    assert sorted((e["event_id"], e["type"], e["site"]) for e in stored) == sorted(
        zip(ids, ["order_completed", "identify", "page_view"], ["shop"] * 3))
    named = segment_message(message_id=f"node-next-{uuid.uuid4().hex}")
    assert segment_post(compat_function.gateway(payload), "/v1/batch", segment_batch([named])).status == 200
    [e] = events_with_ids(services.kafka_bootstrap, compat_function.topic,
                          [str(uuid.uuid5(SEGMENT_NS, "shop\n" + named["messageId"]))])
    assert e["props"]["segment"]["messageId"] == named["messageId"]


COMPAT_BAD_INPUTS = [("snowplow", c) for c in SNOWPLOW_BAD_INPUTS] + [("segment", c) for c in SEGMENT_BAD_INPUTS]


@pytest.mark.parametrize("protocol,case", COMPAT_BAD_INPUTS, ids=[f"{p}: {c.name}" for p, c in COMPAT_BAD_INPUTS])
def test_each_compat_bad_input_gets_the_collectors_answer(compat_function, compat_collector, services, protocol,
                                                          case):
    marker = f"marker-{uuid.uuid4().hex}"
    http = case.send(compat_collector, marker)
    lam = case.send(compat_function.gateway("2.0"), marker)
    assert lam.status == case.status, lam.body[:300]
    if case.reason:
        records = bad_records_with(services.kafka_bootstrap, compat_function.bad_topic, marker)
        assert [(b["reason"], b["site"]) for b in records] == [(case.reason, case.site)]
    same_answer(http, lam)
