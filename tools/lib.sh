# shellcheck shell=bash
# tools/lib.sh — helpers shared by the tools/ scripts; source it, don't run it.
# pid_alive and stop_pid expect STATE (the services' state folder) to be set.
#
# Versions of the real services the tests run against live here, in one place.
# Bump KAFKA_VERSION together with tools/kafka/pom.xml.
# shellcheck disable=SC2034  # the variables below are used by the sourcing scripts

KAFKA_VERSION=3.9.1
VERSITYGW_VERSION=v1.8.0
# AWS's Lambda Runtime Interface Emulator publishes no tagged module version; this is a commit.
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
# OpenTofu formats and checks deploy/terraform (tools/build-tofu.sh).
OPENTOFU_VERSION=v1.10.10

TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$TOOLS_DIR")"
# Slow downloads and builds are cached outside the tree so a fresh clone reuses them.
CT_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/clicktrail"
# One folder per dependency list (tools/kafka/pom.xml), so that checkouts with different lists —
# two branches, two worktrees — do not keep replacing each other's jars under running brokers.
KAFKA_HOME="$CT_CACHE/kafka-$KAFKA_VERSION-$(cksum <"$TOOLS_DIR/kafka/pom.xml" | cut -d' ' -f1)"
VERSITYGW_BIN="$CT_CACHE/bin/versitygw"
RIE_BIN="$CT_CACHE/bin/aws-lambda-rie"
TOFU_BIN="$CT_CACHE/bin/tofu"
TFPARSE_BIN="$CT_CACHE/bin/tfparse"

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# need CMD HINT: fail early, naming the way to get CMD, instead of failing halfway.
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found; $2"; }

# go_install_pinned BIN PACKAGE VERSION: `go install PACKAGE@VERSION` into BIN's folder, unless
# BIN is there and Go's build info says it was built from that module version. Prints BIN.
go_install_pinned() {
  local bin=$1 package=$2 version=$3
  # Go's build info, not the tool's own --version, which says "git" or nothing when built this way.
  built_version() { go version -m "$bin" 2>/dev/null | awk '$1 == "mod" { print $3 }'; }
  need go "install Go >= 1.24 (Debian 12's golang is too old)"
  if [[ -x $bin && $(built_version) == "$version" ]]; then
    echo "$bin"
    return 0
  fi
  say "building ${bin##*/} $version into $bin (first run only; about a minute on 2 cores)"
  GOBIN="$(dirname "$bin")" go install "$package@$version" ||
    die "go install of $package@$version failed (see above); check that the Go module proxy is reachable"
  [[ $(built_version) == "$version" ]] || die "built $bin but it is not $version"
  echo "$bin"
}

# apt_ensure CMD PKG: install a Debian package if its command is missing, so a new
# machine works without a manual step. apt-get update only when the install needs it.
apt_ensure() {
  command -v "$1" >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "'$1' not found; install package '$2'"
  say "installing $2 (for $1)"
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get install -y -q "$2" >/dev/null 2>&1 ||
    { "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" apt-get install -y -q "$2" >/dev/null; } ||
    die "could not apt-get install $2; install it by hand"
}

