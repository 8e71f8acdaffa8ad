#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tools/iceberg-rest/iceberg-rest.sh — an Iceberg REST catalog for the end-to-end tests:
# Apache Iceberg's own test server (org.apache.iceberg.rest.RESTCatalogServer, Jetty) over a
# JdbcCatalog on SQLite, writing table metadata to S3 (versitygw) through S3FileIO.
#
# Sourced by tools/services.sh after lib.sh, it defines (using STATE, LOGS, PIDS):
#   iceberg_rest_fetch                       lay out the jars of pom.xml (once); prints the folder
#   iceberg_rest_start PORT WAREHOUSE [ENDPOINT ACCESS SECRET REGION]
#                                            start afresh and wait until GET /v1/config answers;
#                                            WAREHOUSE is s3://bucket/prefix, the rest defaults to
#                                            S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
#                                            AWS_REGION; writes $STATE/iceberg-rest.env
#   iceberg_rest_launch / iceberg_rest_await start again on the existing catalog, wait for it
#   iceberg_rest_stop                        SIGTERM, then SIGKILL
#
# Run directly, for a look by hand (state in ${CLICKTRAIL_SERVICES_DIR:-<repo>/.services}):
#   tools/iceberg-rest/iceberg-rest.sh fetch
#   eval "$(tools/services.sh env)"; tools/iceberg-rest/iceberg-rest.sh start PORT s3://$S3_BUCKET/x
#   tools/iceberg-rest/iceberg-rest.sh stop
#
# The server takes its catalog properties from CATALOG_* variables: CATALOG_ is dropped, "__"
# becomes "-", "_" becomes ".", the rest is lower-cased (CATALOG_S3_PATH__STYLE__ACCESS is
# s3.path-style-access); CATALOG_REST_PORT (rest.port) is its HTTP port, on all interfaces.
set -euo pipefail
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  # shellcheck source=../lib.sh
  . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

ICEBERG_REST_POM="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pom.xml"
# One folder per dependency list, as for Kafka: checkouts with different lists don't swap
# each other's jars under a running server.
ICEBERG_REST_HOME="$CT_CACHE/iceberg-rest-$(cksum <"$ICEBERG_REST_POM" | cut -d' ' -f1)"
ICEBERG_REST_NAME=iceberg-rest

# iceberg_rest_fetch: the jars of pom.xml, once (mvn_jars_once). Prints the folder.
iceberg_rest_fetch() {
  [[ -f $ICEBERG_REST_HOME/.complete ]] ||
    say "fetching the Iceberg REST catalog's jars into $ICEBERG_REST_HOME/libs (first run only; ~50 MB)"
  mvn_jars_once "$ICEBERG_REST_HOME" "$ICEBERG_REST_POM" "the Iceberg REST catalog's jars" \
    "iceberg-open-api-*-test-fixtures.jar"
}

