"""Amazon MSK as hashicorp/aws uses it: what moto 5.2.6's Kafka lacks, and two answers of its
that no client of AWS gets.

Added, each as the Amazon MSK API reference describes it, keeping what was sent:

- Configurations: CreateConfiguration, DescribeConfiguration, DescribeConfigurationRevision,
  ListConfigurations, ListConfigurationRevisions, UpdateConfiguration (a new revision),
  DeleteConfiguration (refused, as by MSK, while a cluster uses the configuration).
- GetBootstrapBrokers: the broker addresses of each way in the cluster was created with —
  plaintext 9092, TLS 9094, SASL/SCRAM 9096, SASL/IAM 9098 — for every broker node, with
  MSK's form of host name (b-N.NAME.XXXXXX.c2.kafka.REGION.amazonaws.com).
- SASL/SCRAM secrets: BatchAssociateScramSecret, ListScramSecrets,
  BatchDisassociateScramSecret. As MSK does, a secret is refused (in UnprocessedScramSecrets,
  with MSK's error codes) unless the cluster has SCRAM on, the secret exists in Secrets Manager,
  its name starts with AmazonMSK_ and it is encrypted with a customer managed KMS key.
- Changes to a cluster: UpdateClusterConfiguration, UpdateBrokerCount, UpdateBrokerType,
  UpdateBrokerStorage, each checked against the cluster's current version and recorded as a
  completed operation for DescribeClusterOperation and DescribeClusterOperationV2.

Answered otherwise than moto does:

- A cluster that does not exist: moto's DescribeCluster(V2) fail with a 500 (a KeyError); MSK
  answers NotFoundException (404), which is how the provider sees that a cluster is gone after
  DeleteCluster. DeleteCluster of an unknown cluster is a NotFoundException too. A
  configuration that does not exist is, as in MSK, a BadRequestException "Configuration ARN does
  not exist.", the message the provider's waiters look for.
- A new cluster stays CREATING in moto for ever, where MSK makes it ACTIVE after 15 to 30
  minutes, and the provider waits for ACTIVE: here it is ACTIVE from its first description on.
"""

from __future__ import annotations

import base64
import datetime
import json
import random
import string
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

PORTS = {"plaintext": 9092, "tls": 9094, "sasl_scram": 9096, "sasl_iam": 9098}


@dataclass
class Revision:
    number: int
    description: str
    server_properties: bytes
    created: str


@dataclass
class Configuration:
    arn: str
    name: str
    kafka_versions: list[str]
    revisions: list[Revision] = field(default_factory=list)
    created: str = ""


@dataclass
class Operation:
    arn: str
    cluster_arn: str
    kind: str
    source: dict[str, Any]
    target: dict[str, Any]
    created: str


@dataclass
class MskState:
    """What the additions keep per account and region, beside moto's clusters."""

    configurations: dict[str, Configuration] = field(default_factory=dict)
    scram_secrets: dict[str, list[str]] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    host_suffixes: dict[str, str] = field(default_factory=dict)


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _state(backend) -> MskState:
    return backend.__dict__.setdefault("_msk_state", MskState())


def _revision(r: Revision) -> dict[str, Any]:
    return {"creationTime": r.created, "description": r.description, "revision": r.number}


def _not_found(message: str) -> Exception:
    """MSK's NotFoundException, which is a 404 (moto's is a 400)."""
    from moto.kafka.exceptions import NotFoundException

    error = NotFoundException(message)
    error.code = 404
    return error


def _cluster(backend, arn: str):
    cluster = backend.clusters.get(arn)
    if cluster is None:
        raise _not_found(f"The requested resource {arn} does not exist.")
    if cluster.state == "CREATING":
        cluster.state = "ACTIVE"
    return cluster


def _configuration(backend, arn: str) -> Configuration:
    from moto.kafka.exceptions import BadRequestException

    configuration = _state(backend).configurations.get(arn)
    if configuration is None:
        # MSK's answer for a configuration that is not (or no longer) there.
        raise BadRequestException("Configuration ARN does not exist.")
    return configuration


