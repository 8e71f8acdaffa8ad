"""The wire shapes of Snowplow's and Segment's own trackers, which clicktrail's compat routes and
decoders rely on (docs/compat-snowplow.md, docs/compat-segment.md).

tests/compat/fixtures/*.json are captured from the real libraries (tests/compat/capture.mjs) and
committed, for the C++ unit tests. Here every committed fixture is checked against the shapes we
rely on, and a fresh capture from the installed libraries (pinned by tests/compat/package-lock.json)
must show the same shapes: a version bump that changes a path, a header or a parameter fails
here, and the fixtures are regenerated (tests/compat/README.md)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPAT = ROOT / "tests" / "compat"
FIXTURES = COMPAT / "fixtures"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
KEY = "demo-write-key"
TP2 = "/com.snowplowanalytics.snowplow/tp2"
PAYLOAD_DATA = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"
CONTEXTS = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"
UNSTRUCT = "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0"
LINK_CLICK = "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1"

NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def posts(f: dict) -> list[dict]:
    return [r for r in f["requests"] if r["method"] == "POST"]


def snowplow_events(f: dict) -> list[dict]:
    out = []
    for r in f["requests"]:
        if r["method"] == "POST":
            out += json.loads(r["body"])["data"]
        elif r["method"] == "GET":
            out.append(dict(urllib.parse.parse_qsl(r["query"], keep_blank_values=True)))
    return out


def segment_messages(f: dict) -> list[dict]:
    out = []
    for r in posts(f):
        body = json.loads(r["body"])
        out += body.get("batch", [body])
    return out


def unbase64url(text: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def self_describing(e: dict) -> dict:
    """The self-describing event inside ue_pr (plain) or ue_px (base64url)."""
    outer = json.loads(e["ue_pr"]) if "ue_pr" in e else unbase64url(e["ue_px"])
    assert outer["schema"] == UNSTRUCT, outer
    return outer["data"]


def contexts(e: dict) -> list[dict]:
    outer = json.loads(e["co"]) if "co" in e else unbase64url(e["cx"])
    assert outer["schema"] == CONTEXTS, outer
    return outer["data"]


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


# --- what each capture must show -----------------------------------------------------------------

def check_tp2_posts(f: dict, path: str = TP2) -> list[dict]:
    """Every request is a preflight or a POST of payload_data to `path`; returns the events."""
    assert {(r["method"], r["path"]) for r in f["requests"]} <= {("OPTIONS", path), ("POST", path)}
    for r in posts(f):
        assert r["headers"]["content-type"] == "application/json; charset=UTF-8"
        body = json.loads(r["body"])
        assert body["schema"] == PAYLOAD_DATA and body["data"], body
        for e in body["data"]:
            assert all(isinstance(v, str) for v in e.values()), e  # preparePostBody: all strings
            assert "stm" in e and "eid" in e and "e" in e and e["aid"] == "demo", e
    return snowplow_events(f)


def check_browser_event(e: dict) -> None:
    assert e["p"] == "web" and e["tv"] == "js-4.10.1" and e["tna"] == "sp", e
    assert [c["schema"] for c in contexts(e)] == ["iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0"]
    assert e["url"].startswith("http://localhost:") and "res" in e and "vp" in e and "dtm" in e, e


def check_snowplow_browser_post(f: dict) -> None:
    events = check_tp2_posts(f)
    kinds = [e["e"] for e in events]
    assert kinds[:4] == ["pv", "se", "ue", "ue"] and set(kinds[4:]) == {"pp"}, kinds
    for e in events:
        check_browser_event(e)
        assert e["uid"] == "user-42" and "duid" in e and "sid" in e and "vid" in e, e
        assert "ue_px" not in e and "cx" not in e, e  # POST: no base64 unless encodeBase64
    pv, se, ue, link = events[:4]
    assert pv["page"] == "Compat page"
    assert (se["se_ca"], se["se_ac"], se["se_la"], se["se_pr"], se["se_va"]) == ("shop", "add", "sku-1", "size m", "2.5")
    assert self_describing(ue)["schema"] == "iglu:com.example/button_press/jsonschema/1-0-0"
    assert self_describing(link)["schema"] == LINK_CLICK
    assert all("pp_may" in e for e in events[4:]), events[4:]  # pp_miy, pp_mix, pp_max only when not 0
    # fetch with credentials 'include' (the tracker's default): the page's own cookies go along
    assert all("_sp_id." in r["headers"].get("cookie", "") for r in posts(f)), posts(f)
    preflight = [r for r in f["requests"] if r["method"] == "OPTIONS"]
    assert preflight and preflight[0]["headers"]["access-control-request-headers"] == "content-type"


def check_snowplow_browser_batch(f: dict) -> None:
    events = check_tp2_posts(f)
    assert [e["e"] for e in events] == ["pv", "se", "ue", "ue"]
    assert max(len(json.loads(r["body"])["data"]) for r in posts(f)) > 1


def check_snowplow_browser_get(f: dict) -> None:
    # fetch GET without a body or custom headers: a simple request, never preflighted
    assert {(r["method"], r["path"]) for r in f["requests"]} == {("GET", "/i")}
    for r in f["requests"]:
        assert "body" not in r and r["query"].startswith("stm="), r  # useStm: stm first
        assert r["headers"]["origin"].startswith("http://localhost:") and "_sp_id." in r["headers"]["cookie"]
    events = snowplow_events(f)
    kinds = [e["e"] for e in events]
    assert kinds[:4] == ["pv", "se", "ue", "ue"] and set(kinds[4:]) == {"pp"}, kinds
    for e in events:
        check_browser_event(e)
        assert "cx" in e and "co" not in e and "ue_pr" not in e, e  # GET: base64url by default
    assert self_describing(events[3])["schema"] == LINK_CLICK
    assert all(r["query"].rsplit("&", 1)[1].startswith("cx=") for r in f["requests"])  # co/cx last


def check_snowplow_browser_anonymous(f: dict) -> None:
    events = check_tp2_posts(f)
    assert [e["e"] for e in events] == ["pv", "se"]
    for r in posts(f):
        assert r["headers"]["sp-anonymous"] == "*" and "cookie" not in r["headers"], r
    preflight = [r for r in f["requests"] if r["method"] == "OPTIONS"]
    assert preflight[0]["headers"]["access-control-request-headers"] == "content-type,sp-anonymous"
    for e in events:
        check_browser_event(e)
        # no ids at all, not even the business user id set by setUserId
        assert not {"duid", "sid", "vid", "uid", "nuid"} & set(e), e


def check_snowplow_browser_post_path(f: dict) -> None:
    assert [e["e"] for e in check_tp2_posts(f, "/com.acme/events")] == ["pv"]


def check_snowplow_node(f: dict) -> None:
    events = check_tp2_posts(f)
    assert len(events) == 25 and {e["e"] for e in events} == {"pv", "se", "ue"}
    for r in posts(f):
        assert "origin" not in r["headers"] and "cookie" not in r["headers"], r
    for e in events:
        assert e["p"] == "srv" and e["tv"] == "node-4.8.0" and e["tna"] == "compat-node", e
        assert (e["nuid"], e["ip"], e["uid"], e["vid"]) == ("0b8c4e4c-6f8a-4e55-9d6e-2b8f8d6b1c11", "203.0.113.7", "user-42", "3")
        assert e["ua"].endswith("compat-test") and "duid" in e and "sid" in e, e
        assert "co" not in e and "cx" not in e, e  # no entities on a server
        if e["e"] == "ue":
            assert "ue_px" in e and self_describing(e)["schema"] == "iglu:com.example/order/jsonschema/1-0-0"


def check_segment_single(f: dict, batching: bool) -> None:
    paths = ["/v1/b"] if batching else ["/v1/p", "/v1/t", "/v1/i", "/v1/g", "/v1/a"]
    assert [r["path"] for r in posts(f)] == paths
    for r in f["requests"]:
        assert r["path"] in paths and r["method"] in ("OPTIONS", "POST"), r
        if r["method"] == "OPTIONS":  # Authorization makes every path preflighted once
            assert r["headers"]["access-control-request-headers"] == "authorization"
            continue
        h = r["headers"]
        assert h["content-type"] == "text/plain" and h["authorization"] == basic(KEY), h
        assert "cookie" not in h  # fetch's default credentials: none to another origin
        body = json.loads(r["body"])
        assert body["writeKey"] == KEY and "sentAt" in body, body
        if batching:
            assert set(body) == {"writeKey", "batch", "sentAt"}
            assert all("sentAt" not in m for m in body["batch"])
    messages = segment_messages(f)
    assert [m["type"] for m in messages] == ["page", "track", "identify", "group", "alias"]
    for m in messages:
        assert m["messageId"].startswith("ajs-next-") and m["writeKey"] == KEY, m
        assert m["context"]["library"] == {"name": "analytics.js", "version": "npm:next-1.84.3"}
        assert m["context"]["page"]["url"].startswith("http://localhost:") and "userAgent" in m["context"]
    page, track, identify, group, alias = messages
    assert (page["category"], page["name"]) == ("Docs", "Compat")
    assert track["event"] == "Order Completed" and track["userId"] is None  # null before identify
    assert identify["userId"] == "user-42" and group["groupId"] == "group-7"
    # analytics-next 1.84 overwrites alias's userId with the current user (addIdentity)
    assert (alias["userId"], alias["previousId"]) == ("user-42", "user-42")


def check_segment_node(f: dict) -> None:
    assert {(r["method"], r["path"]) for r in f["requests"]} == {("POST", "/v1/batch")}
    for r in f["requests"]:
        h = r["headers"]
        assert h["content-type"] == "application/json" and h["authorization"] == basic(KEY), h
        assert h["user-agent"] == "analytics-node-next/latest" and "origin" not in h, h
        body = json.loads(r["body"])
        assert set(body) == {"batch", "writeKey", "sentAt"} and body["writeKey"] == KEY, body
        assert 1 <= len(body["batch"]) <= 10  # flushAt
    messages = segment_messages(f)
    assert len(messages) == 25
    assert {m["type"] for m in messages} == {"track", "identify", "page", "screen", "group", "alias"}
    for m in messages:
        assert m["messageId"].startswith("node-next-") and "writeKey" not in m and "sentAt" not in m, m
        assert m["context"]["library"] == {"name": "@segment/analytics-node", "version": "3.1.0"}


CHECKS = {
    "snowplow_browser_post": check_snowplow_browser_post,
    "snowplow_browser_batch": check_snowplow_browser_batch,
    "snowplow_browser_get": check_snowplow_browser_get,
    "snowplow_browser_anonymous": check_snowplow_browser_anonymous,
    "snowplow_browser_post_path": check_snowplow_browser_post_path,
    "snowplow_node": check_snowplow_node,
    "segment_browser": lambda f: check_segment_single(f, batching=False),
    "segment_browser_batching": lambda f: check_segment_single(f, batching=True),
    "segment_node": check_segment_node,
}


def check_sent_landed_once(f: dict) -> None:
    """Every id the library reported sent is in exactly one captured event."""
    if f["library"].startswith("@snowplow"):
        seen = [e["eid"] for e in snowplow_events(f)]
        sent = [s["eid"] for s in f["sent"]]
    else:
        seen = [m["messageId"] for m in segment_messages(f)]
        sent = [s["messageId"] for s in f["sent"]]
    assert all(seen.count(i) == 1 for i in sent), (sent, seen)


def shape(f: dict) -> dict:
    """What must not change while the library's version does not: per method and path the
    header names; per Snowplow event kind (ue: per schema) the parameter names, scroll offsets
    aside (sent only when not 0); per Segment message type its members and context's members."""
    headers: dict[str, set] = {}
    for r in f["requests"]:
        headers.setdefault(f'{r["method"]} {r["path"]}', set()).update(r["headers"])
    kinds: dict[str, set] = {}
    if f["library"].startswith("@snowplow"):
        for e in snowplow_events(f):
            kind = e["e"] + (" " + self_describing(e)["schema"] if e["e"] == "ue" else "")
            kinds.setdefault(kind, set()).update(k for k in e if not k.startswith("pp_"))
    else:
        for m in segment_messages(f):
            kinds.setdefault(m["type"], set()).update(m, (f"context.{k}" for k in m.get("context", {})))
    return {"version": f["version"], "headers": headers, "kinds": kinds}


