#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tools/services.sh — the real services the end-to-end tests run against, on 127.0.0.1:
# one Apache Kafka broker (KRaft), the versitygw S3 server with bucket clicktrail-test, an
# Iceberg REST catalog (Apache Iceberg's test server) whose tables' metadata goes to that S3,
# and on request a 3-node Kafka cluster for fault tests.
#
#   tools/services.sh start [--kafka-cluster]  fetch/build if needed, then start what isn't
#                                              running (--kafka-cluster adds the cluster)
#   tools/services.sh stop                     stop all of it, delete its data, keep logs/
#   tools/services.sh status                   one line per service: running/stopped, port
#   eval "$(tools/services.sh env)"            export KAFKA_BOOTSTRAP, S3_ENDPOINT, S3_BUCKET,
#                                              AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
#                                              AWS_REGION, ICEBERG_REST_URI,
#                                              ICEBERG_REST_WAREHOUSE, CLICKTRAIL_SERVICES_LOGS
#                                              (+ KAFKA_CLUSTER_BOOTSTRAP with the cluster)
#   tools/services.sh logs                     the tail of every log (print it when a test fails)
#   tools/services.sh kafka-broker stop|kill|start N
#                                              cluster node N (1-3): graceful stop (SIGTERM),
#                                              kill -9, or start again on its data and wait
#
# State lives in ${CLICKTRAIL_SERVICES_DIR:-<repo>/.services}: env, pids/, logs/, and one
# folder of config+data per service.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=kafka/kafka.sh
. "$TOOLS_DIR/kafka/kafka.sh"
# shellcheck source=iceberg-rest/iceberg-rest.sh
. "$TOOLS_DIR/iceberg-rest/iceberg-rest.sh"

# Absolute, as it ends up in the services' command lines (see pid_alive).
STATE="$(realpath -m "${CLICKTRAIL_SERVICES_DIR:-$REPO_ROOT/.services}")"
LOGS="$STATE/logs"
PIDS="$STATE/pids"
S3_BUCKET=clicktrail-test
S3_REGION=us-east-1

usage() { sed -n '/^#   tools\/services.sh start/,/^#$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }

# s3_request URL ACCESS SECRET CURL_ARGS...: a bodyless S3 request signed with SigV4.
# curl 7.88 doesn't send x-amz-content-sha256, which S3 requires, but signs it and
# uses it as the payload hash when given; here it is SHA-256 of the empty body.
s3_request() {
  local url=$1 access=$2 secret=$3
  shift 3
  curl -fsS --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$access:$secret" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "$@" "$url"
}

s3_start() {
  if pid_alive "$PIDS/s3.pid"; then
    say "s3: already running"
    return
  fi
  local port access=clicktrail-test secret dir="$STATE/s3"
  port=$(free_ports 1)
  # A fresh secret per start, so nothing can work by hard-coding it.
  secret=$(python3 -c 'import secrets; print(secrets.token_hex(20))')
  rm -rf "$dir" && mkdir -p "$dir/data"
  : >"$LOGS/s3.log"
  # --access/--secret make the root account: every request's signature is checked.
  # --health gives an unauthenticated GET /health to poll while it starts.
  spawn "$PIDS/s3.pid" "$LOGS/s3.log" "$VERSITYGW_BIN" --access "$access" --secret "$secret" \
    --region "$S3_REGION" --port "127.0.0.1:$port" --health /health posix "$dir/data"
  wait_up 30 "$PIDS/s3.pid" "$LOGS/s3.log" "S3 server (versitygw)" \
    curl -fsS "http://127.0.0.1:$port/health"
  s3_request "http://127.0.0.1:$port/$S3_BUCKET" "$access" "$secret" -X PUT >>"$LOGS/s3.log" ||
    die "S3 server is up but CreateBucket $S3_BUCKET failed; see $LOGS/s3.log"
  cat >"$STATE/s3.env" <<ENV
export S3_ENDPOINT=http://127.0.0.1:$port
export S3_BUCKET=$S3_BUCKET
export AWS_ACCESS_KEY_ID=$access
export AWS_SECRET_ACCESS_KEY=$secret
export AWS_REGION=$S3_REGION
ENV
}

cluster_alive() {
  pid_alive "$PIDS/kafka-cluster-1.pid" || pid_alive "$PIDS/kafka-cluster-2.pid" ||
    pid_alive "$PIDS/kafka-cluster-3.pid"
}

# The env file holds the exports of the services that are running now.
write_env() {
  {
    cat "$STATE/kafka.env" "$STATE/s3.env"
    if pid_alive "$PIDS/$ICEBERG_REST_NAME.pid"; then cat "$STATE/$ICEBERG_REST_NAME.env"; fi
    if cluster_alive; then cat "$STATE/kafka-cluster.env"; fi
    echo "export CLICKTRAIL_SERVICES_LOGS=$LOGS"
  } >"$STATE/env"
}

cmd_start() {
  local cluster=0
  case "${1:-}" in
    --kafka-cluster) cluster=1 ;;
    "") ;;
    *) usage ;;
  esac
  trap '(($? == 0)) || say "start failed (see above); more in: tools/services.sh logs; clean up with: tools/services.sh stop"' EXIT
  apt_ensure kcat kcat
  apt_ensure curl curl
  "$TOOLS_DIR/fetch-kafka.sh" >/dev/null
  "$TOOLS_DIR/build-s3.sh" >/dev/null
  iceberg_rest_fetch >/dev/null
  mkdir -p "$LOGS" "$PIDS"
  # Kafka's JVMs take seconds to come up: launch them first, start S3 meanwhile, then wait.
  kafka_single_start
  if ((cluster)); then kafka_cluster_start; fi
  s3_start
  # The catalog writes its tables' metadata to the S3 server, with its credentials.
  (
    # shellcheck disable=SC1091  # written by s3_start
    . "$STATE/s3.env"
    iceberg_rest_start "$(free_ports 1)" "s3://$S3_BUCKET/iceberg-rest"
  )
  kafka_await kafka
  if ((cluster)); then kafka_cluster_await; fi
  write_env
  say "services up; run: eval \"\$(tools/services.sh env)\""
}

