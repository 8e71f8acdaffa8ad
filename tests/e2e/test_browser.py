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

from run_harness import new_run, stored

ROOT = Path(__file__).resolve().parents[2]
BROWSER = ROOT / "tests" / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "build" / "artifacts"

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and (ROOT / "tracker" / "node_modules" / "playwright-core").exists()),
    reason="needs chromium and tracker/node_modules (./dev setup installs both)")

SCENARIOS = ["journey", "close_after_click", "offline", "two_tabs", "privacy", "opt_out", "options", "queue_cap",
             "storage_refused"]


def node(script: str, *args: str, url: str, stdin: str | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "CLICKTRAIL_URL": url, "CHROMIUM": CHROMIUM}
    return subprocess.run(["node", str(BROWSER / script), *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    r = new_run(tmp_path_factory.mktemp("browser")).start()
    yield r
    assert r.stop() == 0, r.log.read_text()[-3000:]


def checked_scenario(run, scenario: str) -> tuple[dict, list[str], list[dict]]:
    """Runs the scenario in chromium, then checks the stored events until they hold (or 20 s
    pass: requests from closing pages land a moment later, and files close within max_age).
    Returns the scenario's summary, what does not hold, and every stored event."""
    done = node("run.mjs", scenario, url=run.url)
    assert done.returncode in (0, 1) and done.stdout.strip(), done.stderr[-3000:]  # no summary: the scenario stopped
    summary = json.loads(done.stdout)
    assert summary["problems"] == [], summary["problems"]
    deadline = time.monotonic() + 20
    while True:
        events = stored(run.data)
        checked = node("check_stored.mjs", url=run.url, stdin=json.dumps({"summary": summary, "events": events}))
        failures = json.loads(checked.stdout)
        if not failures or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return summary, failures, events


def scenario_failures(run, scenario: str) -> tuple[list[str], list]:
    summary, failures, _ = checked_scenario(run, scenario)
    return failures, [(r["via"], r["status"], r["events"]) for r in summary.get("requests", [])]


def cookieless_visit(run) -> list[dict]:
    """One browser's visit to the demo with the tracker in cookieless mode (the `cookieless`
    scenario of tests/browser/scenarios.mjs: two page views, a click on each, identify() on the
    first, a click on the second while offline), checked on the browser's side (nothing stored there, no anonymous_id or session_id
    sent) and until its events are stored. Returns the visit's stored events in the order they
    happened: those whose page_url carries the scenario's marker, including the engagement
    events that left in the page-hide flush. For checks of what the collector derives in cookieless mode,
    such as one anonymous_id and one session_id for both page views."""
    summary, failures, events = checked_scenario(run, "cookieless")
    assert failures == [], f"{failures}\nrequests the browser made: {json.dumps(summary['requests'])}"
    return [e for e in events if summary["marker"] in e.get("page_url", "")]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_tracker_scenario_events_are_in_the_parquet_files(run, scenario):
    failures, requests = scenario_failures(run, scenario)
    assert failures == [], f"{failures}\nrequests the browser made: {json.dumps(requests)}"


def test_cookieless_mode_stores_nothing_in_the_browser_and_sends_no_ids(run):
    # the scenario's own checks (cookies, storage, request bodies) run inside cookieless_visit
    events = cookieless_visit(run)
    seen = [(e["type"], e["page_path"], e.get("user_id")) for e in events if e["type"] != "engagement"]
    assert seen == [("page_view", "/", None), ("click", "/", None), ("click", "/", None), ("identify", "/", "user-42"),
                    ("page_view", "/about.html", None), ("click", "/about.html", None), ("click", "/about.html", None)], seen


def test_a_cookieless_site_gives_a_visit_one_derived_anonymous_id_and_session_id(tmp_path):
    # the demo's own key, cookieless at the collector: [[sites]] replaces the demo site run adds
    config = tmp_path / "cookieless.toml"
    config.write_text('[[sites]]\nkey = "demo"\norigins = ["*"]\ncookieless = true\n\n'
                      '[enrich]\nsecret = "e2e-browser-secret-0123456789abcdef0123"\n')
    cookieless_run = new_run(tmp_path, config=config).start()
    try:
        events = cookieless_visit(cookieless_run)
        assert cookieless_run.proc.poll() is None, cookieless_run.log.read_text()[-3000:]
    finally:
        assert cookieless_run.stop() == 0, cookieless_run.log.read_text()[-3000:]
    views = [e for e in events if e["type"] == "page_view"]
    assert [e["page_path"] for e in views] == ["/", "/about.html"], views
    ids = {(e.get("anonymous_id"), e.get("session_id")) for e in views}
    assert len(ids) == 1 and None not in next(iter(ids)), ids
    anonymous_id, session_id = next(iter(ids))
    assert len(anonymous_id) == 36 and len(session_id) == 36 and anonymous_id != session_id, ids
    # the clicks, identify and the page-hide flushes of one browser are the same visitor and session
    assert {(e.get("anonymous_id"), e.get("session_id")) for e in events} == ids, \
        [(e["type"], e.get("anonymous_id"), e.get("session_id")) for e in events]


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
