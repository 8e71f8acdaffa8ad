"""Snowplow's and Segment's own browser trackers, unchanged, against a real `clicktrail run`: the
pages of tests/compat (build.mjs bundles @snowplow/browser-tracker 4.x and @segment/analytics-next
1.x) are served on localhost:P1 and the collector listens on localhost:P2 — same site, another
origin, as a collector on the site's subdomain — and tests/compat/visit.mjs drives them in
chromium. Each event the trackers sent is read back from the Parquet files by DuckDB exactly once,
with the fields docs/compat-snowplow.md and docs/compat-segment.md map it to; Snowplow's `sp`
cookie is set once and is the network_id of every page view; under SP-Anonymous nothing
identifies the browser. All of it twice: with the defaults, and with a collector whose
[snowplow] and [segment] settings (an alias path, the cookie's name, lifetime and domain, the
Segment prefix) are not the defaults, the trackers configured to match."""

from __future__ import annotations

import base64
import gzip
import json
import math
import os
import re
import subprocess
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from run_harness import Run, new_run, stored

ROOT = Path(__file__).resolve().parents[2]
COMPAT = ROOT / "tests" / "compat"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

SITE = "shop"
APP_ID = "shop-web"  # the Snowplow tracker's appId, listed in the site's snowplow_app_ids
WRITE_KEY = "wk-shop-browser"  # analytics.js's write key, listed in the site's segment_write_keys
REFERRER = "https://news.example.org/article?id=7"  # of each visit's first page
STORE_TIMEOUT = 20  # s for every sent event to reach Parquet (files close within max_age, 1 s)
QUIET = 1.5  # s after that, for a late repeat to land in a file too
DAY_S = 86400
MAX_SKEW_MS = 7 * DAY_S * 1000  # ingest/stamp.cc's clamp of sent_ts - client_ts

# docs/design/issue-14.md: event_id = uuid5(ns, site + "\n" + the tracker's id) for ids that are no UUIDs
SEGMENT_NS = uuid.UUID("ca0ce16b-88b8-543c-a35d-0ea05e9eebec")

TP2 = "/com.snowplowanalytics.snowplow/tp2"
CONTEXTS = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"
UNSTRUCT = "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0"
LINK_CLICK = "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1"


def missing() -> list[str]:
    return [what for what, ok in [
        (CHROMIUM, Path(CHROMIUM).exists()),
        ("tracker/node_modules (esbuild, playwright-core)", (ROOT / "tracker" / "node_modules" / "playwright-core").exists()),
        ("tests/compat/node_modules (the trackers)",
         all((COMPAT / "node_modules" / p).exists() for p in ("@snowplow/browser-tracker", "@segment/analytics-next"))),
    ] if not ok]


pytestmark = pytest.mark.skipif(bool(missing()), reason=f"needs {', '.join(missing())}; ./dev setup installs them")


# --- the two servers ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Setup:
    """A collector's compat settings (`toml`, added to its config) and what they mean for the test."""
    name: str
    toml: str = ""
    post_path: str = TP2  # the Snowplow tracker's postPath
    segment_prefix: str = "/v1"  # analytics.js's apiHost after the collector
    cookie_name: str = "sp"
    cookie_days: int = 365
    cookie_domain: str | None = None  # the Set-Cookie's Domain attribute


SETUPS = [
    Setup("defaults"),
    Setup("configured",
          toml='[snowplow]\npaths = ["/com.acme/events"]\ncookie_name = "acme_nuid"\ncookie_lifetime = "30d"\n'
               'cookie_domains = ["example.com", "localhost"]\n\n[segment]\nprefixes = ["/collect/v1"]\n',
          post_path="/com.acme/events", segment_prefix="/collect/v1", cookie_name="acme_nuid", cookie_days=30,
          cookie_domain="localhost"),
]


class PageServer:
    """build.mjs's pages and bundles on 127.0.0.1 (the browser asks for localhost), from a thread
    of the test process; `served` lists each path (with its query) it answered 200."""

    def __init__(self, directory: Path):
        self.served: list[str] = []
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def log_request(self, code="-", size="-"):
                if str(code) == "200":
                    server.served.append(self.path)

            def log_message(self, *args):  # not on the test's stderr
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(directory)))
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="compat-pages", daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("compat-pages")
    built = subprocess.run(["node", str(COMPAT / "build.mjs"), "--out", str(out)], capture_output=True, text=True,
                           cwd=ROOT, timeout=120)
    assert built.returncode == 0, built.stdout + built.stderr
    server = PageServer(out)
    yield server
    server.close()