# iceberg_rest_configure PORT WAREHOUSE ENDPOINT ACCESS SECRET REGION: a fresh state folder
# holding the port and the server's environment (private: it has the S3 secret).
iceberg_rest_configure() {
  local port=$1 warehouse=$2 endpoint=$3 access=$4 secret=$5 region=$6
  local dir="$STATE/$ICEBERG_REST_NAME"
  [[ $warehouse == s3://* ]] || die "iceberg-rest: warehouse must be s3://bucket/prefix, not '$warehouse'"
  rm -rf "$dir" && mkdir -p "$dir/tmp"
  : >"$LOGS/$ICEBERG_REST_NAME.log"
  echo "$port" >"$dir/port"
  (
    umask 077
    # The S3 credentials go to the AWS SDK's own variables, not to s3.access-key-id and
    # s3.secret-access-key: the server logs its catalog properties, and the secret with them.
    # One JDBC connection (clients=1): SQLite serialises writers anyway, and a pool would
    # meet SQLITE_BUSY under concurrent commits.
    printf 'export %s=%q\n' \
      CATALOG_REST_PORT "$port" \
      CATALOG_WAREHOUSE "$warehouse" \
      CATALOG_URI "jdbc:sqlite:$dir/catalog.db" \
      CATALOG_CLIENTS 1 \
      CATALOG_IO__IMPL org.apache.iceberg.aws.s3.S3FileIO \
      CATALOG_S3_ENDPOINT "$endpoint" \
      CATALOG_S3_PATH__STYLE__ACCESS true \
      CATALOG_CLIENT_REGION "$region" \
      AWS_REGION "$region" \
      AWS_ACCESS_KEY_ID "$access" \
      AWS_SECRET_ACCESS_KEY "$secret" >"$dir/env"
  )
}

# iceberg_rest_launch: start the server on the state folder as it is (a restart keeps the
# catalog, whose tables point at S3 objects that must still be there).
iceberg_rest_launch() {
  local dir="$STATE/$ICEBERG_REST_NAME" libs
  [[ -f $dir/env ]] || die "iceberg-rest: not configured; use iceberg_rest_start"
  libs=$(iceberg_rest_fetch)
  (
    # Only the server's own environment: a stray CATALOG_* of the caller would become a property.
    while read -r var; do unset "$var"; done < <(compgen -e | grep '^CATALOG_' || true)
    # shellcheck disable=SC1091  # written by iceberg_rest_configure
    . "$dir/env"
    # java.io.tmpdir (where sqlite-jdbc unpacks its native library) puts $STATE on the
    # command line, which pid_alive requires.
    spawn "$PIDS/$ICEBERG_REST_NAME.pid" "$LOGS/$ICEBERG_REST_NAME.log" \
      java -Xms64m -Xmx256m -XX:+UseSerialGC -Djava.awt.headless=true \
      -Djava.io.tmpdir="$dir/tmp" -Dorg.slf4j.simpleLogger.showDateTime=true \
      "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS" \
      -cp "$libs/*" org.apache.iceberg.rest.RESTCatalogServer
  )
}

# iceberg_rest_ready PORT: the catalog answers GET /v1/config with 200.
iceberg_rest_ready() { curl -fsS -o /dev/null "http://127.0.0.1:$1/v1/config"; }

iceberg_rest_await() {
  wait_up 60 "$PIDS/$ICEBERG_REST_NAME.pid" "$LOGS/$ICEBERG_REST_NAME.log" "Iceberg REST catalog" \
    iceberg_rest_ready "$(<"$STATE/$ICEBERG_REST_NAME/port")"
}

iceberg_rest_start() {
  if pid_alive "$PIDS/$ICEBERG_REST_NAME.pid"; then
    say "$ICEBERG_REST_NAME: already running"
    return
  fi
  (($# == 2 || $# == 6)) || die "usage: iceberg_rest_start PORT WAREHOUSE [ENDPOINT ACCESS SECRET REGION]"
  local port=$1 warehouse=$2
  local endpoint=${3:-${S3_ENDPOINT:?S3_ENDPOINT unset}} access=${4:-${AWS_ACCESS_KEY_ID:?AWS_ACCESS_KEY_ID unset}}
  local secret=${5:-${AWS_SECRET_ACCESS_KEY:?AWS_SECRET_ACCESS_KEY unset}} region=${6:-${AWS_REGION:-us-east-1}}
  mkdir -p "$LOGS" "$PIDS"
  iceberg_rest_configure "$port" "$warehouse" "$endpoint" "$access" "$secret" "$region"
  iceberg_rest_launch
  iceberg_rest_await
  cat >"$STATE/$ICEBERG_REST_NAME.env" <<ENV
export ICEBERG_REST_URI=http://127.0.0.1:$port
export ICEBERG_REST_WAREHOUSE=$warehouse
ENV
}

iceberg_rest_stop() { stop_pid "$PIDS/$ICEBERG_REST_NAME.pid" "$ICEBERG_REST_NAME" 20; }

# Executed rather than sourced: a small command line over the functions above.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  STATE="$(realpath -m "${CLICKTRAIL_SERVICES_DIR:-$REPO_ROOT/.services}")"
  LOGS="$STATE/logs"
  PIDS="$STATE/pids"
  case "${1:-}" in
    fetch) iceberg_rest_fetch ;;
    start) iceberg_rest_start "${@:2}" ;;
    stop) iceberg_rest_stop ;;
    *) sed -n '/^# Run directly/,/^#$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
  esac
fi
