"""What the campaign takes from the end-to-end tests' helpers (tests/e2e), so that both drive the
services and the binary the same way. Nothing here is copied: it is imported from there."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests" / "e2e"))

from collector import binary, free_port  # noqa: E402
from conftest import S3_NS_URI, Services, s3_request  # noqa: E402
from s3_fault_proxy import FaultProxy  # noqa: E402
from test_collector_faults import broker  # noqa: E402

__all__ = ["REPO_ROOT", "S3_NS_URI", "FaultProxy", "Services", "binary", "broker", "free_port", "s3_request"]
