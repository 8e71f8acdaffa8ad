#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tools/build-s3.sh — build versitygw, the S3 server the tests use (Apache-2.0,
# verifies SigV4, multipart upload), from the Go module proxy into $CT_CACHE/bin.
# Idempotent: skipped when the binary is there and was built from the pinned module
# version. Prints the binary's path on stdout.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

go_install_pinned "$VERSITYGW_BIN" github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION"
