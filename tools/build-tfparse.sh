#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tools/build-tfparse.sh — build tools/tfparse (HashiCorp's HCL parser, from the Go module proxy,
# turning deploy/terraform into JSON for tests/e2e/test_terraform.py) into $CT_CACHE/bin.
# Idempotent: rebuilt only when its sources change (their hash is kept beside the binary).
# Prints the binary's path on stdout.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="$TOOLS_DIR/tfparse"
sum=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -d' ' -f1)
if [[ -x $TFPARSE_BIN && -f $TFPARSE_BIN.sha256 && $(<"$TFPARSE_BIN.sha256") == "$sum" ]]; then
  echo "$TFPARSE_BIN"
  exit 0
fi
need go "install Go >= 1.24 (Debian 12's golang is too old)"
say "building tfparse into $TFPARSE_BIN (first run only; a few seconds once its modules are downloaded)"
mkdir -p "$(dirname "$TFPARSE_BIN")"
(cd "$src" && go build -trimpath -o "$TFPARSE_BIN.tmp" .) ||
  die "building tools/tfparse failed (see above); check that the Go module proxy is reachable"
mv -f "$TFPARSE_BIN.tmp" "$TFPARSE_BIN"
echo "$sum" >"$TFPARSE_BIN.sha256"
echo "$TFPARSE_BIN"
