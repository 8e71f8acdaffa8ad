"""The services the end-to-end tests stand on behave like the real things.

These run before any clicktrail test can mean something: a record makes it through
Kafka byte for byte, and the S3 server stores objects under awkward keys and
really checks SigV4 signatures (a server that accepted anything would let a broken
signer in src/store/ pass its tests).
"""

from __future__ import annotations

import json
import os
import uuid
import xml.etree.ElementTree as ET

import pytest

from conftest import kcat_consume, kcat_produce, run, s3_request

S3_NS = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
# Newlines, NUL and bytes that aren't UTF-8: what a careless tool would mangle.
AWKWARD_VALUE = b'{"event":"page_view"}\n\x00\xff\xfe line two\r\n' + bytes(range(256))


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def test_kafka_record_round_trips_exactly(services):
    topic = unique("e2e-services")  # auto-created by the broker on first produce
    key = "visitor-42/é"
    kcat_produce(services.kafka_bootstrap, topic, key, AWKWARD_VALUE)
    assert kcat_consume(services.kafka_bootstrap, topic, 1) == [(key.encode(), AWKWARD_VALUE)]


def listed_keys(svc, prefix: str) -> list[str]:
    resp = s3_request(svc, "GET", query={"list-type": "2", "prefix": prefix})
    assert resp.status == 200, resp.body
    root = ET.fromstring(resp.body)
    return [k.text for k in root.findall("s3:Contents/s3:Key", S3_NS)]


@pytest.mark.parametrize(
    "name",
    ["plain.bin", "with space.bin", "dt=2026-01-01/hour=00/part é ü 日本.parquet",
     "odd chars +!*'()=&,;$@.bin"],
)
def test_s3_object_put_get_list_delete(services, name):
    prefix = unique("e2e-services") + "/"
    key = prefix + name

    put = s3_request(services, "PUT", key, body=AWKWARD_VALUE)
    assert put.status == 200, put.body

    get = s3_request(services, "GET", key)
    assert (get.status, get.body) == (200, AWKWARD_VALUE)

    assert listed_keys(services, prefix) == [key]

    delete = s3_request(services, "DELETE", key)
    assert delete.status == 204, delete.body
    assert s3_request(services, "GET", key).status == 404
    assert listed_keys(services, prefix) == []


def test_s3_rejects_a_wrong_secret(services):
    resp = s3_request(services, "GET", query={"list-type": "2"}, secret="not-the-secret")
    assert resp.status == 403
    assert b"SignatureDoesNotMatch" in resp.body


def test_s3_rejects_a_body_that_does_not_match_its_signed_hash(services):
    key = unique("e2e-services") + "/tampered.bin"
    # Sign the hash of one body, send another: a server must refuse it.
    resp = s3_request(services, "PUT", key, body=b"sent", signed_body=b"signed")
    assert resp.status in (400, 403), resp.body
    assert s3_request(services, "GET", key).status == 404


cluster = pytest.mark.skipif(
    not os.environ.get("KAFKA_CLUSTER_BOOTSTRAP"),
    reason="no 3-broker cluster; start it with: tools/services.sh start --kafka-cluster",
)


@cluster
def test_kafka_cluster_replicates_to_three_brokers():
    bootstrap = os.environ["KAFKA_CLUSTER_BOOTSTRAP"]
    topic = unique("e2e-cluster")
    # acks=all with min.insync.replicas=2, idempotence on: the producer settings the
    # collector uses, against librdkafka as Debian ships it.
    kcat_produce(bootstrap, topic, "k", AWKWARD_VALUE,
                 "-X", "acks=all", "-X", "enable.idempotence=true")
    meta = json.loads(run(["kcat", "-L", "-J", "-b", bootstrap, "-t", topic]).stdout)
    assert len(meta["brokers"]) == 3
    (topic_meta,) = meta["topics"]
    assert topic_meta["partitions"], topic_meta
    for partition in topic_meta["partitions"]:
        assert len(partition["replicas"]) == 3, partition
        assert len(partition["isrs"]) == 3, partition
    assert kcat_consume(bootstrap, topic, 1) == [(b"k", AWKWARD_VALUE)]