@pytest.fixture(scope="module", params=SETUPS, ids=lambda s: s.name)
def setup(request) -> Setup:
    return request.param


@pytest.fixture(scope="module")
def run(setup, pages, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("compat-browser")
    config = tmp / "compat.toml"
    config.write_text(f'[[sites]]\nkey = "{SITE}"\norigins = ["{pages.origin}"]\n'
                      f'snowplow_app_ids = ["{APP_ID}"]\nsegment_write_keys = ["{WRITE_KEY}"]\n\n{setup.toml}')
    r = new_run(tmp, config=config).start()
    yield r
    assert r.stop() == 0, r.log.read_text()[-3000:]


# --- a visit, and what it stored -----------------------------------------------------------------

def visit(run: Run, pages: PageServer, setup: Setup, scenario: str) -> dict:
    """Runs visit.mjs's scenario against `run` and returns its report (tests/compat/visit.mjs),
    with `marker`: the ?run= of its pages. Checks that visit.mjs, the page server and the collector
    each did their part."""
    marker = uuid.uuid4().hex
    served_before = len(pages.served)
    proc = subprocess.Popen(
        ["node", str(COMPAT / "visit.mjs"), scenario, "--pages", pages.origin, "--collector", f"localhost:{run.port}",
         "--app", APP_ID, "--key", WRITE_KEY, "--marker", marker, "--referrer", REFERRER,
         "--post-path", setup.post_path, "--segment-prefix", setup.segment_prefix, "--cookie-name", setup.cookie_name],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "CHROMIUM": CHROMIUM})
    try:
        out, err = proc.communicate(timeout=150)  # visit.mjs stops itself after 90 s
    except subprocess.TimeoutExpired:
        proc.terminate()  # SIGTERM: it closes chromium and prints what it has
        out, err = proc.communicate(timeout=20)
    assert out.strip(), f"visit.mjs {scenario} printed no report (exit {proc.returncode}): {err[-3000:]}"
    report = json.loads(out)
    assert proc.returncode == 0 and report["problems"] == [], \
        f"visit.mjs {scenario} exited {proc.returncode}: {report['problems']}\n{err[-2000:]}"
    assert run.proc.poll() is None, "clicktrail run stopped: " + run.log.read_text()[-3000:]
    served = pages.served[served_before:]
    for url in report["pages"]:
        parts = urllib.parse.urlsplit(url)
        assert f"{parts.path}?{parts.query}" in served, (url, served)
    assert any(p.endswith(".js") for p in served), served
    assert report["requests"], "the trackers made no request to the collector"
    report["marker"] = marker
    return report


def bad_records(run: Run, marker: str) -> list[dict]:
    """The collector's rejected input (bad/**/*.jsonl.gz) whose raw text carries `marker`."""
    out = []
    for f in (run.data / "bad").rglob("*.jsonl.gz"):
        for line in gzip.decompress(f.read_bytes()).decode().splitlines():
            b = json.loads(line)
            if marker in base64.b64decode(b.get("raw_base64", "")).decode(errors="replace"):
                out.append(b)
    return out


def stored_once(run: Run, report: dict, ids: list[str]) -> dict[str, dict]:
    """The visit's stored events by event_id, once every id in `ids` is stored, each exactly once,
    and no other event carries the visit's marker (a repeat or a stray fails here). Rejected
    input of the visit fails it too, with its reasons."""
    marker = report["marker"]

    def mine() -> list[dict]:
        return [e for e in stored(run.data) if marker in e.get("page_url", "") or e["event_id"] in ids]

    deadline = time.monotonic() + STORE_TIMEOUT
    while not set(ids) <= {e["event_id"] for e in mine()} and time.monotonic() < deadline:
        time.sleep(0.25)
    time.sleep(QUIET)
    rows = mine()
    bad = bad_records(run, marker)
    assert bad == [], [(b.get("reason"), b.get("detail")) for b in bad]
    counts = Counter(e["event_id"] for e in rows)
    assert counts == Counter(ids), {
        "missing": sorted(set(ids) - set(counts)), "repeated": sorted(i for i, n in counts.items() if n > 1),
        "not sent": sorted(set(counts) - set(ids))}
    assert run.proc.poll() is None, "clicktrail run stopped: " + run.log.read_text()[-3000:]
    return {e["event_id"]: e for e in rows}