def _bootstrap_brokers(backend, cluster) -> dict[str, str]:
    suffix = _state(backend).host_suffixes.setdefault(
        cluster.arn, "".join(random.choices(string.ascii_lowercase + string.digits, k=6)))
    hosts = [f"b-{n}.{cluster.cluster_name}.{suffix}.c2.kafka.{backend.region_name}.amazonaws.com"
             for n in range(1, (cluster.number_of_broker_nodes or 1) + 1)]
    in_transit = ((cluster.encryption_info or {}).get("encryptionInTransit") or {}).get("clientBroker", "TLS")
    auth = cluster.client_authentication or {}
    sasl = auth.get("sasl") or {}
    # Without clientAuthentication MSK admits unauthenticated clients; with it, only if asked.
    unauthenticated = not auth or (auth.get("unauthenticated") or {}).get("enabled", False)
    mutual_tls = (auth.get("tls") or {}).get("enabled", False)
    ways = {
        "bootstrapBrokerString": "plaintext" if unauthenticated and in_transit in ("PLAINTEXT", "TLS_PLAINTEXT") else None,
        "bootstrapBrokerStringTls": "tls" if (unauthenticated or mutual_tls) and in_transit in ("TLS", "TLS_PLAINTEXT") else None,
        "bootstrapBrokerStringSaslScram": "sasl_scram" if (sasl.get("scram") or {}).get("enabled") else None,
        "bootstrapBrokerStringSaslIam": "sasl_iam" if (sasl.get("iam") or {}).get("enabled") else None,
    }
    return {key: ",".join(f"{h}:{PORTS[way]}" for h in hosts) for key, way in ways.items() if way}


def _scram_refusal(backend, cluster, secret_arn: str) -> tuple[str, str] | None:
    """MSK's error code and message for a secret it would not associate, or None."""
    from moto.secretsmanager.models import secretsmanager_backends

    if not ((((cluster.client_authentication or {}).get("sasl") or {}).get("scram") or {}).get("enabled")):
        return "InvalidClusterConfiguration", "SASL/SCRAM authentication is not enabled on the cluster."
    secrets = secretsmanager_backends[backend.account_id][backend.region_name]
    secret = next((s for s in secrets.secrets.values() if getattr(s, "arn", None) == secret_arn), None)
    if secret is None:
        return "ResourceNotFound", f"Secret {secret_arn} was not found."
    if not secret.name.startswith("AmazonMSK_"):
        return "InvalidSecretName", "The secret name must start with AmazonMSK_."
    if not secret.kms_key_id or secret.kms_key_id in ("alias/aws/secretsmanager",):
        return "InvalidSecretKey", "The secret must be encrypted with a customer managed AWS KMS key."
    return None


def _update(self, kind: str, change) -> str:
    """Checks the cluster's current version, applies `change` to it, records a finished operation."""
    from moto.kafka.exceptions import BadRequestException

    backend, body = self.kafka_backend, self._msk_body()
    cluster = _cluster(backend, self._msk_uri("clusterArn"))
    if body.get("currentVersion") != cluster.current_version:
        raise BadRequestException("The request does not include the current version of the cluster.")
    source = _mutable_info(cluster)
    change(cluster, body)
    cluster.current_version = "K" + "".join(random.choices(string.ascii_uppercase + string.digits, k=13))
    arn = cluster.arn.replace(":cluster/", ":cluster-operation/", 1) + "/" + str(uuid.uuid4())
    _state(backend).operations[arn] = Operation(arn, cluster.arn, kind, source, _mutable_info(cluster), _now())
    return json.dumps({"clusterArn": cluster.arn, "clusterOperationArn": arn})


def _mutable_info(cluster) -> dict[str, Any]:
    storage = ((cluster.broker_node_group_info or {}).get("storageInfo") or {}).get("ebsStorageInfo") or {}
    info = {"configurationInfo": cluster.configuration_info, "numberOfBrokerNodes": cluster.number_of_broker_nodes,
            "instanceType": (cluster.broker_node_group_info or {}).get("instanceType"),
            "kafkaVersion": cluster.kafka_version,
            "brokerEBSVolumeInfo": [{"kafkaBrokerNodeId": "All", "volumeSizeGB": storage.get("volumeSize")}]}
    return {k: v for k, v in info.items() if v}


# ---- the handlers, methods of moto's KafkaResponse ---------------------------------------------

def _msk_body(self) -> dict[str, Any]:
    return json.loads(self.body) if self.body else {}


def _msk_uri(self, name: str) -> str:
    return unquote(str(self.uri_match[name]))


