#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tools/install-checkov.sh — install checkov, the static checker that tests/e2e/test_checkov.py
# runs over deploy/, from PyPI into a virtualenv of its own under $CT_CACHE: its pins conflict
# with .venv's (tools/checkov/requirements.txt says which). Idempotent: one virtualenv per
# version of the requirements file, reused once complete. Prints checkov's path on stdout.
#
#   tools/install-checkov.sh              install it if missing; print its path
#   tools/install-checkov.sh --installed  print its path if installed, else exit 1 quietly
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

requirements="$TOOLS_DIR/checkov/requirements.txt"
# Named by the requirements' checksum, as Kafka's folder is by its pom: checkouts with different
# pins (two branches, two worktrees) each keep their own instead of rebuilding each other's.
venv="$CT_CACHE/checkov-$(cksum <"$requirements" | cut -d' ' -f1)"
checkov="$venv/bin/checkov"
# Written last: a virtualenv without it is an interrupted install, redone from scratch.
complete="$venv/.complete"

# The interpreter check catches a virtualenv whose python3 was upgraded away from under it.
if [[ -f $complete && -x $checkov ]] && "$venv/bin/python" -c '' 2>/dev/null; then
  echo "$checkov"
  exit 0
fi
[[ ${1:-} == --installed ]] && exit 1

need python3 "install python3 (3.11)"
python3 -c 'import venv' 2>/dev/null || die "python3 has no venv module; apt-get install python3-venv"
say "installing checkov into $venv (first run only; about a minute)"
rm -rf "$venv"
python3 -m venv "$venv"
# pip's output only on failure, so that a CI log shows the one line above.
if ! out=$("$venv/bin/pip" install -q --disable-pip-version-check --no-input --root-user-action=ignore \
  -r "$requirements" 2>&1); then
  printf '%s\n' "$out" >&2
  rm -rf "$venv"
  die "pip could not install tools/checkov/requirements.txt (see above); check that PyPI is reachable"
fi
touch "$complete"
echo "$checkov"
