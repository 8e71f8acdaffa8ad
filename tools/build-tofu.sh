#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tools/build-tofu.sh — build OpenTofu (MPL-2.0), which checks that deploy/terraform is formatted
# (`tofu fmt -check`), from the Go module proxy into $CT_CACHE/bin. Idempotent: skipped when the
# binary is there and says it is the pinned version. Prints the binary's path on stdout.
#
# `go install …/cmd/tofu@VERSION` refuses OpenTofu: its go.mod has a replace directive (its own
# fork of hashicorp/hcl), which `go install pkg@version` does not allow. So the module is
# downloaded and built as the main module, where the replace applies, as its own release does.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# TF_CLI_CONFIG_FILE may name a file that does not exist, which makes every command warn.
built_version() { TF_CLI_CONFIG_FILE=/dev/null CHECKPOINT_DISABLE=1 "$TOFU_BIN" version 2>/dev/null | head -n 1; }

if [[ -x $TOFU_BIN && $(built_version) == "OpenTofu $OPENTOFU_VERSION" ]]; then
  echo "$TOFU_BIN"
  exit 0
fi
need go "install Go >= 1.24 (Debian 12's golang is too old)"
say "building OpenTofu $OPENTOFU_VERSION into $TOFU_BIN (first run only; about 4 minutes on 2 cores)"
src=$(go mod download -json "github.com/opentofu/opentofu@$OPENTOFU_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
[[ -n $src && -f $src/go.mod ]] ||
  die "could not download github.com/opentofu/opentofu@$OPENTOFU_VERSION; check that the Go module proxy is reachable"

mkdir -p "$(dirname "$TOFU_BIN")"
tmp="$TOFU_BIN.tmp.$$"
trap 'rm -f "$tmp"' EXIT
# version.dev=no drops the "-dev" suffix that a build outside OpenTofu's release pipeline gets;
# -s -w leaves out the symbol tables (126 MB → about 90 MB), which nobody debugs here.
(cd "$src" && go build -trimpath -o "$tmp" \
  -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" ./cmd/tofu) ||
  die "building OpenTofu failed (see above)"
mv -f "$tmp" "$TOFU_BIN"
[[ $(built_version) == "OpenTofu $OPENTOFU_VERSION" ]] || die "built $TOFU_BIN but it is not $OPENTOFU_VERSION"
echo "$TOFU_BIN"
