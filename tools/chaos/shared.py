"""What the campaign takes from the end-to-end tests' helpers (tests/e2e), so that both drive the
services and the binary the same way. Nothing here is copied: it is imported from there."""

from __future__ import annotations

import random
import socket
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests" / "e2e"))

from collector import binary, free_port  # noqa: E402
from conftest import S3_NS_URI, Services, s3_request  # noqa: E402
from s3_fault_proxy import FaultProxy  # noqa: E402
from test_collector_faults import broker  # noqa: E402

__all__ = ["REPO_ROOT", "S3_NS_URI", "FaultProxy", "Services", "binary", "broker", "free_port", "restartable_port",
           "s3_request"]


def restartable_port() -> int:
    """A free port below the kernel's ephemeral range (net.ipv4.ip_local_port_range starts at 32768
    by default), for a process the campaign stops and starts again on the same port: a port the
    kernel hands out (free_port's) may meanwhile become the local end of some outgoing connection,
    and the restart then cannot listen on it."""
    low = 32768
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
    for _ in range(1000):
        port = random.randrange(max(1024, low - 12000), low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    return free_port()