# mvn_jars POM DIR WHAT: the runtime jars of POM (a dependency list: tools/kafka/pom.xml) copied
# into DIR by Maven, from Maven Central; dies naming WHAT when Maven cannot. Maven's output is
# shown only on failure: even with -B -q, Maven 3.8 prints stray colour codes on stdout, which
# is where the callers return their paths.
mvn_jars() {
  local pom=$1 dir=$2 what=$3 out
  apt_ensure mvn maven
  apt_ensure java openjdk-17-jre-headless
  if ! out=$(mvn -B -q -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir" 2>&1); then
    printf '%s\n' "$out" >&2
    die "mvn could not fetch $what (see above); check that Maven Central is reachable"
  fi
}

# mvn_jars_once HOME POM WHAT GLOB: the jars of POM laid out once in HOME/libs, through a scratch
# folder swapped in whole and a stamp written last (with the stamp there it returns at once),
# so an interrupted fetch never leaves a half-filled libs/; dies unless a jar matching GLOB (a
# file name pattern) came with them. Prints the libs folder.
mvn_jars_once() {
  local home=$1 pom=$2 what=$3 glob=$4 libs="$1/libs" stamp="$1/.complete" tmp
  if [[ -f $stamp ]]; then
    echo "$libs"
    return 0
  fi
  mkdir -p "$home"
  # What a failed or interrupted fetch left (mvn_jars dies without cleaning up).
  rm -rf "$home"/libs.tmp.*
  tmp="$(mktemp -d "$home/libs.tmp.XXXXXX")"
  mvn_jars "$pom" "$tmp" "$what"
  if ! compgen -G "$tmp/$glob" >/dev/null; then
    rm -rf "$tmp"
    die "$glob is missing after mvn fetched $what"
  fi
  rm -rf "$libs"
  mv "$tmp" "$libs"
  date -u +%FT%TZ >"$stamp"
  echo "$libs"
}

# free_ports N: print N distinct free TCP ports on 127.0.0.1. All sockets are held
# open until every port is chosen, so the N ports can't collide with each other.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# wait_for SECONDS CMD...: retry CMD (quietly) every 0.2s until it succeeds or time runs out.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# wait_up SECONDS PIDFILE LOG NAME CMD...: wait until CMD succeeds. If the process
# dies or time runs out, show the end of its log and fail, naming the log.
wait_up() {
  local limit=$1 deadline=$((SECONDS + $1)) pidfile=$2 log=$3 name=$4
  shift 4
  until "$@" >/dev/null 2>&1; do
    if ! pid_alive "$pidfile"; then
      tail -n 30 "$log" >&2
      die "$name exited while starting; full log: $log"
    elif ((SECONDS >= deadline)); then
      tail -n 30 "$log" >&2
      die "$name did not answer within ${limit}s; full log: $log"
    fi
    sleep 0.2
  done
}

# pid_alive PIDFILE: true if the file names a live process (a zombie child that died
# while we were still starting it counts as dead) whose command line mentions $STATE:
# after a reboot the pid may belong to someone else, whom we must neither trust nor kill.
pid_alive() {
  local pid
  [[ -s $1 ]] && pid=$(<"$1") && proc_alive "$pid" &&
    [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *"$STATE"* ]]
}
proc_alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $st != Z* ]]; }
proc_gone() { ! proc_alive "$1"; }

# spawn PIDFILE LOGFILE CMD...: run CMD detached, appending to LOGFILE, and record its
# pid. Own session, so a Ctrl-C aimed at the caller doesn't reach it; no inherited
# stdio, so a caller capturing our output doesn't hang. The pid is written by the
# process itself just before exec, as setsid may or may not fork and $! can't be trusted.
spawn() {
  local pidfile=$1 log=$2
  shift 2
  rm -f "$pidfile"
  # shellcheck disable=SC2016  # $$ and $@ belong to the inner bash
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$log" 2>&1 &
  wait_for 5 test -s "$pidfile" || die "could not start $1; see $log"
}

# stop_pid PIDFILE NAME [SECONDS] [SIGNAL]: SIGTERM (or SIGNAL), then SIGKILL after
# SECONDS (default 20), wait until gone, then remove the pid file.
stop_pid() {
  local pidfile=$1 name=$2 grace=${3:-20} sig=${4:-TERM} pid
  if ! pid_alive "$pidfile"; then
    rm -f "$pidfile"
    return 0
  fi
  pid=$(<"$pidfile")
  kill "-$sig" "$pid" 2>/dev/null || true
  if ! wait_for "$grace" proc_gone "$pid"; then
    say "$name (pid $pid) ignored SIG$sig for ${grace}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for 10 proc_gone "$pid" || die "$name (pid $pid) survived SIGKILL"
  fi
  rm -f "$pidfile"
}
