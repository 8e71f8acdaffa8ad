"""A real systemd, booted as PID 1 of its own PID, mount and cgroup namespaces, to start, stop
and inspect deploy/systemd's units as a VM would.

This machine's PID 1 is not systemd, so `systemctl` has nobody to talk to. What systemd-nspawn
does for a container is done here by hand (nspawn is not in Debian's `systemd` package):

- The root file system is an overlay: this machine's / read-only below, a tmpfs above. The units,
  the config, the binary (copied to /usr/local/bin/clicktrail, where the units expect it) and the
  user made by systemd-sysusers exist only in the overlay, and vanish with it.
- The overlay's systemd sees no unit that touches the machine: every *.wants folder is hidden
  (udev, tmpfiles, getty, …), and it boots into an empty target. journald runs, for the logs.
- It gets a cgroup2 tree of its own, below a fresh cgroup of this machine that the caller
  removes afterwards, and its own /proc, /sys, /run and /tmp. The network is shared, so the
  units reach the Kafka broker and the S3 server on loopback, and the test reaches them.

Everything runs in the namespaces' PID 1 tree: killing it ends every process in them.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from conftest import wait_for

# Units of the host's OS that the booted systemd may still start: journald, for `journalctl`.
JOURNALD = ("systemd-journald.socket", "systemd-journald-dev-log.socket")
TARGET = "clicktrail-test.target"


def unavailable() -> str | None:
    """Why a systemd cannot be booted here, or None."""
    if os.geteuid() != 0:
        return "booting systemd in namespaces needs root"
    for tool in ("unshare", "nsenter", "systemd-analyze", "systemd-sysusers"):
        if not shutil.which(tool):
            return f"'{tool}' not found (Debian packages util-linux and systemd)"
    if not Path("/lib/systemd/systemd").exists():
        return "/lib/systemd/systemd not found (Debian package systemd)"
    if "overlay" not in Path("/proc/filesystems").read_text():
        return "the kernel has no overlay file system"
    if not Path("/sys/fs/cgroup/unified/cgroup.procs").exists() and not Path("/sys/fs/cgroup/cgroup.procs").exists():
        return "no cgroup2 hierarchy is mounted"
    return None


def _cgroup2_root() -> Path:
    # A hybrid layout mounts cgroup2 at /sys/fs/cgroup/unified, a pure one at /sys/fs/cgroup.
    hybrid = Path("/sys/fs/cgroup/unified")
    return hybrid if (hybrid / "cgroup.procs").exists() else Path("/sys/fs/cgroup")


# The script that runs as the namespaces' first process: it builds the overlay root, installs
# what `install` lists into it, then becomes systemd. $1: work folder; $2: install script.
_BOOT = r"""
set -euo pipefail
work=$1
mount -t tmpfs -o mode=0755 ct-systemd "$work"
mkdir -p "$work/upper" "$work/work" "$work/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$work/upper,workdir=$work/work" "$work/root"
root=$work/root
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
# Mounted inside the cgroup namespace, cgroup2 shows only this run's subtree.
mount -t cgroup2 cgroup2 "$root/sys/fs/cgroup"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=0755 tmpfs "$root/run"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
# Nothing of the host's own boot: no target pulls anything in but journald and our units.
rm -rf "$root"/etc/systemd/system/*.wants "$root"/lib/systemd/system/*.wants \
  "$root"/usr/lib/systemd/system/*.wants
mkdir -p "$root/etc/systemd/system/sockets.target.wants"
for unit in {journald}; do
  ln -s "/lib/systemd/system/$unit" "$root/etc/systemd/system/sockets.target.wants/$unit"
done
printf '[Unit]\nDescription=clicktrail systemd test\nWants=sockets.target\n' \
  >"$root/etc/systemd/system/{target}"
ROOT=$root bash "$2"
echo booted >"$work/../booted"
cd "$root"
mkdir -p .host
pivot_root . .host
umount -l /.host
# Debug level: the journal then records how each main process exited (a clean exit is logged
# only at debug level), which the tests check after `systemctl stop`.
exec env container=clicktrail-test /lib/systemd/systemd --unit={target} --log-target=journal \
  --log-level=debug
""".replace("{journald}", " ".join(JOURNALD)).replace("{target}", TARGET)


class BootedSystemd:
    """A systemd in namespaces; `install` is a bash script run with $ROOT set to the overlay
    root before systemd starts (copy units, config and binary there). Use as a context
    manager; `run` executes a command inside."""

    def __init__(self, install: str, log: Path):
        self.install = install
        self.log = log
        self.dir = Path(tempfile.mkdtemp(prefix="ct-systemd-"))
        self.cgroup = _cgroup2_root() / f"clicktrail-test-{uuid.uuid4().hex[:12]}"
        self.proc: subprocess.Popen | None = None
        self.pid1: int | None = None

    def __enter__(self) -> "BootedSystemd":
        (self.dir / "mnt").mkdir()
        (self.dir / "boot.sh").write_text(_BOOT)
        (self.dir / "install.sh").write_text("set -euo pipefail\n" + self.install)
        self.cgroup.mkdir()
        # The launcher moves itself into the fresh cgroup, then unshares: that cgroup becomes
        # the root of the new cgroup namespace, so systemd's whole tree lands below it.
        launcher = (f"echo $$ >{self.cgroup}/cgroup.procs && exec unshare --pid --fork --mount "
                    f"--cgroup --propagation private --kill-child=SIGKILL bash {self.dir}/boot.sh "
                    f"{self.dir}/mnt {self.dir}/install.sh")
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(["bash", "-c", launcher], stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self.pid1 = wait_for(self._find_pid1, 30, f"systemd did not start; see {self.log}")
            # "degraded" is fine (a host unit may fail in here); "starting" is not done yet.
            wait_for(lambda: self.run(["systemctl", "is-system-running"], check=False).stdout.strip()
                     in ("running", "degraded"), 60, f"systemd did not finish booting; see {self.log}")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _find_pid1(self) -> int | None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"the systemd launcher exited with {self.proc.returncode}; see {self.log}:\n"
                                 + self.log.read_text(errors="replace")[-3000:])
        if not (self.dir / "booted").exists():
            return None
        # The launcher exec'd unshare, whose one child is the namespaces' PID 1.
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except FileNotFoundError:
            return None
        if not children:
            return None
        pid = int(children[0])
        # Still the boot script until it execs systemd.
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            return None
        return pid if exe.endswith("/systemd") else None

    def run(self, args: list[str], check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Runs `args` inside the namespaces, as root, with the overlay as its root."""
        assert self.pid1 is not None
        cmd = ["nsenter", "-t", str(self.pid1), "-m", "-p", "-r", "--", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"{shlex.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
        return proc

    def show(self, unit: str, *props: str) -> dict[str, str]:
        out = self.run(["systemctl", "show", unit, *(f"--property={p}" for p in props)]).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def journal(self, unit: str, lines: int = 60) -> str:
        return self.run(["journalctl", "--no-pager", "-o", "cat", "-n", str(lines), "-u", unit], check=False).stdout

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            # PID 1 of a PID namespace: when it dies, the kernel kills everything in it.
            if self.pid1 is not None:
                try:
                    os.kill(self.pid1, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=30)
        # The cgroups systemd made below ours can go once their processes are gone.
        deadline = time.monotonic() + 10
        while self.cgroup.exists():
            for d in sorted((p for p in self.cgroup.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
                try:
                    d.rmdir()
                except OSError:
                    pass
            try:
                self.cgroup.rmdir()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        shutil.rmtree(self.dir, ignore_errors=True)
