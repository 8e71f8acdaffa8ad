"""Kafka over TLS, as the kafka module sets it up with Amazon MSK (cluster = "msk"): the brokers
answer clients on a TLS listener only, and the module gives the Lambda function and the sink
librdkafka's settings as CLICKTRAIL_KAFKA_{PRODUCER,CONSUMER}_* variables (its local
tls_settings, evaluated here by `terraform console`). With exactly those variables, an event
posted to the collector goes over TLS into a real broker and the sink writes it to S3; without
them, nothing gets through. The broker is Kafka's own (the test services' jars), with a
certificate from a CA made for the test, in place of MSK's from Amazon's."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from collector import free_port, start_collector
from conftest import REPO_ROOT, wait_for
from sink_harness import event_ids, read_s3, sink_config
from terraform_config import evaluate, load

PASSWORD = "test-only-key-password"


def make_certificates(tmp: Path) -> tuple[Path, Path]:
    """A CA, and a certificate for 127.0.0.1 that it signed: the CA's PEM, and the broker's key
    store (its encrypted PKCS#8 key and certificate, PEM), as Kafka reads one."""
    def openssl(*args: str) -> None:
        proc = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60, cwd=tmp)
        assert proc.returncode == 0, proc.stderr

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=clicktrail test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "broker.key", "-out", "broker.csr",
            "-subj", "/CN=127.0.0.1")
    (tmp / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "broker.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "broker.pem", "-days", "2", "-extfile", "san.ext")
    # Java 17 reads encrypted PKCS#8 keys of the older PBE schemes only, not PBES2.
    openssl("pkcs8", "-topk8", "-in", "broker.key", "-out", "broker.p8", "-v1", "PBE-SHA1-3DES",
            "-passout", f"pass:{PASSWORD}")
    store = tmp / "broker-store.pem"
    store.write_text((tmp / "broker.p8").read_text() + (tmp / "broker.pem").read_text())
    return tmp / "ca.pem", store


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory):
    """One KRaft node whose only client listener is TLS; its address and the CA's PEM."""
    tmp = tmp_path_factory.mktemp("kafka-tls")
    ca, store = make_certificates(tmp)
    libs = subprocess.run([str(REPO_ROOT / "tools" / "fetch-kafka.sh")], capture_output=True, text=True,
                          timeout=600, check=True).stdout.strip()
    port, controller = free_port(), free_port()
    config = tmp / "server.properties"
    config.write_text(f"""process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller}
listeners=SSL://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=SSL://127.0.0.1:{port}
listener.security.protocol.map=SSL:SSL,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SSL
ssl.keystore.type=PEM
ssl.keystore.location={store}
ssl.key.password={PASSWORD}
ssl.truststore.type=PEM
ssl.truststore.location={ca}
log.dirs={tmp}/data
num.partitions=2
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
auto.create.topics.enable=true
""")
    java = ["java", "-Xms256m", "-Xmx256m", "-cp", f"{libs}/*",
            f"-Dlog4j.configuration=file:{REPO_ROOT}/deploy/terraform/modules/kafka/files/log4j.properties"]
    cluster_id = "clicktrailTLStest0000w"
    subprocess.run([*java, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)],
                   capture_output=True, timeout=120, check=True)
    log = tmp / "kafka.log"
    proc = subprocess.Popen([*java, "kafka.Kafka", str(config)], stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "Kafka Server started" in log.read_text(errors="replace") or proc.poll() is not None, 90,
                 f"the TLS broker did not start; see {log}")
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        yield {"bootstrap": f"127.0.0.1:{port}", "ca": str(ca), "log": log}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp / "data", ignore_errors=True)


def module_tls_settings() -> dict[str, dict[str, str]]:
    """The kafka module's tls_settings: {"PRODUCER": {...}, "CONSUMER": {...}}."""
    return evaluate(load()["modules/kafka"].locals()["tls_settings"].src)


def with_test_ca(settings: dict[str, str], ca: str) -> dict[str, str]:
    """The module's settings with the test CA in place of Amazon Linux's bundle (MSK's
    certificates chain to Amazon's roots, which that bundle holds)."""
    return {k: (ca if k.endswith("_SSL_CA_LOCATION") else v) for k, v in settings.items()}


def test_the_modules_tls_settings_take_an_event_through_a_tls_only_broker_to_s3(services, tls_broker, tmp_path):
    tls = module_tls_settings()
    assert set(tls) == {"PRODUCER", "CONSUMER"}
    for client, settings in tls.items():
        assert settings[f"CLICKTRAIL_KAFKA_{client}_SECURITY_PROTOCOL"] == "SSL"
        assert settings[f"CLICKTRAIL_KAFKA_{client}_SSL_CA_LOCATION"] == "/etc/pki/tls/certs/ca-bundle.crt"
    bootstrap, ca = tls_broker["bootstrap"], tls_broker["ca"]

    # What the function gets (client_settings: the producer's), on the collector.
    collector = start_collector(tmp_path, bootstrap, produce_timeout="20s",
                                env=with_test_ca(tls["PRODUCER"], ca))
    try:
        event_id = str(uuid.uuid4())
        resp = collector.post([{"type": "page_view", "event_id": event_id, "page_url": "http://localhost:8080/tls"}])
        assert resp.status == 204, (resp.status, resp.body, collector.log()[-3000:])
    finally:
        assert collector.stop() == 0, collector.log()[-3000:]

    # What the sink's host gets (both clients' settings), on the sink.
    prefix = f"tls-{uuid.uuid4().hex[:8]}"
    sink = sink_config(tmp_path, bootstrap, collector.topic, f"s3://{services.s3_bucket}/{prefix}", s3=services,
                       bad_topic=collector.bad_topic)
    env = {**with_test_ca(tls["PRODUCER"], ca), **with_test_ca(tls["CONSUMER"], ca),
           "AWS_ACCESS_KEY_ID": services.access_key, "AWS_SECRET_ACCESS_KEY": services.secret_key}
    sink.start("--until-caught-up", env=env)
    assert sink.proc.wait(timeout=120) == 0, sink.log.read_text(errors="replace")[-4000:]
    assert event_ids(read_s3(services, prefix)) == [event_id]


def test_without_the_tls_settings_nothing_reaches_a_tls_only_broker(tls_broker, tmp_path):
    collector = start_collector(tmp_path, tls_broker["bootstrap"], produce_timeout="2s")
    try:
        resp = collector.post([{"type": "page_view", "page_url": "http://localhost:8080/plain"}])
        assert resp.status == 503, (resp.status, resp.body)
    finally:
        collector.stop()