def create_configuration(self) -> str:
    backend, body = self.kafka_backend, self._msk_body()
    arn = (f"arn:aws:kafka:{backend.region_name}:{backend.account_id}:configuration/{body['name']}/"
           f"{uuid.uuid4()}-{random.randint(1, 9)}")
    configuration = Configuration(arn, body["name"], body.get("kafkaVersions", []), created=_now())
    configuration.revisions.append(
        Revision(1, body.get("description", ""), base64.b64decode(body["serverProperties"]), configuration.created))
    _state(backend).configurations[arn] = configuration
    return json.dumps({"arn": arn, "creationTime": configuration.created, "name": configuration.name,
                       "latestRevision": _revision(configuration.revisions[-1]), "state": "ACTIVE"})


def _described(c: Configuration) -> dict[str, Any]:
    return {"arn": c.arn, "creationTime": c.created, "description": c.revisions[0].description,
            "kafkaVersions": c.kafka_versions, "latestRevision": _revision(c.revisions[-1]), "name": c.name,
            "state": "ACTIVE"}


def describe_configuration(self) -> str:
    return json.dumps(_described(_configuration(self.kafka_backend, self._msk_uri("arn"))))


def list_configurations(self) -> str:
    return json.dumps({"configurations": [_described(c) for c in _state(self.kafka_backend).configurations.values()]})


def describe_configuration_revision(self) -> str:
    c = _configuration(self.kafka_backend, self._msk_uri("arn"))
    number = int(self._msk_uri("revision"))
    if not 1 <= number <= len(c.revisions):
        raise _not_found(f"Revision {number} of {c.arn} does not exist.")
    r = c.revisions[number - 1]
    return json.dumps({"arn": c.arn, "creationTime": r.created, "description": r.description, "revision": r.number,
                       "serverProperties": base64.b64encode(r.server_properties).decode()})


def list_configuration_revisions(self) -> str:
    c = _configuration(self.kafka_backend, self._msk_uri("arn"))
    return json.dumps({"revisions": [_revision(r) for r in c.revisions]})


def update_configuration(self) -> str:
    c, body = _configuration(self.kafka_backend, self._msk_uri("arn")), self._msk_body()
    c.revisions.append(Revision(len(c.revisions) + 1, body.get("description", c.revisions[-1].description),
                                base64.b64decode(body["serverProperties"]), _now()))
    return json.dumps({"arn": c.arn, "latestRevision": _revision(c.revisions[-1])})


def delete_configuration(self) -> str:
    from moto.kafka.exceptions import BadRequestException

    backend = self.kafka_backend
    c = _configuration(backend, self._msk_uri("arn"))
    users = [k.arn for k in backend.clusters.values() if (k.configuration_info or {}).get("arn") == c.arn]
    if users:
        raise BadRequestException(f"Configuration {c.arn} is in use by {', '.join(users)}.")
    del _state(backend).configurations[c.arn]
    return json.dumps({"arn": c.arn, "state": "DELETING"})


def get_bootstrap_brokers(self) -> str:
    backend = self.kafka_backend
    return json.dumps(_bootstrap_brokers(backend, _cluster(backend, self._msk_uri("clusterArn"))))


def batch_associate_scram_secret(self) -> str:
    backend = self.kafka_backend
    cluster = _cluster(backend, self._msk_uri("clusterArn"))
    associated = _state(backend).scram_secrets.setdefault(cluster.arn, [])
    refused = []
    for arn in self._msk_body().get("secretArnList", []):
        refusal = _scram_refusal(backend, cluster, arn)
        if refusal:
            refused.append({"secretArn": arn, "errorCode": refusal[0], "errorMessage": refusal[1]})
        elif arn not in associated:
            associated.append(arn)
    return json.dumps({"clusterArn": cluster.arn, "unprocessedScramSecrets": refused})


def list_scram_secrets(self) -> str:
    backend = self.kafka_backend
    cluster = _cluster(backend, self._msk_uri("clusterArn"))
    return json.dumps({"secretArnList": list(_state(backend).scram_secrets.get(cluster.arn, []))})


def batch_disassociate_scram_secret(self) -> str:
    backend = self.kafka_backend
    cluster = _cluster(backend, self._msk_uri("clusterArn"))
    associated = _state(backend).scram_secrets.setdefault(cluster.arn, [])
    refused = []
    for arn in self._msk_body().get("secretArnList", []):
        if arn in associated:
            associated.remove(arn)
        else:
            refused.append({"secretArn": arn, "errorCode": "ResourceNotFound",
                            "errorMessage": "The secret is not associated with the cluster."})
    return json.dumps({"clusterArn": cluster.arn, "unprocessedScramSecrets": refused})


