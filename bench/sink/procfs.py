"""What /proc says of a process, for the sink benchmark's two measured runs (ours and the peer's)."""

from pathlib import Path


def high_water_kib(pid: int) -> int:
    """The process's peak resident set (VmHWM) in KiB; 0 once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
