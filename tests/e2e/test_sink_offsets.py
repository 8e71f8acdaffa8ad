"""The sink when a partition's offsets go back — a topic deleted and created again under the same
name — against the real broker and the real S3 server: it stops with the fix and writes nothing,
and once told to go on (--accept-offset-reset) it writes the new records under new keys without
touching a single stored object. Also its /readyz: not ready while the store fails."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.request
import uuid
from dataclasses import replace

from conftest import s3_request, wait_for
from kafka_tools import committed_offsets, create_topic, delete_topic
from s3_fault_proxy import FaultProxy
from sink_harness import BASE_TS, canonical_event, event_ids, produce_events, read_s3, sink_config


def stored_objects(services, prefix: str) -> dict[str, str]:
    """Every object under the prefix (data files and intents), by key, with the SHA-256 of its bytes."""
    import xml.etree.ElementTree as ET

    from conftest import S3_NS_URI
    resp = s3_request(services, "GET", query={"list-type": "2", "prefix": prefix + "/"})
    keys = [k.text for k in ET.fromstring(resp.body).findall(f"{{{S3_NS_URI}}}Contents/{{{S3_NS_URI}}}Key")]
    return {k: hashlib.sha256(s3_request(services, "GET", k).body).hexdigest() for k in keys
            if "/_clicktrail/" not in k}


def test_a_topic_created_again_stops_the_sink_until_accepted_and_overwrites_nothing(services, tmp_path):
    topic = f"e2e-recreated-{uuid.uuid4().hex[:10]}"
    group = f"recreated-{uuid.uuid4().hex[:8]}"
    prefix = f"recreated-{uuid.uuid4().hex[:8]}"
    create_topic(services.kafka_bootstrap, topic, partitions=2)
    first = [canonical_event(i, BASE_TS + i) for i in range(300)]
    produce_events(services.kafka_bootstrap, topic, first)
    run = sink_config(tmp_path, services.kafka_bootstrap, topic, f"s3://{services.s3_bucket}/{prefix}",
                      s3=services, group=group)
    run.until_caught_up()
    before = stored_objects(services, prefix)
    assert sorted(event_ids(read_s3(services, prefix))) == sorted(e["event_id"] for e in first)
    assert sum(committed_offsets(services.kafka_bootstrap, group).values()) == 300

    # The same name, a new topic: its offsets start at 0 again, and its records are new ones.
    delete_topic(services.kafka_bootstrap, topic)
    create_topic(services.kafka_bootstrap, topic, partitions=2)
    second = [canonical_event(10_000 + i, BASE_TS + i) for i in range(120)]
    produce_events(services.kafka_bootstrap, topic, second)

    run.start("--until-caught-up")
    assert run.proc.wait(timeout=120) != 0, "the sink must stop, not write the new topic over the old keys"
    log = run.log.read_text(errors="replace")
    assert "--accept-offset-reset" in log and "kafka-consumer-groups.sh" in log, log[-3000:]
    assert "Nothing was written" in log
    assert stored_objects(services, prefix) == before, "an object changed while the sink refused to go on"

    run.start("--until-caught-up", "--accept-offset-reset")
    assert run.proc.wait(timeout=120) == 0, run.log.read_text(errors="replace")[-3000:]
    after = stored_objects(services, prefix)
    assert {k: after[k] for k in before} == before, "a stored object was overwritten"
    ids = event_ids(read_s3(services, prefix))
    assert sorted(ids) == sorted(e["event_id"] for e in first + second), "old and new, each once"
    new_keys = set(after) - set(before)
    assert new_keys and all("-g2." in k or "-g3." in k for k in new_keys), new_keys


def ops_url(run, path: str) -> str | None:
    """The sink's operations address from its log line, or None before it logged it."""
    match = re.search(r"metrics=(http://\S+)/metrics", run.log.read_text(errors="replace"))
    return match.group(1) + path if match else None


def test_readyz_follows_the_sinks_real_state(services, tmp_path):
    topic = f"e2e-ready-{uuid.uuid4().hex[:10]}"
    create_topic(services.kafka_bootstrap, topic, partitions=2)
    prefix = f"ready-{uuid.uuid4().hex[:8]}"
    with FaultProxy(services.s3_endpoint, fault_rate=0.0) as proxy:
        run = sink_config(tmp_path, services.kafka_bootstrap, topic, f"s3://{services.s3_bucket}/{prefix}",
                          s3=replace(services, s3_endpoint=proxy.endpoint), max_age="1s")
        run.start()
        try:
            def readyz() -> tuple[int, str]:
                url = ops_url(run, "/readyz")
                if url is None:
                    return 0, "not listening yet"
                try:
                    with urllib.request.urlopen(url, timeout=5) as resp:
                        return resp.status, resp.read().decode()
                except urllib.error.HTTPError as e:
                    return e.code, e.read().decode()

            wait_for(lambda: readyz()[0] == 200, 60, f"the sink never became ready: {readyz()}")
            # The store answers 503 to everything: while the sink's requests keep failing, it is not
            # ready, and /readyz says why.
            proxy.fault_rate = 1.0
            produce_events(services.kafka_bootstrap, topic, [canonical_event(i, BASE_TS + i) for i in range(50)])
            status, body = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(readyz()), 60,
                                    "/readyz stayed 200 while every S3 request failed")
            assert "failing" in json.loads(body)["message"], body
            proxy.fault_rate = 0.0
            wait_for(lambda: readyz()[0] == 200, 120, f"/readyz did not recover with the store: {readyz()}")
        finally:
            assert run.stop() == 0, run.log.read_text(errors="replace")[-3000:]
    assert len(event_ids(read_s3(services, prefix))) == 50
