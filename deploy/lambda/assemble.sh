#!/usr/bin/env bash
# deploy/lambda/assemble.sh — lay out the Lambda function's file tree, the same one the
# Dockerfile copies onto the provided.al2023 base image, without Docker:
#
#   deploy/lambda/assemble.sh BINARY OUT_DIR [CONFIG_TOML]
#
#   OUT_DIR/var/runtime/bootstrap      the runtime's entry point (deploy/lambda/bootstrap)
#   OUT_DIR/var/task/bin/clicktrail    BINARY, without its debug sections
#   OUT_DIR/var/task/lib/              every shared library BINARY loads, the C library and its
#                                      loader included, as found by ldd on this machine, and
#                                      libcurl's, which S3 loads on first use (the Terraform
#                                      deployment runs the sink from this same tree)
#   OUT_DIR/var/task/clicktrail.toml   CONFIG_TOML, when given
#
# The tests run the emulator on OUT_DIR/var/runtime/bootstrap; an image is
# `FROM public.ecr.aws/lambda/provided:al2023` + `COPY OUT_DIR/ /`. OUT_DIR is replaced.
set -euo pipefail

die() { printf 'assemble.sh: error: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 2 || $# -eq 3 ]] || die "usage: deploy/lambda/assemble.sh BINARY OUT_DIR [CONFIG_TOML]"
binary=$1 out=$2 config=${3:-}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ -x $binary ]] || die "'$binary' is not an executable; build it first: ./dev build release"
[[ -z $config || -f $config ]] || die "config file '$config' does not exist"
command -v ldd >/dev/null || die "ldd not found (package libc-bin)"

rm -rf "$out"
mkdir -p "$out/var/runtime" "$out/var/task/bin" "$out/var/task/lib/sasl2"  # sasl2: see bootstrap
install -m 0755 "$here/bootstrap" "$out/var/runtime/bootstrap"
# Debug sections are a third of an unstripped build and only slow the image's pull.
objcopy --strip-debug "$binary" "$out/var/task/bin/clicktrail"
[[ -n $config ]] && install -m 0644 "$config" "$out/var/task/clicktrail.toml"

# "libx.so.1 => /path (0x…)" and the loader's "/lib64/ld-linux-x86-64.so.2 (0x…)".
needed() { ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'; }
# awk reads to the end: an early exit would kill ldconfig with SIGPIPE, which pipefail reports.
curl=$("$(command -v ldconfig || echo /sbin/ldconfig)" -p |
  awk '$1 == "libcurl.so.4" && /x86-64/ && !found { found = $NF } END { print found }')
[[ -n $curl ]] || die "libcurl.so.4 not found (package libcurl4); clicktrail loads it for S3"
libs=$( (needed "$binary"; echo "$curl"; needed "$curl") | sort -u)
[[ -n $libs ]] || die "ldd found no shared libraries in '$binary'; is it a dynamically linked x86-64 ELF?"
while read -r lib; do
  cp -L "$lib" "$out/var/task/lib/$(basename "$lib")"
done <<<"$libs"
[[ -f $out/var/task/lib/ld-linux-x86-64.so.2 ]] || die "no ld-linux-x86-64.so.2 among '$binary''s libraries"
chmod 0755 "$out/var/task/lib/ld-linux-x86-64.so.2"
du -sh "$out" | awk '{ print "assemble.sh: " $1 " in " $2 }' >&2
