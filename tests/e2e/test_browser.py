"""The tracker in a real browser (Debian's chromium, driven by playwright-core) against a real
`clicktrail run`: the scenarios of tests/browser/scenarios.mjs, checked against the events
DuckDB reads back from the Parquet files; /inspect showing a click within a second; and the
tracker's size budget."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from run_harness import new_run

ROOT = Path(__file__).resolve().parents[2]
BROWSER = ROOT / "tests" / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "build" / "artifacts"

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and (ROOT / "tracker" / "node_modules" / "playwright-core").exists()),
    reason="needs chromium and tracker/node_modules (./dev setup installs both)")

SCENARIOS = ["journey", "close_after_click", "offline", "two_tabs", "privacy", "opt_out", "options"]


def node(script: str, *args: str, url: str, stdin: str | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "CLICKTRAIL_URL": url, "CHROMIUM": CHROMIUM}
    return subprocess.run(["node", str(BROWSER / script), *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    r = new_run(tmp_path_factory.mktemp("browser")).start()
    yield r
    assert r.stop() == 0, r.log.read_text()[-3000:]


def stored(data: Path) -> list[dict]:
    """The stored events as JSON Lines would hold them, in the order they happened (client_ts:
    a page's beacon may overtake its keepalive fetch still in flight, so arrival order is not
    the session's order), timestamps as ms, props as objects, absent fields left out."""
    import duckdb
    if not list((data / "events").rglob("*.parquet")):
        return []
    rel = duckdb.connect().execute(
        f"select * exclude (year, month, day, hour, filename, file_row_number), "
        f"epoch_ms(collector_ts) as collector_ts, epoch_ms(event_ts) as event_ts, "
        f"epoch_ms(client_ts) as client_ts, epoch_ms(sent_ts) as sent_ts "
        f"from read_parquet('{data}/events/**/*.parquet', hive_partitioning=true, filename=true, file_row_number=true) "
        f"order by client_ts, collector_ts, filename, file_row_number")
    names = [d[0] for d in rel.description]
    out = []
    for row in rel.fetchall():
        e = {k: v for k, v in zip(names, row) if v is not None}
        if "props" in e:
            e["props"] = json.loads(e["props"])
        if e.get("truncated") is False:
            del e["truncated"]
        out.append(e)
    return out


def scenario_failures(run, scenario: str) -> tuple[list[str], list]:
    """Runs the scenario in chromium, then checks the stored events until they hold (or 20 s
    pass: beacons from closing pages land a moment later, and files close within max_age)."""
    done = node("run.mjs", scenario, url=run.url)
    assert done.returncode in (0, 1), done.stderr
    summary = json.loads(done.stdout)
    assert summary["problems"] == [], summary["problems"]
    deadline = time.monotonic() + 20
    while True:
        checked = node("check_stored.mjs", url=run.url, stdin=json.dumps({"summary": summary, "events": stored(run.data)}))
        failures = json.loads(checked.stdout)
        if not failures or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return failures, [(r["via"], r["status"], r["events"]) for r in summary.get("requests", [])]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_tracker_scenario_events_are_in_the_parquet_files(run, scenario):
    failures, requests = scenario_failures(run, scenario)
    assert failures == [], f"{failures}\nrequests the browser made: {json.dumps(requests)}"


def test_inspect_shows_a_click_within_a_second(run):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "inspect.png"
    done = node("inspect_shot.mjs", str(shot), url=run.url)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == 204
    assert result["shown_ms"] < 1000, result
    assert shot.stat().st_size > 10_000


def test_the_tracker_is_within_its_size_budget_and_current():
    size = subprocess.run(["node", "tracker/scripts/size.mjs"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert size.returncode == 0, size.stdout + size.stderr
    current = subprocess.run(["node", "tracker/scripts/build.mjs", "--check"], capture_output=True, text=True,
                             cwd=ROOT, timeout=120)
    assert current.returncode == 0, current.stdout + current.stderr
