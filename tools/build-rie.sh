#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tools/build-rie.sh — build AWS's Lambda Runtime Interface Emulator (Apache-2.0), which the
# Lambda tests and bench/lambda run `clicktrail lambda` under, from the Go module proxy into
# $CT_CACHE/bin. Idempotent, like build-s3.sh. Prints the binary's path on stdout.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

go_install_pinned "$RIE_BIN" github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie "$RIE_VERSION"
