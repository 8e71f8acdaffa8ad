#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tools/fetch-kafka.sh — lay out Apache Kafka's jars (broker + storage tool) from
# Maven Central into $CT_CACHE/kafka-<version>/libs, the way the binary
# distribution's libs/ looks, so `java -cp "libs/*" kafka.Kafka` runs a broker.
# Idempotent: a stamp file, written last, marks a complete folder; with it, this
# script does nothing and returns at once. Prints the libs folder on stdout.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

libs="$KAFKA_HOME/libs"
stamp="$KAFKA_HOME/.complete"
pom="$TOOLS_DIR/kafka/pom.xml"

# The stamp records the pom's content, so editing the pom refetches.
want="$(cksum <"$pom")"
if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
  echo "$libs"
  exit 0
fi

say "fetching Kafka $KAFKA_VERSION jars into $libs (first run only; seconds)"
# Fetch into a scratch folder and swap it in, so an interrupted run never leaves a
# half-filled libs/ that a broker would start from.
mkdir -p "$KAFKA_HOME"
tmp="$(mktemp -d "$KAFKA_HOME/libs.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mvn_jars "$pom" "$tmp" "Kafka's jars"
ls "$tmp"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null || die "kafka_2.13 jar missing after mvn"
rm -rf "$libs"
mv "$tmp" "$libs"
echo "$want" >"$stamp"
say "Kafka $KAFKA_VERSION: $(find "$libs" -name '*.jar' | wc -l) jars in $libs"
echo "$libs"
