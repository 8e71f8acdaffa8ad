#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tools/build-s3.sh — build versitygw, the S3 server the tests use (Apache-2.0,
# verifies SigV4, multipart upload), from the Go module proxy into $CT_CACHE/bin.
# Idempotent: skipped when the binary is there and was built from the pinned module
# version. Prints the binary's path on stdout.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

module=github.com/versity/versitygw

# versitygw --version says "git" unless built by its Makefile, so ask Go's build
# info for the module version instead.
built_version() { go version -m "$VERSITYGW_BIN" 2>/dev/null | awk '$1 == "mod" { print $3 }'; }

need go "install Go >= 1.24 (Debian 12's golang is too old for versitygw)"
if [[ -x $VERSITYGW_BIN && $(built_version) == "$VERSITYGW_VERSION" ]]; then
  echo "$VERSITYGW_BIN"
  exit 0
fi

say "building versitygw $VERSITYGW_VERSION into $VERSITYGW_BIN (first run only; ~1 min on 2 cores)"
GOBIN="$(dirname "$VERSITYGW_BIN")" go install \
  "$module/cmd/versitygw@$VERSITYGW_VERSION" ||
  die "go install of versitygw failed (see above); check that the Go module proxy is reachable"
[[ $(built_version) == "$VERSITYGW_VERSION" ]] || die "built $VERSITYGW_BIN but it is not $VERSITYGW_VERSION"
echo "$VERSITYGW_BIN"
