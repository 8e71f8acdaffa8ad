"""sink.glue_table (docs/iceberg.md, "Athena"): the sink, `clicktrail compact` and `clicktrail
iceberg append` keep an AWS Glue table pointing at the Iceberg table's current version, which is
how Athena finds it. Glue here is moto's server (PyPI), which answers the Glue API as AWS does
but checks no signature and no VersionId; the table is in the S3 server, and pyiceberg opens what
the pointer names."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

pytest.importorskip("pyiceberg")
pytest.importorskip("moto")
from pyiceberg.table import StaticTable  # noqa: E402

from collector import binary  # noqa: E402
from conftest import wait_for  # noqa: E402
from sink_harness import BASE_TS, HOUR_MS, canonical_event, create_topic, produce_events, sink_config  # noqa: E402


@pytest.fixture(scope="module")
def glue_endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _up(url), 30, "moto's server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _up(url: str) -> bool | None:
    try:
        urllib.request.urlopen(url + "/moto-api/", timeout=1).read()
        return True
    except OSError:
        return None


def glue(endpoint: str, action: str, body: dict) -> dict:
    req = urllib.request.Request(endpoint + "/", data=json.dumps(body).encode(), method="POST", headers={
        "X-Amz-Target": f"AWSGlue.{action}", "Content-Type": "application/x-amz-json-1.1",
        # moto reads the region from the credential scope and checks nothing else.
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20261206/us-east-1/glue/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"{}")


def pointer(endpoint: str, database: str) -> str:
    return glue(endpoint, "GetTable", {"DatabaseName": database, "Name": "events"})["Table"]["Parameters"][
        "metadata_location"]


def open_at(services, metadata: str) -> StaticTable:
    return StaticTable.from_metadata(metadata, properties={
        "s3.endpoint": services.s3_endpoint, "s3.access-key-id": services.access_key,
        "s3.secret-access-key": services.secret_key, "s3.region": services.region})


def test_the_glue_table_follows_every_commit_of_the_sink_and_of_compaction(services, glue_endpoint, tmp_path):
    database = f"analytics_{uuid.uuid4().hex[:8]}"
    glue(glue_endpoint, "CreateDatabase", {"DatabaseInput": {"Name": database}})
    topic = f"e2e-glue-{uuid.uuid4().hex[:10]}"
    create_topic(services.kafka_bootstrap, topic)
    events = [canonical_event(i, BASE_TS - 3 * HOUR_MS + (i % 2) * HOUR_MS + i) for i in range(400)]
    produce_events(services.kafka_bootstrap, topic, events[:200], partition=0)
    prefix = f"glue-{uuid.uuid4().hex[:8]}/events"
    location = f"s3://{services.s3_bucket}/{prefix}"
    run = sink_config(tmp_path, services.kafka_bootstrap, topic, location, s3=services, format="parquet",
                      table="iceberg", max_records=50, glue_table=f"{database}.events", glue_endpoint=glue_endpoint)
    run.until_caught_up()  # a first commit, which makes the Glue table
    produce_events(services.kafka_bootstrap, topic, events[200:], partition=1)
    run.until_caught_up()  # and a later one, which moves it

    # The sink made the Glue table on its first commit and moved it at each one after.
    table = glue(glue_endpoint, "GetTable", {"DatabaseName": database, "Name": "events"})["Table"]
    assert table["Parameters"]["table_type"] == "ICEBERG"
    assert table["StorageDescriptor"]["Location"] == location
    assert {"name": "collector_ts", "type": "timestamp"} in [
        {"name": c["Name"], "type": c["Type"]} for c in table["StorageDescriptor"]["Columns"]]
    newest = int(pointer(glue_endpoint, database).rsplit("/v", 1)[1].split(".")[0])
    # The version the table's own hint names, as pyiceberg finds it without Glue.
    assert open_at(services, location).metadata_location == pointer(glue_endpoint, database)
    assert table["Parameters"].get("previous_metadata_location", "").endswith(f"v{newest - 1}.metadata.json")
    rows = open_at(services, pointer(glue_endpoint, database)).scan().to_arrow().to_pylist()
    assert sorted(r["event_id"] for r in rows) == sorted(e["event_id"] for e in events)

    # Compaction's replace snapshot: the pointer moves to it, and Athena would read one file an hour.
    config = tmp_path / "compact.toml"
    config.write_text(run.config.read_text())
    done = subprocess.run([binary(), "compact", "--config", str(config)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"Glue table {database}.events points at version {newest + 2}" in done.stderr, done.stderr
    compacted = open_at(services, pointer(glue_endpoint, database))
    assert compacted.current_snapshot().summary.operation.value == "replace"
    assert len(list(compacted.scan().plan_files())) == 2


def test_the_pointer_never_moves_back_and_another_tables_pointer_is_not_taken(services, glue_endpoint, tmp_path):
    database = f"analytics_{uuid.uuid4().hex[:8]}"
    glue(glue_endpoint, "CreateDatabase", {"DatabaseInput": {"Name": database}})
    location = f"s3://{services.s3_bucket}/glue-{uuid.uuid4().hex[:8]}/events"
    config = tmp_path / "append.toml"
    config.write_text(f'[sink]\noutput = "{location}"\ntable = "iceberg"\nglue_table = "{database}.events"\n'
                      f'glue_endpoint = "{glue_endpoint}"\n\n[s3]\nregion = "{services.region}"\n'
                      f'endpoint = "{services.s3_endpoint}"\npath_style = true\n')
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(canonical_event(i, BASE_TS + i)) + "\n" for i in range(10)))

    def append() -> subprocess.CompletedProcess:
        return subprocess.run([binary(), "iceberg", "append", "--config", str(config), "--table", location,
                               str(events)], capture_output=True, text=True, timeout=60)

    first = append()
    assert first.returncode == 0, first.stderr
    assert pointer(glue_endpoint, database) == f"{location}/metadata/v1.metadata.json"
    # A writer that committed a later version already pointed Glue at it: an earlier one's publish
    # (a slow writer) must leave it.
    later = f"{location}/metadata/v9.metadata.json"
    table = glue(glue_endpoint, "GetTable", {"DatabaseName": database, "Name": "events"})["Table"]
    table["Parameters"]["metadata_location"] = later
    glue(glue_endpoint, "UpdateTable", {"DatabaseName": database, "TableInput": {
        k: table[k] for k in ("Name", "TableType", "Parameters", "StorageDescriptor")}})
    second = append()
    assert second.returncode == 0, second.stderr
    assert pointer(glue_endpoint, database) == later
    # A Glue table that points at another table is not clicktrail's: the append commits, says so,
    # and exits 1.
    table["Parameters"]["metadata_location"] = f"s3://{services.s3_bucket}/elsewhere/metadata/v1.metadata.json"
    glue(glue_endpoint, "UpdateTable", {"DatabaseName": database, "TableInput": {
        k: table[k] for k in ("Name", "TableType", "Parameters", "StorageDescriptor")}})
    third = append()
    assert third.returncode == 1
    assert "committed as version 3" in third.stderr and "not under this table's location" in third.stderr, \
        third.stderr
