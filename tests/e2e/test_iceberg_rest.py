"""`sink.catalog_uri` (docs/iceberg.md, "A REST catalog"): the sink commits an Iceberg table
through a real Iceberg REST catalog — Apache Iceberg's own test server, which tools/services.sh
runs over the S3 server — and pyiceberg, opening the table through that catalog, judges it: each
event once, the Kafka offsets in the snapshots, two sinks of one group committing at once without
losing a commit (the catalog refuses the loser's, which builds again on the winner's), 20
SIGKILLs at random moments, compaction's replace committed through the catalog, and a table
elsewhere than sink.output refused with the reason."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest

pytest.importorskip("pyiceberg")
from pyiceberg.catalog.rest import RestCatalog  # noqa: E402
from pyiceberg.schema import Schema  # noqa: E402
from pyiceberg.types import NestedField, StringType  # noqa: E402

from collector import binary  # noqa: E402
from sink_harness import (BASE_TS, HOUR_MS, KeptSink, Producer, canonical_event, create_topic,  # noqa: E402
                          kill_at_random_moments, produce, produce_events, sink_config,
                          table_sinks_commit_side_by_side)


def catalog(services) -> RestCatalog:
    return RestCatalog("e2e", uri=services.iceberg_rest_uri, **{
        "s3.endpoint": services.s3_endpoint, "s3.access-key-id": services.access_key,
        "s3.secret-access-key": services.secret_key, "s3.region": services.region,
    })


class RestTable:
    """A table name of its own in a namespace of its own (which the sink creates), at a prefix of
    its own in the bucket."""

    def __init__(self, services) -> None:
        tag = uuid.uuid4().hex[:8]
        self.services = services
        self.name = f"rest_{tag}.events"
        self.prefix = f"rest-table-{tag}"
        self.topic = f"e2e-iceberg-rest-{tag}"
        create_topic(services.kafka_bootstrap, self.topic)

    def sink(self, tmp_path, **sink):
        return sink_config(tmp_path, self.services.kafka_bootstrap, self.topic,
                           f"s3://{self.services.s3_bucket}/{self.prefix}", s3=self.services, format="parquet",
                           table="iceberg", catalog_uri=self.services.iceberg_rest_uri, catalog_table=self.name,
                           **sink)

    def load(self):
        return catalog(self.services).load_table(self.name)

    def ids(self) -> list[str]:
        return [r["event_id"] for r in self.load().scan(selected_fields=("event_id",)).to_arrow().to_pylist()]


def test_the_sink_commits_through_the_catalog_and_compaction_replaces_through_it(services, tmp_path):
    table = RestTable(services)
    events = [canonical_event(i, BASE_TS + (i % 3) * HOUR_MS + i) for i in range(600)]
    for p in range(4):
        produce_events(services.kafka_bootstrap, table.topic, events[p::4], partition=p)
    produce(services.kafka_bootstrap, table.topic, [b"not json"], partition=2)
    run = table.sink(tmp_path, max_records=50)
    run.until_caught_up()

    loaded = table.load()
    # The catalog made the table where the sink keeps its files, and keeps its versions: its
    # metadata files are the catalog's (<N>-<uuid>.metadata.json), none of the catalog-less v<N>.
    assert loaded.location().rstrip("/") == f"s3://{services.s3_bucket}/{table.prefix}"
    assert "/metadata/v" not in loaded.metadata_location
    assert sorted(table.ids()) == sorted(e["event_id"] for e in events)  # each exactly once
    offsets = json.loads(loaded.current_snapshot().summary["clicktrail.kafka-offsets"])
    assert offsets == {table.topic: {"0": 150, "1": 150, "2": 151, "3": 150}}
    files_before = len(list(loaded.scan().plan_files()))
    assert files_before >= 12  # 50 records a file, three hours, four partitions

    # Compaction commits its replace snapshot through the catalog too: the same events, in one
    # file an hour, and the sink's offsets carried over.
    done = subprocess.run([binary(), "compact", "--config", str(run.config), "--settle-minutes", "0"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    compacted = table.load()
    assert compacted.current_snapshot().summary.operation.value == "replace"
    assert len(list(compacted.scan().plan_files())) == 3
    assert sorted(table.ids()) == sorted(e["event_id"] for e in events)
    assert json.loads(compacted.current_snapshot().summary["clicktrail.kafka-offsets"]) == offsets


def test_two_sinks_in_one_group_commit_through_the_catalog_without_losing_a_commit(services, tmp_path):
    table = RestTable(services)
    group = f"rest-pair-{table.prefix}"
    sinks = [KeptSink(name, table.sink(tmp_path, group=group, max_age="1s")).start() for name in ("first", "second")]
    producer = Producer(services.kafka_bootstrap, table.topic)
    table_sinks_commit_side_by_side(sinks, producer, table.ids)
    assert sorted(table.ids()) == sorted(producer.ids)  # none lost, none twice
    offsets = json.loads(table.load().current_snapshot().summary["clicktrail.kafka-offsets"])
    assert sorted(offsets[table.topic]) == ["0", "1", "2", "3"]


def test_sigkill_at_random_moments_leaves_each_event_in_the_catalogs_table_once(services, tmp_path):
    table = RestTable(services)
    run = table.sink(tmp_path, group=f"rest-crash-{table.prefix}", max_age="1s", max_records=2000)
    producer = Producer(services.kafka_bootstrap, table.topic)
    kill_at_random_moments(run, producer, seed=29)
    ids = table.ids()
    assert len(producer.ids) > 5000
    missing = set(producer.ids) - set(ids)
    assert not missing, f"{len(missing)} events missing from the table after 20 kills"
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} events in the table twice"


def test_a_catalog_table_elsewhere_than_the_sinks_output_is_refused_with_the_reason(services, tmp_path):
    table = RestTable(services)
    namespace = table.name.split(".")[0]
    rest = catalog(services)
    rest.create_namespace(namespace)
    elsewhere = f"s3://{services.s3_bucket}/{table.prefix}-elsewhere"
    rest.create_table(table.name, schema=Schema(NestedField(1, "id", StringType(), required=False)),
                      location=elsewhere)
    produce_events(services.kafka_bootstrap, table.topic, [canonical_event(0, BASE_TS)], partition=0)
    run = table.sink(tmp_path).start("--until-caught-up")
    assert run.proc.wait(timeout=120) != 0
    log = run.log.read_text()
    assert f"is at {elsewhere}, not at sink.output" in log and "sink.catalog_table" in log, log
    # Nothing was committed to the other table.
    assert table.load().current_snapshot() is None
