"""Athena over the JSON protocol, which moto 5.2.6 stops routing with botocore 1.44's model.

Athena answers AWS JSON 1.1 (POST / with `X-Amz-Target: AmazonAthena.<Operation>`): the
protocol of the AWS SDKs up to 2025, the Go SDK in hashicorp/aws 5.x among them. botocore
1.44's model of Athena lists REST-JSON alone (POST /workgroups, ...), and moto routes a request
by that model, so it answers the provider's CreateWorkGroup with an empty 404. moto's Athena
handlers read the same JSON members under either protocol; this adds JSON to the protocols the
model lists, and the REST paths to moto's URL map, so that both kinds of client reach them.
"""

from __future__ import annotations

from typing import Any

SERVICE = "athena"
TARGET_PREFIX = "AmazonAthena"


def register() -> None:
    import moto.athena.urls as urls
    import moto.core.utils as core_utils

    load = core_utils._load_service_model

    def load_with_json(service_name: str, model_name: str) -> dict[str, Any]:
        model = load(service_name, model_name)
        if service_name == SERVICE and model_name == "service-2":
            metadata = model["metadata"]
            protocols = metadata.setdefault("protocols", [metadata["protocol"]])
            if "json" not in protocols:
                protocols.append("json")
            metadata.setdefault("targetPrefix", TARGET_PREFIX)
            metadata.setdefault("jsonVersion", "1.1")
        return model

    core_utils._load_service_model = load_with_json
    core_utils.get_service_model.cache_clear()
    # REST-JSON clients (boto3 and the AWS CLI from botocore 1.44 on) post to /workgroups,
    # /queryexecutions, ...: the router finds the operation from the method and path.
    handler = urls.url_paths["{0}/$"]
    urls.url_paths["{0}/(?P<rest_path>.+)$"] = handler