def update_cluster_configuration(self) -> str:
    def change(cluster, body):
        _configuration(self.kafka_backend, body["configurationInfo"]["arn"])
        cluster.configuration_info = body["configurationInfo"]

    return _update(self, "UPDATE_CLUSTER_CONFIGURATION", change)


def update_broker_count(self) -> str:
    return _update(self, "INCREASE_BROKER_COUNT",
                   lambda cluster, body: setattr(cluster, "number_of_broker_nodes", body["targetNumberOfBrokerNodes"]))


def update_broker_type(self) -> str:
    return _update(self, "UPDATE_BROKER_TYPE",
                   lambda cluster, body: cluster.broker_node_group_info.update(instanceType=body["targetInstanceType"]))


def update_broker_storage(self) -> str:
    def change(cluster, body):
        size = body["targetBrokerEBSVolumeInfo"][0]["volumeSizeGB"]
        storage = cluster.broker_node_group_info.setdefault("storageInfo", {}).setdefault("ebsStorageInfo", {})
        storage["volumeSize"] = size

    return _update(self, "UPDATE_BROKER_STORAGE", change)


def _operation(self) -> Operation:
    arn = self._msk_uri("clusterOperationArn")
    operation = _state(self.kafka_backend).operations.get(arn)
    if operation is None:
        raise _not_found(f"The requested operation {arn} does not exist.")
    return operation


def describe_cluster_operation(self) -> str:
    o = _operation(self)
    return json.dumps({"clusterOperationInfo": {
        "clusterArn": o.cluster_arn, "operationArn": o.arn, "operationType": o.kind, "operationState": "UPDATE_COMPLETE",
        "creationTime": o.created, "endTime": o.created, "sourceClusterInfo": o.source, "targetClusterInfo": o.target}})


def describe_cluster_operation_v2(self) -> str:
    o = _operation(self)
    return json.dumps({"clusterOperationInfo": {
        "clusterArn": o.cluster_arn, "clusterType": "PROVISIONED", "operationArn": o.arn, "operationType": o.kind,
        "operationState": "UPDATE_COMPLETE", "startTime": o.created, "endTime": o.created,
        "provisioned": {"sourceClusterInfo": o.source, "targetClusterInfo": o.target}}})


HANDLERS = [_msk_body, _msk_uri, create_configuration, describe_configuration, list_configurations,
            describe_configuration_revision,
            list_configuration_revisions, update_configuration, delete_configuration, get_bootstrap_brokers,
            batch_associate_scram_secret, list_scram_secrets, batch_disassociate_scram_secret,
            update_cluster_configuration, update_broker_count, update_broker_type, update_broker_storage,
            describe_cluster_operation, describe_cluster_operation_v2]


def register() -> None:
    import moto.kafka.urls as urls
    from moto.kafka.models import KafkaBackend
    from moto.kafka.responses import KafkaResponse

    for handler in HANDLERS:
        setattr(KafkaResponse, handler.__name__, handler)

    describe_cluster, describe_cluster_v2 = KafkaBackend.describe_cluster, KafkaBackend.describe_cluster_v2
    delete_cluster = KafkaBackend.delete_cluster
    KafkaBackend.describe_cluster = lambda self, cluster_arn: describe_cluster(self, _cluster(self, cluster_arn).arn)
    KafkaBackend.describe_cluster_v2 = lambda self, cluster_arn: describe_cluster_v2(self, _cluster(self, cluster_arn).arn)

    def delete_cluster_as_msk(self, cluster_arn: str, current_version: str):
        _cluster(self, cluster_arn)
        arn, _ = delete_cluster(self, cluster_arn, current_version)
        _state(self).scram_secrets.pop(arn, None)
        return arn, "DELETING"

    KafkaBackend.delete_cluster = delete_cluster_as_msk

    # The paths moto does not route at all (cluster paths below /v1/clusters/ reach its handler).
    dispatch = KafkaResponse.dispatch
    urls.url_paths.update({
        "{0}/v1/configurations$": dispatch,
        "{0}/v1/configurations/(?P<arn>.+)$": dispatch,
        "{0}/v1/operations/(?P<clusterOperationArn>.+)$": dispatch,
        "{0}/api/v2/operations/(?P<clusterOperationArn>.+)$": dispatch,
    })