def answered(report: dict) -> list[dict]:
    return [r for r in report["requests"] if r["status"] is not None and 200 <= r["status"] < 300]


def check_answers_allow_the_page(report: dict, pages: PageServer) -> None:
    """Every request reached the collector and its answer lets the page read it with credentials
    (the Snowplow tracker fetches with credentials 'include', GET included): else the browser hides
    the answer and the tracker sends the events again."""
    for r in report["requests"]:
        assert r["failed"] is None and r["status"] == 200, r
        h = r["response_headers"]
        assert h.get("access-control-allow-origin") == pages.origin, r
        assert h.get("access-control-allow-credentials") == "true", r
        assert "Origin" in h.get("vary", ""), r


def event_ts_holds(e: dict) -> bool:
    """ingest/stamp.cc: event_ts = collector_ts - (sent_ts - client_ts), the span clamped to 0 … 7 days."""
    return e["event_ts"] == e["collector_ts"] - min(max(e["sent_ts"] - e["client_ts"], 0), MAX_SKEW_MS)


def columns(e: dict, expected: dict) -> dict:
    return {k: e.get(k) for k in expected}


# --- Snowplow --------------------------------------------------------------------------------------

def snowplow_sent(report: dict) -> list[dict]:
    """The tp2 events of the answered requests, in the order sent: POST payload_data members and
    GET queries."""
    out = []
    for r in answered(report):
        if r["method"] == "POST":
            out += json.loads(r["body"])["data"]
        elif r["method"] == "GET":
            out.append(dict(urllib.parse.parse_qsl(r["query"], keep_blank_values=True)))
    return out


