"""The tracker's delivery when the collector fails, in a real chromium against real collectors:
the scenarios of tests/browser/faults.mjs, run by tests/browser/with_collector.mjs. That script
starts the demo server and three `clicktrail collect` processes on topics of their own (`good`;
`down`, whose Kafka is unreachable, for 503s; `unknown_site`, for 401s), and the demo server
passes the page's /v1/* to whichever the scenario names. Each test here then reads the good
collector's topic from Kafka itself and counts the scenario's events by event_id: stored
exactly once, or not at all."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from collector import binary
from records import read_topic

ROOT = Path(__file__).resolve().parents[2]
BROWSER = ROOT / "tests" / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FAULTS = ["retry_after_503", "drop_on_4xx", "leave_while_sending", "hidden_503_next_load"]

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and (ROOT / "tracker" / "node_modules" / "playwright-core").exists()),
    reason="needs chromium and tracker/node_modules (./dev setup installs both)")


@pytest.fixture(scope="module")
def outcome(services) -> tuple[dict, list[dict]]:
    """Runs the fault scenarios once. Returns with_collector.mjs's report of each scenario, by
    name, and every event in the good collector's topic."""
    env = {**os.environ, "CLICKTRAIL_BIN": binary(), "KAFKA_BOOTSTRAP": services.kafka_bootstrap,
           "CHROMIUM": CHROMIUM}
    done = subprocess.run(["node", str(BROWSER / "with_collector.mjs"), *FAULTS], capture_output=True, text=True,
                          timeout=600, env=env, cwd=ROOT)
    assert done.stdout.strip(), f"with_collector.mjs printed no report (exit {done.returncode}):\n{done.stderr[-3000:]}"
    report = json.loads(done.stdout)
    topic = read_topic(services.kafka_bootstrap, report["topic"])
    return {s["scenario"]: s for s in report["scenarios"]}, [r.event() for r in topic]


def checked(outcome, name: str) -> tuple[dict, Counter]:
    """The scenario's summary, once its own checks (in the browser, and of the topic against its
    `expect`) have passed; and how many times the topic holds each event_id. No event of the
    scenario's browser may be stored twice."""
    report, events = outcome
    scenario = report[name]
    summary = scenario["summary"] or {}
    assert scenario["failures"] == [], f"{scenario['failures']}\nrequests: {json.dumps(summary.get('requests'))}"
    stored = Counter(e["event_id"] for e in events)
    mine = Counter(e["event_id"] for e in events if e.get("anonymous_id") == summary["anonymous_ids"][0])
    assert [id for id, n in mine.items() if n > 1] == []
    return summary, stored


def tries_of(summary: dict, ids: list[str]) -> list[dict]:
    """The requests the browser made that carried any of these events (a request lists its
    events as "type event_id")."""
    return [r for r in summary["requests"] if any(e.split()[1] in ids for e in r["events"])]


def test_a_batch_answered_503_is_retried_no_sooner_than_retry_after_and_stored_once(outcome):
    summary, stored = checked(outcome, "retry_after_503")
    ids = summary["expect"]["once"]
    assert len(ids) == 3
    assert {id: stored[id] for id in ids} == {id: 1 for id in ids}
    tries = summary["attempts"]
    assert [t["status"] for t in tries] == [503, 503, 204], tries
    for before, after in zip(tries, tries[1:]):
        # 250 ms of slack: the browser saw the answer a moment before this test's observer did
        assert after["at"] - before["answered_at"] >= int(before["retry_after"]) * 1000 - 250, tries


def test_a_batch_refused_with_401_is_sent_once_and_dropped(outcome):
    summary, stored = checked(outcome, "drop_on_4xx")
    refused, after = summary["expect"]["absent_event_ids"], summary["expect"]["once"]
    assert len(refused) == 2 and len(after) == 1
    assert {id: stored[id] for id in refused + after} == {refused[0]: 0, refused[1]: 0, after[0]: 1}
    assert [r["status"] for r in tries_of(summary, refused)] == [401]


def test_a_batch_in_flight_when_the_page_leaves_is_stored_once_and_not_sent_again(outcome):
    summary, stored = checked(outcome, "leave_while_sending")
    # the 9 events tracked, and the click on the link that sent them with it as the page left
    ids = summary["batch_event_ids"]
    assert len(ids) == 10 and set(summary["in_flight_ids"]) < set(ids)
    assert {id: stored[id] for id in ids} == {id: 1 for id in ids}
    # in one request, which the page saw fail as it left and the browser delivered
    assert len(tries_of(summary, ids)) == 1, tries_of(summary, ids)


def test_a_page_hide_flush_answered_503_is_sent_again_by_the_next_page_load_and_stored_once(outcome):
    summary, stored = checked(outcome, "hidden_503_next_load")
    ids = summary["resent_event_ids"]
    assert len(ids) == 3
    assert {id: stored[id] for id in ids} == {id: 1 for id in ids}
    tries = summary["attempts"]
    assert [(t["via"], t["status"]) for t in tries] == [("fetch", 503), ("fetch", 204)], tries
    # sent again as they were tracked: on the first page, not on the page that sent them
    _, events = outcome
    first_page = f"{summary['base_url']}/?run={summary['marker']}"
    assert {(e["event_id"], e["type"], e["page_url"]) for e in events if e["event_id"] in ids} == \
        {(id, "sent_on_hide", first_page) for id in ids}
