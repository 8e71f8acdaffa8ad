"""Snowplow's and Segment's bad inputs against `clicktrail collect` and the real broker: each gets
the answer its protocol's peer gives (docs/compat-snowplow.md and docs/compat-segment.md,
"Answers") and, where the docs say so, a bad-topic record with its reason, site and raw input."""

from __future__ import annotations

import json
import uuid

import pytest

from collector import start_collector
from compat_cases import (SEGMENT_BAD_INPUTS, SHOP_ORIGIN, SITES_TOML, SNOWPLOW_BAD_INPUTS, BadInput,
                          bad_records_with, events_with_ids, segment_batch, segment_message, segment_post,
                          tp2_body, tp2_event, tp2_post)


@pytest.fixture(scope="module")
def collector(services, tmp_path_factory):
    c = start_collector(tmp_path_factory.mktemp("compat-bad"), services.kafka_bootstrap, more_toml=SITES_TOML)
    yield c
    assert c.stop() == 0, c.log()


def check_bad_input(collector, bootstrap: str, case: BadInput, protocol: str) -> None:
    marker = f"marker-{uuid.uuid4().hex}"
    r = case.send(collector, marker)
    assert r.status == case.status, (r.status, r.body[:500])
    assert collector.proc.poll() is None, collector.log()[-3000:]
    if r.status == 200 and protocol == "snowplow":
        assert r.body == b"ok" and r.headers["content-type"].startswith("text/plain")
    elif r.status >= 400:
        answer = r.json()
        assert answer["error"] == (case.reason or {404: "not_found", 405: "method_not_allowed"}[r.status])
        assert answer["message"]
        if protocol == "segment" and case.reason:
            assert answer["success"] is False
    if case.reason is None or not case.http_records:
        return
    records = bad_records_with(bootstrap, collector.bad_topic, marker)
    assert [(b["reason"], b["site"], b.get("index")) for b in records] == [(case.reason, case.site, case.index)], \
        [{k: v for k, v in b.items() if k not in ("raw", "raw_base64")} for b in records]
    assert records[0]["detail"]


@pytest.mark.parametrize("case", SNOWPLOW_BAD_INPUTS, ids=[c.name for c in SNOWPLOW_BAD_INPUTS])
def test_snowplow_bad_input_gets_snowplows_answer_and_a_bad_record(collector, services, case):
    check_bad_input(collector, services.kafka_bootstrap, case, "snowplow")


@pytest.mark.parametrize("case", SEGMENT_BAD_INPUTS, ids=[c.name for c in SEGMENT_BAD_INPUTS])
def test_segment_bad_input_gets_segments_answer_and_a_bad_record(collector, services, case):
    check_bad_input(collector, services.kafka_bootstrap, case, "segment")


def test_a_snowplow_event_without_e_is_rejected_alone_with_its_own_json(collector, services):
    marker = f"marker-{uuid.uuid4().hex}"
    good, bad = tp2_event("shop-app"), tp2_event("shop-app", e=None, url=f"https://shop.example/{marker}")
    body = tp2_body([good, bad])
    assert tp2_post(collector, body).status == 200
    [record] = bad_records_with(services.kafka_bootstrap, collector.bad_topic, marker)
    assert record["reason"] == "missing_field" and record["index"] == 1
    assert json.loads(record["raw"]) == json.loads(body)["data"][1]  # the event's object, as sent
    assert [e["site"] for e in events_with_ids(services.kafka_bootstrap, collector.topic, [good["eid"]])] == ["shop"]


def test_a_segment_batch_keeps_its_good_messages_and_rejects_the_bad_ones(collector, services):
    marker = f"marker-{uuid.uuid4().hex}"
    good = segment_message(properties={"k": 1})
    messages = [good,
                segment_message(message_id=f"{marker}-no-event", event=None),
                segment_message("identify", f"{marker}-no-user", anonymousId=None),
                segment_message(message_id=f"{marker}-big", properties={"blob": "x" * (40 << 10)}),
                segment_message("launch", f"{marker}-type"),
                segment_message(message_id=f"{marker}-key", writeKey="blog-write-key")]
    r = segment_post(collector, "/v1/batch", segment_batch(messages), origin=SHOP_ORIGIN)
    assert (r.status, r.json()) == (200, {"success": True})
    assert r.headers["access-control-allow-origin"] == SHOP_ORIGIN
    assert r.headers["access-control-allow-credentials"] == "true"
    records = bad_records_with(services.kafka_bootstrap, collector.bad_topic, marker)
    for _ in range(50):  # the answer waited for every bad record: all are there, read until seen
        if len(records) >= 5:
            break
        records = bad_records_with(services.kafka_bootstrap, collector.bad_topic, marker)
    assert sorted((b["index"], b["reason"], b["site"]) for b in records) == [
        (1, "missing_field", "shop"), (2, "missing_field", "shop"), (3, "event_too_large", "shop"),
        (4, "invalid_type", "shop"), (5, "site_mismatch", "shop")]
    stored = events_with_ids(services.kafka_bootstrap, collector.topic, [good["messageId"]])
    assert [(e["type"], e["props"]["k"]) for e in stored] == [("order_completed", 1)]


def test_a_segment_message_over_32_kib_with_its_key_in_the_body_is_still_too_large(collector, services):
    # analytics.js sends its write key as HTTP Basic and in the body; a server-side sender may
    # send it only in the body (docs/compat-segment.md, "Write key → site").
    marker = f"marker-{uuid.uuid4().hex}"
    message = segment_message(message_id=marker, writeKey="shop-write-key", properties={"blob": "x" * (40 << 10)})
    r = segment_post(collector, "/v1/track", json.dumps(message).encode(), write_key=None)
    assert (r.status, r.json()["error"]) == (400, "event_too_large"), r.body[:300]
    [record] = bad_records_with(services.kafka_bootstrap, collector.bad_topic, marker)
    # The oversized message is not parsed, so its key, and the site, stay unknown.
    assert (record["reason"], record["site"]) == ("event_too_large", "")
