#!/usr/bin/env python3
"""Writes the requests of bench/collector: realistic tracker bodies, a wrk script and vegeta
targets that send them, the same bytes to the collector and to nginx.

    requests.py [--protocol native|snowplow|segment] OUT_DIR EVENTS_PER_REQUEST [EVENTS_PER_REQUEST…]
    requests.py --check URL [--protocol P] OUT_DIR EVENTS_PER_REQUEST [EVENTS_PER_REQUEST…]

For each size N it writes, under the workload's name W = PROTOCOL-N (native-20, snowplow-20, …),
OUT_DIR/bodies-W/0..K.json (K distinct bodies: visitors, pages and event kinds vary, so the
Kafka record keys spread over the partitions as real traffic does), OUT_DIR/wrk-W.lua and
OUT_DIR/targets-W.http (vegeta's http format, without the URL's host: `run` substitutes it per
server), and OUT_DIR/ids-W.json: the event ids each body must give in the topic, one list a body.

The events are the same whatever the protocol (the same seed per size: pages, visitors, kinds,
times; only the event ids differ, so the topic tells the workloads apart), written as:
- native: POST /v1/events. A single event as one object; a batch as the tracker's envelope
  {"sent_ts": …, "events": […]}. Every event only uses schema fields.
- snowplow: POST /com.snowplowanalytics.snowplow/tp2, a payload_data batch as Snowplow's browser
  tracker (4.10.1, tests/compat/fixtures/snowplow_browser_batch.json) posts it: every value a
  string, the tracker's fields on every event (eid, tv, tna, aid, p, cookie, cs, lang, res, cd,
  tz, dtm, vp, ds, vid, sid, duid, uid, url, refr, stm) and `co` with the web_page entity. A page
  view is `pv` (its props in a custom entity), a click the link-click plugin's self-describing
  event (the product in an entity), a scroll a page ping (`pp_*`), the others self-describing
  events whose schema names the kind. The browser's `sp` cookie (a returning visitor) is sent.
- segment: POST /v1/batch, {"batch": […], "writeKey", "sentAt"} with analytics.js's messages
  (page, or track with the kind as the event name) and context (page, userAgent, locale,
  timezone, library, campaign), `Authorization: Basic` with the write key. messageIds are UUIDs,
  which the collector keeps as event_id.
The collector must take every body whole (204 for native, 200 for the others); anything else
fails the run.

--check posts every body once to URL, as wrk would, and fails unless each is answered with the
protocol's success status; it prints {"requests": …, "events": …} for the run's count of
acknowledged events.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import random
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

BODIES_PER_SIZE = 64
SITE = "bench"
ORIGIN = "https://shop.example.com"
USER_AGENT = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/124.0.0.0 Safari/537.36")
# `run` gives the collector's bench site these ids (snowplow_app_ids, segment_write_keys).
SNOWPLOW_APP_ID = "shop-web"
SEGMENT_WRITE_KEY = "bench-write-key"
PROTOCOLS = {
    # name: (path, success status, headers every request carries)
    "native": (f"/v1/events?site={SITE}", 204,
               {"Content-Type": "application/json", "Origin": ORIGIN, "User-Agent": USER_AGENT}),
    "snowplow": ("/com.snowplowanalytics.snowplow/tp2", 200,
                 {"Content-Type": "application/json; charset=UTF-8", "Origin": ORIGIN, "User-Agent": USER_AGENT}),
    "segment": ("/v1/batch", 200,
                {"Content-Type": "application/json", "Origin": ORIGIN, "User-Agent": USER_AGENT,
                 "Authorization": "Basic " + base64.b64encode(f"{SEGMENT_WRITE_KEY}:".encode()).decode()}),
}

PAGES = [
    ("/products/trail-running-shoes-x2", "Trail Running Shoes X2 — Men's, Waterproof | Shop Example"),
    ("/products/merino-base-layer-long-sleeve", "Merino Base Layer, Long Sleeve — Shop Example"),
    ("/collections/summer-sale/hiking", "Summer Sale: Hiking Gear up to 40% off | Shop Example"),
    ("/blog/how-to-choose-a-tent-for-alpine-camping", "How to choose a tent for alpine camping — Shop Example Journal"),
    ("/checkout/shipping", "Checkout: Shipping details — Shop Example"),
    ("/search", "Search results for \u201crain jacket\u201d — Shop Example"),
]
REFERRERS = [
    "https://www.google.com/",
    "https://duckduckgo.com/?q=merino+base+layer+sale&ia=web",
    "https://news.ycombinator.com/item?id=40123456",
    "https://shop.example.com/collections/summer-sale?page=2&sort=price-asc",
    "https://t.co/8xKq2Lm0Zr",
]
CAMPAIGNS = ["", "?utm_source=newsletter&utm_medium=email&utm_campaign=summer24",
             "?utm_source=google&utm_medium=cpc&utm_campaign=brand_uk&utm_term=trail+shoes",
             "?ref=homepage_carousel&variant=b"]
LOCALES = [("en-GB", "Europe/London"), ("de-DE", "Europe/Berlin"), ("fr-FR", "Europe/Paris"),
           ("en-US", "America/New_York"), ("ja-JP", "Asia/Tokyo")]
SCREENS = [(1440, 789, 2560, 1440), (390, 664, 390, 844), (1920, 961, 1920, 1080), (1280, 649, 1366, 768)]


class visitor:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.anonymous_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        self.session_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        self.user_id = f"cust-{rng.randrange(10**7):07d}" if rng.random() < 0.3 else None
        self.locale, self.timezone = rng.choice(LOCALES)
        self.screen = rng.choice(SCREENS)


def event(v: visitor, kind: str, client_ts: int) -> dict:
    rng = v.rng
    path, title = rng.choice(PAGES)
    e = {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "type": kind,
        "anonymous_id": v.anonymous_id,
        "session_id": v.session_id,
        "client_ts": client_ts,
        "page_url": f"https://shop.example.com{path}{rng.choice(CAMPAIGNS)}",
        "page_title": title,
        "referrer": rng.choice(REFERRERS),
    }
    if v.user_id:
        e["user_id"] = v.user_id
    if kind == "page_view":
        e.update(viewport_w=v.screen[0], viewport_h=v.screen[1], screen_w=v.screen[2], screen_h=v.screen[3],
                 locale=v.locale, timezone=v.timezone)
        e["props"] = {"ab_test": "checkout_v3", "variant": rng.choice("ab"), "logged_in": v.user_id is not None}
    elif kind == "click":
        sku = rng.randrange(10000, 99999)
        e.update(target_tag="a", target_id=f"add-to-cart-{sku}", target_classes="btn btn-primary",
                 target_text="Add to basket", target_href=f"/cart/add?sku={sku}&qty=1",
                 target_selector="form > a.btn", x=rng.randrange(1400),
                 y=rng.randrange(3000))
        e["props"] = {"sku": f"SKU-{sku}", "price": round(rng.uniform(9, 300), 2), "currency": "EUR"}
    elif kind == "scroll":
        e["scroll_depth"] = rng.choice([25, 50, 75, 100])
        e["props"] = {"section": "reviews", "items_seen": rng.randrange(1, 40)}
    elif kind == "engagement":
        e["engaged_ms"] = rng.randrange(500, 120000)
        e["props"] = {"visible_ms": rng.randrange(500, 180000), "tab_switches": rng.randrange(5)}
    else:  # a custom event
        e["props"] = {"plan": rng.choice(["free", "pro", "team"]), "step": rng.randrange(1, 5),
                      "coupon": rng.choice([None, "SUMMER24"])}
    return e


def native_body(rng: random.Random, events: int, now_ms: int) -> tuple[visitor, dict]:
    """One request's events as our tracker sends them: (the visitor, the JSON body)."""
    v = visitor(rng)
    if events == 1:
        e = event(v, "page_view", now_ms - rng.randrange(50))
        e["sent_ts"] = now_ms
        return v, e
    kinds = ["page_view", "click", "scroll", "engagement", "signup.step_completed"]
    batch = [event(v, rng.choice(kinds), now_ms - (events - i) * 900) for i in range(events)]
    return v, {"sent_ts": now_ms, "events": batch}


