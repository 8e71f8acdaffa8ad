"""`sink.catalog_uri` (docs/iceberg.md, "A REST catalog"): the sink commits an Iceberg table
through a real Iceberg REST catalog — Apache Iceberg's own test server, which tools/services.sh
runs over the S3 server — and pyiceberg, opening the table through that catalog, judges it: each
event once, the Kafka offsets in the snapshots, two sinks of one group committing at once without
losing a commit (the catalog refuses the loser's, which builds again on the winner's), 20
SIGKILLs at random moments, a commit the catalog took whose answer was lost (its files kept, its
events not committed twice), compaction's replace committed through the catalog, and a table
elsewhere than sink.output refused with the reason."""

from __future__ import annotations

import http.server
import json
import re
import subprocess
import threading
import urllib.error
import urllib.request
import uuid

import pytest

pytest.importorskip("pyiceberg")
from pyiceberg.catalog.rest import RestCatalog  # noqa: E402
from pyiceberg.exceptions import NoSuchTableError  # noqa: E402
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


class AnswerLostCatalog:
    """A proxy in front of the REST catalog that forwards every request, and answers the first
    `lose` commits to a table with 502 after the catalog took them: a commit that happened while
    its answer says it may not have (the specification's CommitStateUnknown, which a gateway's
    timeout makes)."""

    COMMIT = re.compile(r"^/v1/(?:[^/]+/)?namespaces/[^/]+/tables/[^/]+$")

    def __init__(self, upstream: str, lose: int) -> None:
        self.upstream, self.lose, self.lost = upstream, lose, 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
                req = urllib.request.Request(proxy.upstream + self.path, data=body, method=self.command,
                                             headers={k: v for k, v in self.headers.items()
                                                      if k.lower() in ("content-type", "accept", "authorization")})
                try:
                    with urllib.request.urlopen(req, timeout=30) as resp:
                        status, answer = resp.status, resp.read()
                except urllib.error.HTTPError as e:
                    status, answer = e.code, e.read()
                if (self.command == "POST" and status == 200 and proxy.COMMIT.match(self.path)
                        and proxy.lost < proxy.lose):
                    proxy.lost += 1
                    status, answer = 502, json.dumps({"error": {
                        "message": "the gateway lost the catalog's answer", "type": "CommitStateUnknownException",
                        "code": 502}}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_HEAD = do_DELETE = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_commit_whose_answer_was_lost_keeps_its_files_and_is_not_written_twice(services, tmp_path):
    # The catalog takes a commit whose answer the sink never sees (502). Its snapshot is the
    # table's: the sink must not delete its files, and must not commit its events a second time
    # when it goes on from the table's offsets.
    table = RestTable(services)
    events = [canonical_event(i, BASE_TS + (i % 2) * HOUR_MS + i) for i in range(400)]
    for p in range(4):
        produce_events(services.kafka_bootstrap, table.topic, events[p::4], partition=p)
    proxy = AnswerLostCatalog(services.iceberg_rest_uri, lose=1)
    try:
        run = table.sink(tmp_path, max_records=20)
        run.config.write_text(run.config.read_text().replace(services.iceberg_rest_uri, proxy.uri))
        # Each lost answer may stop a run (the process exits, as it would under systemd, and
        # starts again); the runs go on until one catches up.
        for attempt in range(6):
            run.start("--until-caught-up")
            if run.proc.wait(timeout=180) == 0:
                break
        else:
            pytest.fail("the sink never caught up:\n" + run.log.read_text()[-4000:])
    finally:
        proxy.close()
    assert proxy.lost == 1, "the proxy never lost a commit's answer"
    assert "may or may not have happened" in run.log.read_text()
    loaded = table.load()
    ids = [r["event_id"] for r in loaded.scan(selected_fields=("event_id",)).to_arrow().to_pylist()]
    assert sorted(ids) == sorted(e["event_id"] for e in events)  # readable, each event once
    offsets = json.loads(loaded.current_snapshot().summary["clicktrail.kafka-offsets"])
    assert offsets == {table.topic: {"0": 100, "1": 100, "2": 100, "3": 100}}


def test_a_catalog_less_table_at_the_output_is_not_taken_over_by_a_new_catalog_table(services, tmp_path):
    # A table the sink kept without a catalog is at sink.output; the catalog has no table of that
    # name. Creating one there would leave the old table's files to the new one's cleanup.
    table = RestTable(services)
    url = f"s3://{services.s3_bucket}/{table.prefix}"
    config = tmp_path / "s3.toml"
    config.write_text(f'[s3]\nregion = "{services.region}"\nendpoint = "{services.s3_endpoint}"\npath_style = true\n')
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(canonical_event(i, BASE_TS + i)) + "\n" for i in range(10)))
    made = subprocess.run([binary(), "iceberg", "append", "--config", str(config), "--table", url, str(events)],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    produce_events(services.kafka_bootstrap, table.topic, [canonical_event(100, BASE_TS)], partition=0)
    run = table.sink(tmp_path).start("--until-caught-up")
    assert run.proc.wait(timeout=120) != 0
    log = run.log.read_text()
    assert "holds a table without a catalog" in log and "Register that table in the catalog" in log, log
    with pytest.raises(NoSuchTableError):  # nothing was made in the catalog
        table.load()