def unbase64(text: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def decoded(e: dict, plain: str, encoded: str, schema: str):
    outer = json.loads(e[plain]) if plain in e else unbase64(e[encoded])
    assert outer["schema"] == schema, outer
    return outer["data"]


def size(text: str | None) -> tuple[int | None, int | None]:
    return tuple(int(n) for n in text.split("x")) if text else (None, None)


def snowplow_expected(e: dict) -> dict:
    """What docs/compat-snowplow.md's Fields and Types say one tp2 event of the browser tracker is
    stored as (ids, times, URL, referrer, user, sizes, props); None: absent."""
    mapped = {"e", "eid", "dtm", "stm", "duid", "sid", "uid", "nuid", "url", "refr", "page", "res", "vp", "lang", "tz",
              "ua", "ip", "co", "cx"}
    props: dict = {}
    x = {"event_id": e["eid"], "site": SITE, "client_ts": int(e["dtm"]), "sent_ts": int(e["stm"]),
         "page_url": e["url"], "page_path": urllib.parse.urlsplit(e["url"]).path or "/", "page_title": e.get("page"),
         "referrer": e.get("refr"), "user_id": e.get("uid"), "anonymous_id": e.get("duid"),
         "session_id": e.get("sid"), "locale": e.get("lang"), "timezone": e.get("tz")}
    x["screen_w"], x["screen_h"] = size(e.get("res"))
    x["viewport_w"], x["viewport_h"] = size(e.get("vp"))
    if e["e"] == "pv":
        x["type"] = "page_view"
    elif e["e"] == "pp":
        x["type"] = "page_ping"
        _, vp_h = size(e["vp"])
        _, ds_h = size(e["ds"])
        x["scroll_depth"] = min(100, math.floor(100 * (int(e["pp_may"]) + vp_h) / ds_h + 0.5))
    elif e["e"] == "se":
        x["type"] = "struct"
        mapped |= {"se_ca", "se_ac", "se_la", "se_pr", "se_va"}
        props = {"category": e["se_ca"], "action": e["se_ac"], "label": e["se_la"], "property": e["se_pr"],
                 "value": float(e["se_va"])}
    elif e["e"] == "ue":
        mapped |= {"ue_pr", "ue_px"}
        sd = decoded(e, "ue_pr", "ue_px", UNSTRUCT)
        x["type"] = sd["schema"].split("/")[1].lower()
        props = dict(sd["data"])
        if sd["schema"] == LINK_CLICK:
            x["target_href"] = props.pop("targetUrl")
            x["target_id"] = props.pop("elementId")
            x["target_classes"] = " ".join(props.pop("elementClasses"))
            x["target_text"] = props.pop("elementContent")
    else:
        raise AssertionError(f"the browser tracker sent an event of a kind this test does not know: {e}")
    kept = {k: v for k, v in e.items() if k not in mapped}
    if e["e"] == "ue":
        kept["schema"] = sd["schema"]
    if "co" in e or "cx" in e:
        kept["contexts"] = decoded(e, "co", "cx", CONTEXTS)
    x["props"] = {**props, "snowplow": kept}
    return x


@pytest.fixture(scope="module")
def snowplow_visit(run, pages, setup):
    report = visit(run, pages, setup, "snowplow_visit")
    sent = snowplow_sent(report)
    return report, sent, stored_once(run, report, [e["eid"] for e in sent])


@pytest.fixture(scope="module")
def snowplow_anonymous(run, pages, setup):
    report = visit(run, pages, setup, "snowplow_anonymous")
    sent = snowplow_sent(report)
    return report, sent, stored_once(run, report, [e["eid"] for e in sent])


def test_snowplow_events_are_stored_once_with_their_mapped_fields(snowplow_visit):
    report, sent, rows = snowplow_visit
    first, second = report["pages"]
    # what the visit sent: both pages' events, the first page's user id, a referrer on each page
    assert Counter(e["e"] for e in sent if e["url"] == first and e["e"] != "pp") == {"pv": 1, "se": 1, "ue": 2}
    assert any(e["e"] == "pp" for e in sent), "no page ping was sent"
    assert Counter(e["e"] for e in sent if e["url"] == second) == {"pv": 1, "se": 1, "ue": 1}
    assert {e.get("uid") for e in sent if e["url"] == first} == {"user-42"}
    assert {e.get("refr") for e in sent if e["url"] == first} == {REFERRER}
    assert {e.get("refr") for e in sent if e["url"] == second} == {first}
    for e in sent:
        expected = snowplow_expected(e)
        got = rows[e["eid"]]
        assert columns(got, expected) == expected, e
        assert event_ts_holds(got), got
        assert got["ip"] == "127.0.0.0", got  # the peer's address, anonymised to /24 by default
    assert {rows[e["eid"]]["type"] for e in sent} >= {"page_view", "page_ping", "struct", "button_press", "link_click"}


def test_snowplow_sends_batches_by_post_and_events_by_get_and_every_answer_allows_credentials(snowplow_visit, pages,
                                                                                               setup):
    report, _, _ = snowplow_visit
    posts = [r for r in report["requests"] if r["method"] == "POST"]
    gets = [r for r in report["requests"] if r["method"] == "GET"]
    assert {r["path"] for r in posts} == {setup.post_path} and {r["path"] for r in gets} == {"/i"}, report["requests"]
    # bufferSize 3: page view, structured and self-describing event leave together
    assert [e["e"] for e in json.loads(posts[0]["body"])["data"]] == ["pv", "se", "ue"]
    assert len(gets) == 3
    check_answers_allow_the_page(report, pages)
    for r in posts:
        assert r["response_headers"]["content-type"].startswith("text/plain"), r
    for r in gets:
        assert r["response_headers"]["content-type"] == "image/gif", r
        assert r["response_headers"]["cache-control"] == "no-cache, no-store, must-revalidate", r


def network_cookies(jar: list[dict], setup: Setup) -> list[dict]:
    return [c for c in jar if c["name"] == setup.cookie_name]


def cookie_sent(r: dict, setup: Setup) -> str | None:
    """The network id cookie's value in the request's Cookie header."""
    m = re.search(rf"(?:^|;\s*){setup.cookie_name}=([^;]*)", r["request_headers"].get("cookie", ""))
    return m.group(1) if m else None


def test_snowplow_network_id_cookie_is_set_once_and_is_the_network_id_of_both_page_views(snowplow_visit, setup):
    report, sent, rows = snowplow_visit
    jar = network_cookies(report["cookies"]["first_page"], setup)
    assert len(jar) == 1, report["cookies"]["first_page"]
    sp = jar[0]
    network_id = sp["value"]
    assert str(uuid.UUID(network_id)) == network_id, sp
    # the collector's own cookie, from the collector's host, out of the page's scripts' reach, for
    # snowplow.cookie_lifetime (chromium keeps Domain=localhost host-only: localhost has no
    # registrable domain; the Domain attribute itself is checked on the wire below)
    assert (sp["domain"], sp["path"], sp["httpOnly"], sp["secure"], sp["sameSite"]) == \
        ("localhost", "/", True, True, "None"), sp
    assert abs(sp["expires"] - (time.time() + setup.cookie_days * DAY_S)) < DAY_S, sp
    # the same cookie after the second page view: the answers renew it, never replace it
    assert [c["value"] for c in network_cookies(report["cookies"]["second_page"], setup)] == [network_id]

    # on the wire: the first request had no cookie and got one; every later one sent it back
    requests = report["requests"]
    assert cookie_sent(requests[0], setup) is None, requests[0]
    assert [cookie_sent(r, setup) for r in requests[1:]] == [network_id] * (len(requests) - 1)
    for r in requests:
        set_cookie = r["response_headers"].get("set-cookie", "")
        assert set_cookie.startswith(f"{setup.cookie_name}={network_id}; Expires="), r
        attributes = dict((a.strip().split("=") + [""])[:2] for a in set_cookie.split(";")[1:])
        assert attributes.pop("Domain", None) == setup.cookie_domain, set_cookie
        assert attributes == {"Expires": attributes["Expires"], "Path": "/", "Secure": "", "HttpOnly": "",
                              "SameSite": "None"}, set_cookie

    # stored: every event of both page views has it, the first request's included
    assert {rows[e["eid"]].get("network_id") for e in sent} == {network_id}
    assert {rows[e["eid"]]["page_url"] for e in sent} == set(report["pages"])


def test_snowplow_server_anonymisation_sets_no_cookie_and_stores_no_ip_or_network_id(snowplow_anonymous, pages, setup):
    report, sent, rows = snowplow_anonymous
    check_answers_allow_the_page(report, pages)
    assert [e["e"] for e in sent] == ["pv", "se", "pv"]
    requests = report["requests"]
    assert [r["request_headers"].get("sp-anonymous") for r in requests] == ["*"] * len(requests)
    # no cookie set, neither for a new visitor nor for one who has one already
    assert [r["response_headers"].get("set-cookie") for r in requests] == [None] * len(requests)
    assert network_cookies(report["cookies"]["first_page"], setup) == []
    seeded = report["cookies"]["seeded"][0]
    assert cookie_sent(requests[-1], setup) == seeded["value"], requests[-1]  # the collector had one to read
    [kept] = network_cookies(report["cookies"]["second_page"], setup)
    assert (kept["value"], round(kept["expires"])) == (seeded["value"], seeded["expires"]), kept
    for e in sent:
        expected = snowplow_expected(e)
        got = rows[e["eid"]]
        assert columns(got, expected) == expected, e
        assert event_ts_holds(got), got
        # the tracker sends no user, domain user or session id; the collector adds no network id,
        # no address and nothing derived from one; the user agent stays
        for name in ("network_id", "ip", "user_id", "anonymous_id", "session_id", "geo_country", "geo_asn"):
            assert name not in got, (name, got)
        assert got["ua"].startswith("Mozilla/5.0"), got


# --- Segment ---------------------------------------------------------------------------------------

def segment_sent(report: dict) -> list[tuple[dict, str | None]]:
    """The messages of the answered requests, each with its batch's sentAt (None for single calls)."""
    out = []
    for r in answered(report):
        body = json.loads(r["body"])
        out += [(m, body.get("sentAt")) for m in body["batch"]] if "batch" in body else [(body, None)]
    return out


def iso_ms(text: str) -> int:
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def without_params(url: str, names: set[str]) -> str:
    """`url` without the query parameters `names` (docs/privacy.md: the write key's `key` is one)."""
    head, _, query = url.partition("?")
    kept = [p for p in query.split("&") if p and urllib.parse.unquote(p.split("=")[0]).lower() not in names]
    return head + ("?" + "&".join(kept) if kept else "")


SEGMENT_TYPES = {"page": "page_view", "identify": "identify", "group": "group", "alias": "alias"}


def segment_expected(m: dict, batch_sent_at: str | None) -> dict:
    """What docs/compat-segment.md's Fields and Types say one analytics.js message is stored as;
    None: absent. props.segment is checked apart (it holds what has no column, as sent)."""
    page = m["context"]["page"]
    own = dict(m.get("properties") or m.get("traits") or {})
    if m["type"] == "page":  # analytics.js's copies of context.page, left out as the columns have them
        for k in ("url", "path", "title", "referrer", "search"):
            own.pop(k, None)
    return {
        "event_id": str(uuid.uuid5(SEGMENT_NS, f"{SITE}\n{m['messageId']}")),
        "type": SEGMENT_TYPES.get(m["type"]) or re.sub(r"[^a-z0-9]+", "_", m["event"].lower()).strip("_"),
        "site": SITE,
        "client_ts": iso_ms(m["timestamp"]),
        "sent_ts": iso_ms(m.get("sentAt") or batch_sent_at),
        "anonymous_id": m["anonymousId"],
        "user_id": m.get("userId"),
        "network_id": None,
        "page_url": without_params(page["url"], {"key"}),
        "page_path": page["path"],
        "page_title": page["title"],
        "referrer": page["referrer"] or None,
        "locale": m["context"]["locale"],
        "timezone": m["context"]["timezone"],
        "own_props": own,
    }


@pytest.mark.parametrize("scenario", ["segment", "segment_batching"])
def test_segment_calls_are_stored_once_with_their_mapped_fields(run, pages, setup, scenario):
    report = visit(run, pages, setup, scenario)
    sent = segment_sent(report)
    messages = [m for m, _ in sent]
    assert [m["messageId"] for m in messages] == [r["messageId"] for r in report["returned"]]
    assert [m["type"] for m in messages] == ["page", "track", "identify", "group", "alias"]
    paths = [r["path"] for r in report["requests"]]
    if scenario == "segment":
        assert paths == [f"{setup.segment_prefix}/{c}" for c in "ptiga"], paths
    else:  # batches, not one call a request
        assert set(paths) == {f"{setup.segment_prefix}/b"} and len(paths) < len(messages), paths

    check_answers_allow_the_page(report, pages)
    authorization = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
    for r in report["requests"]:
        assert r["request_headers"].get("authorization") == authorization, r
        assert "cookie" not in r["request_headers"], r  # fetch's default credentials: none cross-origin
        assert "set-cookie" not in r["response_headers"], r  # the sp cookie is Snowplow's

    rows = stored_once(run, report, [str(uuid.uuid5(SEGMENT_NS, f"{SITE}\n{m['messageId']}")) for m in messages])
    assert {m["context"]["page"]["referrer"] for m in messages} == {REFERRER}
    for m, batch_sent_at in sent:
        expected = segment_expected(m, batch_sent_at)
        own = expected.pop("own_props")
        got = rows[expected["event_id"]]
        assert columns(got, expected) == expected, m
        assert event_ts_holds(got), got
        assert got["ip"] == "127.0.0.0", got
        props = dict(got.get("props", {}))
        segment = props.pop("segment")
        assert props == own, (m, got.get("props"))
        assert segment["messageId"] == m["messageId"], segment
        for name in ("event", "name", "category", "groupId", "previousId", "integrations", "_metadata"):
            assert segment.get(name) == m.get(name), (name, segment, m)
        assert segment["context"]["library"] == m["context"]["library"], segment
        # the write key is a credential: not in props, and taken out of the page URL
        assert WRITE_KEY not in json.dumps(got), got
    assert rows[str(uuid.uuid5(SEGMENT_NS, f"{SITE}\n{messages[2]['messageId']}"))]["user_id"] == "user-42"
