#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# bench/sink/connect/connect.sh — the sink benchmark's peer: Kafka Connect standalone with Apache
# Iceberg's sink connector, the jars of pom.xml on one class path (no plugin.path: one connector,
# nothing to isolate), started as bin/connect-standalone.sh starts it (its heap and GC flags).
# bench/sink/peer.py writes the worker's and the connector's properties into a run folder and
# drives this:
#   connect.sh fetch        lay out the jars (once, into the cache); prints the folder
#   connect.sh start DIR    ConnectStandalone DIR/worker.properties DIR/connector.properties,
#                           logging to DIR/connect.log, its pid in DIR/connect.pid; returns once
#                           the worker's REST API (worker.properties' listeners) answers
#   connect.sh stop DIR     SIGTERM (Connect stops its tasks and leaves), then SIGKILL
set -euo pipefail
# shellcheck source=../../../tools/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../../tools/lib.sh"

CONNECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CONNECT_POM="$CONNECT_DIR/pom.xml"
# One folder per dependency list, as for Kafka and the REST catalog.
CONNECT_HOME="$CT_CACHE/connect-iceberg-$(cksum <"$CONNECT_POM" | cut -d' ' -f1)"

# connect_fetch: the jars of pom.xml, once (mvn_jars_once). Prints the folder.
connect_fetch() {
  [[ -f $CONNECT_HOME/.complete ]] ||
    say "fetching Kafka Connect and Iceberg's sink connector into $CONNECT_HOME/libs (first run only; ~72 MB)"
  mvn_jars_once "$CONNECT_HOME" "$CONNECT_POM" "Kafka Connect and Iceberg's sink connector" \
    "iceberg-kafka-connect-[0-9]*.jar"
}

# connect_rest_url DIR: the worker's REST API, from worker.properties' listeners.
connect_rest_url() { sed -n 's/^listeners=//p' "$1/worker.properties"; }

connect_start() {
  local dir=$1 libs
  [[ -f $dir/worker.properties && -f $dir/connector.properties ]] ||
    die "$dir must hold worker.properties and connector.properties"
  libs=$(connect_fetch)
  # The flags of Kafka's bin/connect-standalone.sh and kafka-run-class.sh (KAFKA_HEAP_OPTS,
  # KAFKA_JVM_PERFORMANCE_OPTS), so the peer runs as its users run it. DIR is on the command
  # line (the properties), which pid_alive requires.
  spawn "$dir/connect.pid" "$dir/connect.log" \
    java -Xms256M -Xmx2G -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 \
    -Djava.awt.headless=true -Dlog4j.configuration="file:$CONNECT_DIR/log4j.properties" \
    -cp "$libs/*" org.apache.kafka.connect.cli.ConnectStandalone \
    "$dir/worker.properties" "$dir/connector.properties"
  wait_up 120 "$dir/connect.pid" "$dir/connect.log" "Kafka Connect" \
    curl -fsS -o /dev/null "$(connect_rest_url "$dir")/"
}

connect_stop() { stop_pid "$1/connect.pid" "Kafka Connect" 30; }

case "${1:-}" in
  fetch) connect_fetch ;;
  start | stop)
    (($# == 2)) || die "usage: ${0##*/} $1 DIR"
    # pid_alive and stop_pid trust a pid whose command line names $STATE: the run folder.
    STATE="$(realpath "$2")"
    "connect_$1" "$STATE"
    ;;
  *) sed -n '/^# bench\/sink\/peer.py writes/,/^set -euo/{/^set/d;s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
