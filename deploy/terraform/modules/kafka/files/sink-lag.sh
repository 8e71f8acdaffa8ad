#!/bin/bash
# clicktrail-sink-lag — run every minute by clicktrail-sink-lag.timer on the hosts of
# deploy/terraform/modules/kafka: sums the sink's clicktrail_sink_lag_records gauges (records not
# yet consumed, one per partition it owns; src/sink/probe.h) from its /metrics, and puts the sum
# into CloudWatch as $NAMESPACE SinkLagRecords, dimension Deployment=$DEPLOYMENT, through the
# network module's monitoring endpoint. The alarms module's sink-lag alarm watches it.
#
# A sink that does not answer, or owns no partition, sends nothing: the alarm counts the missing
# data as breaching, so a dead sink alarms like a stuck one.
#
# Settings, from /etc/clicktrail/sink-lag.env: NAMESPACE, DEPLOYMENT, AWS_REGION, and METRICS_URL
# (the sink's sink.listen, http://127.0.0.1:8081/metrics unless set).
set -euo pipefail

url=${METRICS_URL:-http://127.0.0.1:8081/metrics}
: "${NAMESPACE:?is not set (/etc/clicktrail/sink-lag.env)}"
: "${DEPLOYMENT:?is not set (/etc/clicktrail/sink-lag.env)}"
: "${AWS_REGION:?is not set (/etc/clicktrail/sink-lag.env)}"

if ! metrics=$(curl -fsS --max-time 10 "$url"); then
  echo "clicktrail-sink-lag: the sink did not answer at $url; nothing sent (the alarm counts that as breaching)" >&2
  exit 1
fi

# Exposition lines: clicktrail_sink_lag_records{topic="…",partition="0"} 42. Topic names hold no
# '}' or space, so the value is the first field after the labels. Prints nothing without a series.
lag=$(awk '/^clicktrail_sink_lag_records[{ ]/ { sub(/^[^ {]*(\{[^}]*\})? */, ""); sum += $1; n++ }
           END { if (n) printf "%.0f\n", sum }' <<<"$metrics")
if [ -z "$lag" ]; then
  echo "clicktrail-sink-lag: the sink owns no partition yet; nothing sent" >&2
  exit 0
fi

# Short timeouts and two tries: the next run is a minute away, and a missed minute is harmless.
AWS_MAX_ATTEMPTS=2 aws cloudwatch put-metric-data --region "$AWS_REGION" \
  --cli-connect-timeout 5 --cli-read-timeout 10 \
  --namespace "$NAMESPACE" --metric-name SinkLagRecords \
  --dimensions "Deployment=$DEPLOYMENT" --value "$lag" --unit Count
