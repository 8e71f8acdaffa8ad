"""A short seeded chaos campaign (tools/chaos): one round of each fault kind — collector, sink and
`run` killed, a sink frozen or its S3 requests held past its poll interval, a broker restarted, a
partition leader killed, S3 errors, resets and stalls — against both pipelines under tracker
traffic; then every acknowledged event must be in the store exactly once. `./dev chaos --rounds
100` is the long run."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

# Any seed meets every fault kind in its first 10 rounds; this one is fixed so that a failure here
# can be replayed with `./dev chaos --rounds 10 --seed 20261125`.
SEED = 20261125
ROUNDS = 10


@pytest.mark.skipif(not os.environ.get("KAFKA_CLUSTER_BOOTSTRAP"),
                    reason="needs the 3-node cluster: tools/services.sh start --kafka-cluster")
def test_a_short_campaign_keeps_every_acknowledged_event_exactly_once(services, tmp_path):
    done = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "chaos" / "chaos.py"), "--rounds", str(ROUNDS),
                           "--seed", str(SEED), "--workdir", str(tmp_path)],
                          capture_output=True, text=True, timeout=900)
    out = done.stdout
    assert done.returncode == 0, out[-30000:] + done.stderr[-5000:]
    assert f"summary: seed {SEED}, {ROUNDS} rounds" in out, out
    faults = dict(re.findall(r"([a-z0-9-]+) (\d+)", re.search(r"^faults: (.*)$", out, re.M).group(1)))
    assert set(faults.values()) == {"1"} and len(faults) == ROUNDS, faults
    # Both pipelines carried real traffic through the faults, and every event read back.
    for pipeline in ("A", "B"):
        stored = re.search(rf"^store {pipeline} .*\n  acknowledged [\d,]+: stored once ([\d,]+)", out, re.M)
        assert stored and int(stored.group(1).replace(",", "")) > 2000, out
