"""The peer of `clicktrail lambda` in bench/lambda: the same function written the way the
original design wrote it, in Python on awslambdaric with confluent-kafka, kept to the job's
essentials so that the comparison is not with a framework.

Like clicktrail it creates the producer at init and reuses it, checks the site and its origin,
accepts one event, an array or an envelope, adds the collector's fields, produces with
acks=all and idempotence, and answers only after the delivery reports: 204 when all arrived,
503 when they did not come before the function's deadline. Configuration comes from the same
environment variables."""

import base64
import json
import os
import time
import uuid

from confluent_kafka import Producer

TOPIC = os.environ.get("CLICKTRAIL_KAFKA_TOPIC", "clicktrail.events")
SITES = {}
for entry in os.environ.get("CLICKTRAIL_SITES", "").split(";"):
    key, _, origins = entry.strip().partition("=")
    if key:
        SITES[key] = origins.split()

producer = Producer({
    "bootstrap.servers": os.environ["CLICKTRAIL_KAFKA_BROKERS"],
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 0,
    "compression.type": "lz4",
})


def answer(status, body=None, origin=None):
    headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if origin else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return {"statusCode": status, "headers": headers, "body": json.dumps(body) if body is not None else "",
            "isBase64Encoded": False}


def handle(event, context):
    http = event.get("requestContext", {}).get("http")
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    origin = headers.get("origin", "")
    query = event.get("queryStringParameters") or {}
    site = query.get("site") or headers.get("x-clicktrail-site", "")
    if site not in SITES:
        return answer(401, {"error": "unknown_site"})
    if origin and "*" not in SITES[site] and origin not in SITES[site]:
        return answer(403, {"error": "origin_not_allowed"})
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body)
    try:
        parsed = json.loads(body)
    except ValueError:
        return answer(400, {"error": "invalid_json"}, origin)
    events = parsed.get("events", [parsed]) if isinstance(parsed, dict) else parsed
    now = int(time.time() * 1000)
    source_ip = (http or {}).get("sourceIp") or event.get("requestContext", {}).get("identity", {}).get("sourceIp", "")
    failed = []
    for e in events:
        e.setdefault("event_id", str(uuid.uuid4()))
        e.update(site=site, collector_ts=now, ip=source_ip.rsplit(".", 1)[0] + ".0", ua=headers.get("user-agent", ""))
        producer.produce(TOPIC, json.dumps(e, separators=(",", ":")), key=e.get("anonymous_id"),
                         on_delivery=lambda err, _msg: err and failed.append(err))
    left_s = context.get_remaining_time_in_millis() / 1000 - 0.1
    if producer.flush(max(left_s, 0)) > 0 or failed:
        return answer(503, {"error": "not_durable"}, origin)
    return answer(204, None, origin)