cmd_stop() {
  local f
  [[ -d $PIDS ]] || { say "nothing to stop in $STATE"; return; }
  # All at once: a cluster node stopped alone would wait for a quorum that is leaving too.
  for f in "$PIDS"/*.pid; do
    [[ -e $f ]] && stop_pid "$f" "$(basename "$f" .pid)" 30 &
  done
  wait
  compgen -G "$PIDS/*.pid" >/dev/null && die "could not stop: $(ls "$PIDS"); see tools/services.sh status"
  find "$STATE" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
  say "stopped; logs kept in $LOGS"
}

# status_line NAME: port from the service's state folder (S3's from its env).
status_line() {
  local name=$1 port=""
  [[ -f $STATE/$name/port ]] && port=$(<"$STATE/$name/port")
  [[ $name == s3 && -f $STATE/s3.env ]] && port=$(sed -n 's/.*S3_ENDPOINT=.*://p' "$STATE/s3.env")
  if pid_alive "$PIDS/$name.pid"; then
    printf '%-16s running  pid %-8s 127.0.0.1:%s\n' "$name" "$(<"$PIDS/$name.pid")" "$port"
  else
    printf '%-16s stopped\n' "$name"
  fi
}

cmd_status() {
  status_line kafka
  status_line s3
  status_line "$ICEBERG_REST_NAME"
  local n
  for n in 1 2 3; do
    if [[ -d $STATE/kafka-cluster-$n ]]; then status_line "kafka-cluster-$n"; fi
  done
}

cmd_env() {
  if ! pid_alive "$PIDS/kafka.pid" || ! pid_alive "$PIDS/s3.pid"; then
    die "services are not running; start them with: ./dev services start (or tools/services.sh start)"
  fi
  write_env
  cat "$STATE/env"
}

cmd_logs() {
  local f
  for f in "$LOGS"/*.log; do
    [[ -e $f ]] || { say "no logs in $LOGS"; return; }
    printf '==> %s (last %s lines) <==\n' "$f" "${LOG_LINES:-60}"
    tail -n "${LOG_LINES:-60}" "$f"
  done
}

cmd_kafka_broker() {
  local action=${1:-} n=${2:-}
  [[ $n =~ ^[1-3]$ && -d $STATE/kafka-cluster-$n ]] ||
    die "no cluster node '$n'; start the cluster with: tools/services.sh start --kafka-cluster"
  case "$action" in
    stop) stop_pid "$PIDS/kafka-cluster-$n.pid" "kafka-cluster-$n" 30 ;;
    kill) stop_pid "$PIDS/kafka-cluster-$n.pid" "kafka-cluster-$n" 10 KILL ;;
    start)
      if pid_alive "$PIDS/kafka-cluster-$n.pid"; then
        say "kafka-cluster-$n: already running"
        return
      fi
      kafka_launch "kafka-cluster-$n"
      kafka_await "kafka-cluster-$n"
      ;;
    *) usage ;;
  esac
}

case "${1:-}" in
  start) cmd_start "${@:2}" ;;
  start-cluster) cmd_start --kafka-cluster ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  logs) cmd_logs ;;
  kafka-broker) cmd_kafka_broker "${@:2}" ;;
  *) usage ;;
esac