# --- the committed fixtures ----------------------------------------------------------------------

def test_there_is_a_check_for_every_fixture():
    assert NAMES == sorted(CHECKS), "a fixture without checks, or checks without a fixture"


@pytest.mark.parametrize("name", NAMES)
def test_committed_fixture_shows_the_shapes_we_rely_on(name):
    f = load(FIXTURES / f"{name}.json")
    CHECKS[name](f)
    if f.get("sent"):
        check_sent_landed_once(f)


def test_committed_fixtures_are_of_the_pinned_versions():
    lock = json.loads((COMPAT / "package-lock.json").read_text())["packages"]
    for name in NAMES:
        f = load(FIXTURES / f"{name}.json")
        assert f["version"] == lock[f"node_modules/{f['library']}"]["version"], (name, f["version"])


# --- a fresh capture from the installed libraries ------------------------------------------------

@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    missing = [what for what, ok in [
        (CHROMIUM, Path(CHROMIUM).exists()),
        ("tracker/node_modules (esbuild, playwright-core)", (ROOT / "tracker" / "node_modules" / "playwright-core").exists()),
        ("tests/compat/node_modules (the trackers)", (COMPAT / "node_modules" / "@snowplow" / "browser-tracker").exists()),
    ] if not ok]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}; ./dev setup installs them")
    out = tmp_path_factory.mktemp("compat-capture")
    # ports 0: free ones, so that a run beside another capture or test does not collide
    proc = subprocess.Popen(["node", str(COMPAT / "capture.mjs"), "--out", str(out), "--port-pages", "0",
                             "--port-collector", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, "CHROMIUM": CHROMIUM})
    try:
        stdout, stderr = proc.communicate(timeout=240)  # capture.mjs stops itself after 180 s
    except subprocess.TimeoutExpired:
        proc.terminate()  # SIGTERM: it stops chromium and its node children before exiting
        stdout, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stdout + stderr[-4000:]
    return out


@pytest.mark.parametrize("name", NAMES)
def test_a_fresh_capture_has_the_committed_shapes(fresh, name):
    f = load(fresh / f"{name}.json")
    CHECKS[name](f)
    if f.get("sent"):
        check_sent_landed_once(f)
    assert shape(f) == shape(load(FIXTURES / f"{name}.json")), \
        "the library's wire shape changed: regenerate the fixtures (tests/compat/README.md) and review the diff"