def native_events(b: dict) -> list[dict]:
    return b["events"] if "events" in b else [b]


def derived_id(protocol: str, native_id: str) -> str:
    """The event id of the same event in another protocol: a UUIDv4 of its own, the same each run."""
    digest = hashlib.sha256(f"{protocol}\n{native_id}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


SP_CONTEXTS = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"
SP_UNSTRUCT = "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0"
SP_WEB_PAGE = "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0"
SP_LINK_CLICK = "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1"


def snowplow_body(v: visitor, b: dict, extra: random.Random) -> dict:
    """The same events as Snowplow's browser tracker posts them (tp2 payload_data)."""
    session_index = str(extra.randrange(1, 8))
    page_view_ids: dict[str, str] = {}  # the web_page entity: one id per page view
    doc_heights: dict[str, int] = {}
    data = []
    for e in native_events(b):
        url = e["page_url"]
        page_view_id = page_view_ids.setdefault(url, str(uuid.UUID(int=extra.getrandbits(128), version=4)))
        doc_h = doc_heights.setdefault(url, extra.randrange(2000, 9000))
        vw, vh, sw, sh = v.screen
        entities = [{"schema": SP_WEB_PAGE, "data": {"id": page_view_id}}]
        kind, props = e["type"], e.get("props", {})
        p: dict[str, str] = {}
        if kind == "page_view":
            p.update(e="pv", url=url, page=e["page_title"], refr=e["referrer"])
            entities.append({"schema": "iglu:com.example.shop/experiment/jsonschema/1-0-0", "data": props})
        elif kind == "scroll":
            # A page ping: the scroll offsets of the ping's window, from which the collector
            # derives scroll_depth with vp and ds.
            may = max(0, round(e["scroll_depth"] / 100 * doc_h) - vh)
            p.update(e="pp", url=url, page=e["page_title"], refr=e["referrer"], pp_mix="0", pp_max="0",
                     pp_miy=str(max(0, may - extra.randrange(200, 1200))), pp_may=str(may))
        else:
            if kind == "click":
                sd = {"schema": SP_LINK_CLICK, "data": {
                    "targetUrl": ORIGIN + e["target_href"], "elementId": e["target_id"],
                    "elementClasses": e["target_classes"].split(), "elementContent": e["target_text"]}}
                entities.append({"schema": "iglu:com.example.shop/product/jsonschema/1-0-0", "data": props})
            else:  # engagement, signup.step_completed: a self-describing event named after the kind
                name = kind.replace(".", "_")
                sd = {"schema": f"iglu:com.example.shop/{name}/jsonschema/1-0-0", "data": {
                    **({"engaged_ms": e["engaged_ms"]} if "engaged_ms" in e else {}), **props}}
            p.update(e="ue", ue_pr=compact({"schema": SP_UNSTRUCT, "data": sd}))
        p.update(eid=derived_id("snowplow", e["event_id"]), tv="js-4.10.1", tna="sp", aid=SNOWPLOW_APP_ID,
                 p="web", cookie="1", cs="UTF-8", lang=v.locale, res=f"{sw}x{sh}", cd="24",
                 tz=v.timezone, dtm=str(e["client_ts"]), vp=f"{vw}x{vh}", ds=f"{vw}x{doc_h}",
                 vid=session_index, sid=v.session_id, duid=v.anonymous_id)
        if v.user_id:
            p["uid"] = v.user_id
        if p["e"] == "ue":
            p.update(url=url, refr=e["referrer"])
        p["co"] = compact({"schema": SP_CONTEXTS, "data": entities})
        p["stm"] = str(b["sent_ts"])
        data.append(p)
    return {"schema": "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4", "data": data}


def segment_body(v: visitor, b: dict, extra: random.Random) -> dict:
    """The same events as analytics.js sends them in batching mode, to /v1/batch (as analytics-node)."""
    batch = []
    for e in native_events(b):
        u = urlsplit(e["page_url"])
        search = f"?{u.query}" if u.query else ""
        page = {"path": u.path, "referrer": e["referrer"], "search": search, "title": e["page_title"],
                "url": e["page_url"]}
        utm = dict(parse_qsl(u.query))
        campaign = {k: utm[f"utm_{q}"] for k, q in (("source", "source"), ("medium", "medium"),
                                                   ("name", "campaign"), ("term", "term"),
                                                   ("content", "content")) if f"utm_{q}" in utm}
        kind, props = e["type"], e.get("props", {})
        m: dict = {"timestamp": iso(e["client_ts"]), "integrations": {"Segment.io": True}}
        if kind == "page_view":
            m.update(type="page", properties={**page, **props})
        else:
            # track, named so that the collector's snake case gives the kind back: "Click" → click
            fields = {k: e[k] for k in ("target_tag", "target_id", "target_classes", "target_text",
                                        "target_href", "target_selector", "x", "y", "scroll_depth",
                                        "engaged_ms") if k in e}
            m.update(type="track", event=kind.replace(".", " ").replace("_", " ").title(),
                     properties={**fields, **props})
        m["context"] = {"page": page, "userAgent": USER_AGENT, "locale": v.locale,
                        "library": {"name": "analytics.js", "version": "npm:next-1.84.3"},
                        "campaign": campaign, "timezone": v.timezone}
        m.update(messageId=derived_id("segment", e["event_id"]), anonymousId=v.anonymous_id,
                 writeKey=SEGMENT_WRITE_KEY, userId=v.user_id,
                 _metadata={"bundled": ["Segment.io"], "unbundled": [], "bundledIds": []})
        batch.append(m)
    return {"batch": batch, "writeKey": SEGMENT_WRITE_KEY, "sentAt": iso(b["sent_ts"])}


def bodies(protocol: str, size: int, now_ms: int):
    """The workload's bodies: (JSON body, extra headers, event ids, each event's JSON as sent)."""
    rng = random.Random(f"clicktrail-bench-{size}")  # per size: every protocol gets the same events
    for i in range(BODIES_PER_SIZE):
        v, b = native_body(rng, size, now_ms)
        extra = random.Random(f"{protocol}-{size}-{i}")
        if protocol == "native":
            yield b, {}, [e["event_id"] for e in native_events(b)], native_events(b)
        elif protocol == "snowplow":
            sp = snowplow_body(v, b, extra)
            # The browser sends the collector's network id cookie back: a returning visitor.
            cookie = {"Cookie": f"sp={uuid.UUID(int=extra.getrandbits(128), version=4)}"}
            yield sp, cookie, [p["eid"] for p in sp["data"]], sp["data"]
        else:
            sg = segment_body(v, b, extra)
            yield sg, {}, [m["messageId"] for m in sg["batch"]], sg["batch"]


# wrk: every thread builds its requests once, in init (after wrk has set the Host header), then
# sends them round-robin. done() prints one JSON line that `run` parses.
WRK_LUA = """-- Generated by bench/collector/requests.py; sends the bodies in %(dir)s round-robin.
local bodies = {
%(bodies)s
}
local requests, next_index = {}, 0

function init(args)
  for i, b in ipairs(bodies) do
    local f = assert(io.open(b[1], "rb"))
    requests[i] = wrk.format("POST", "%(path)s", b[2], f:read("*a"))
    f:close()
  end
end

function request()
  next_index = next_index %% #requests + 1
  return requests[next_index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%%d,"duration_us":%%d,"bytes":%%d,"errors":{"connect":%%d,"read":%%d,' ..
    '"write":%%d,"status":%%d,"timeout":%%d},"latency_us":{"p50":%%d,"p99":%%d,"max":%%d}}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def lua_string(s: str) -> str:
    return json.dumps(s)  # a JSON string literal is a valid Lua string literal for this ASCII text


def lua_table(headers: dict[str, str]) -> str:
    return "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()) + "}"


def check(url: str, protocol: str, out: Path, sizes: list[int]) -> int:
    u = urlsplit(url)
    path, status, _ = PROTOCOLS[protocol]
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    requests = events = 0
    for size in sizes:
        name = f"{protocol}-{size}"
        headers = json.loads((out / f"headers-{name}.json").read_text())
        for i, f in enumerate(sorted((out / f"bodies-{name}").glob("*.json"), key=lambda p: int(p.stem))):
            conn.request("POST", path, f.read_bytes(), headers[i])
            r = conn.getresponse()
            answer = r.read()
            if r.status != status:
                print(f"{url}: {f} was answered {r.status}, not {status}: {answer[:500]!r}", file=sys.stderr)
                return 1
            requests += 1
            events += size
    print(json.dumps({"protocol": protocol, "requests": requests, "events": events}))
    return 0


def write(out: Path, protocol: str, size: int, now_ms: int) -> dict:
    name = f"{protocol}-{size}"
    path, status, common = PROTOCOLS[protocol]
    d = out / f"bodies-{name}"
    d.mkdir(parents=True, exist_ok=True)
    files, headers, ids, body_sizes, event_sizes = [], [], [], [], []
    for i, (b, extra_headers, event_ids, sent) in enumerate(bodies(protocol, size, now_ms)):
        f = d / f"{i}.json"
        data = compact(b).encode()
        f.write_bytes(data)
        files.append(str(f.resolve()))
        headers.append({**common, **extra_headers})
        ids.append(event_ids)
        body_sizes.append(len(data))
        event_sizes += [len(compact(e).encode()) for e in sent]
    (out / f"ids-{name}.json").write_text(json.dumps(ids) + "\n")
    (out / f"headers-{name}.json").write_text(json.dumps(headers) + "\n")
    (out / f"wrk-{name}.lua").write_text(WRK_LUA % {
        "dir": d, "path": path,
        "bodies": ",\n".join(f"  {{{lua_string(f)}, {lua_table(h)}}}" for f, h in zip(files, headers)),
    })
    (out / f"targets-{name}.http").write_text("\n".join(
        f"POST http://HOSTPORT{path}\n" + "".join(f"{k}: {v}\n" for k, v in h.items()) + f"@{f}\n"
        for f, h in zip(files, headers)))
    return {"workload": name, "protocol": protocol, "events_per_request": size, "path": path,
            "success_status": status, "bodies": len(files),
            "body_bytes_mean": round(sum(body_sizes) / len(body_sizes)),
            "event_bytes_min": min(event_sizes), "event_bytes_max": max(event_sizes),
            "event_bytes_mean": round(sum(event_sizes) / len(event_sizes))}


def main() -> int:
    args = sys.argv[1:]
    url = protocol = None
    if args[:1] == ["--check"] and len(args) >= 2:
        url, args = args[1], args[2:]
    protocol = "native"
    if args[:1] == ["--protocol"] and len(args) >= 2:
        protocol, args = args[1], args[2:]
    if protocol not in PROTOCOLS or len(args) < 2 or not all(a.isdigit() and int(a) > 0 for a in args[1:]):
        print(__doc__, file=sys.stderr)
        return 2
    out, sizes = Path(args[0]), [int(a) for a in args[1:]]
    if url:
        return check(url, protocol, out, sizes)
    now_ms = int(time.time() * 1000)
    for size in sizes:
        print(json.dumps(write(out, protocol, size, now_ms)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
