#!/usr/bin/env python3
"""Writes the requests of bench/collector: realistic tracker bodies, a wrk script and vegeta
targets that send them, the same bytes to the collector and to nginx.

    requests.py OUT_DIR EVENTS_PER_REQUEST [EVENTS_PER_REQUEST…]
    requests.py --check URL OUT_DIR EVENTS_PER_REQUEST [EVENTS_PER_REQUEST…]

For each size N it writes OUT_DIR/bodies-N/0..K.json (K distinct bodies: visitors, pages and event
kinds vary, so the Kafka record keys spread over the partitions as real traffic does),
OUT_DIR/wrk-N.lua and OUT_DIR/targets-N.http (vegeta's http format, without the URL's host:
`run` substitutes it per server). A single event is posted as one object; a batch as the
tracker's envelope {"sent_ts": …, "events": […]}. Every event only uses schema fields, so the
collector must answer 204; anything else fails the run.

--check posts every body once to URL, as wrk would, and fails unless each is answered 204; it
prints {"requests": …, "events": …} for the run's count of acknowledged events.
"""

from __future__ import annotations

import http.client
import json
import random
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

BODIES_PER_SIZE = 64
SITE = "bench"
ORIGIN = "https://shop.example.com"
USER_AGENT = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/124.0.0.0 Safari/537.36")
HEADERS = {"Content-Type": "application/json", "Origin": ORIGIN, "User-Agent": USER_AGENT}
PATH = f"/v1/events?site={SITE}"

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


def body(rng: random.Random, events: int, now_ms: int) -> bytes:
    v = visitor(rng)
    if events == 1:
        e = event(v, "page_view", now_ms - rng.randrange(50))
        e["sent_ts"] = now_ms
        return json.dumps(e, separators=(",", ":"), ensure_ascii=False).encode()
    kinds = ["page_view", "click", "scroll", "engagement", "signup.step_completed"]
    batch = [event(v, rng.choice(kinds), now_ms - (events - i) * 900) for i in range(events)]
    return json.dumps({"sent_ts": now_ms, "events": batch}, separators=(",", ":"), ensure_ascii=False).encode()


# wrk: every thread builds its requests once, in init (after wrk has set the Host header), then
# sends them round-robin. done() prints one JSON line that `run` parses.
WRK_LUA = """-- Generated by bench/collector/requests.py; sends the bodies in %(dir)s round-robin.
local files = {%(files)s}
local headers = {%(headers)s}
local requests, next_index = {}, 0

function init(args)
  for i, name in ipairs(files) do
    local f = assert(io.open(name, "rb"))
    requests[i] = wrk.format("POST", "%(path)s", headers, f:read("*a"))
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


def check(url: str, out: Path, sizes: list[int]) -> int:
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    requests = events = 0
    for size in sizes:
        for f in sorted((out / f"bodies-{size}").glob("*.json"), key=lambda p: int(p.stem)):
            conn.request("POST", PATH, f.read_bytes(), HEADERS)
            r = conn.getresponse()
            answer = r.read()
            if r.status != 204:
                print(f"{url}: {f} was answered {r.status}: {answer[:500]!r}", file=sys.stderr)
                return 1
            requests += 1
            events += size
    print(json.dumps({"requests": requests, "events": events}))
    return 0


def main() -> int:
    if len(sys.argv) >= 5 and sys.argv[1] == "--check":
        return check(sys.argv[2], Path(sys.argv[3]), [int(a) for a in sys.argv[4:]])
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    rng = random.Random(20240611)
    now_ms = int(time.time() * 1000)
    for size in (int(a) for a in sys.argv[2:]):
        d = out / f"bodies-{size}"
        d.mkdir(parents=True, exist_ok=True)
        files = []
        for i in range(BODIES_PER_SIZE):
            f = d / f"{i}.json"
            f.write_bytes(body(rng, size, now_ms))
            files.append(str(f.resolve()))
        (out / f"wrk-{size}.lua").write_text(WRK_LUA % {
            "dir": d, "path": PATH,
            "files": ", ".join(lua_string(f) for f in files),
            "headers": ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in HEADERS.items()),
        })
        header_lines = "".join(f"{k}: {v}\n" for k, v in HEADERS.items())
        (out / f"targets-{size}.http").write_text("\n".join(
            f"POST http://HOSTPORT{PATH}\n{header_lines}@{f}\n" for f in files))
        sizes = [len(Path(f).read_bytes()) for f in files]
        events = [json.loads(Path(f).read_bytes()) for f in files]
        event_sizes = [len(json.dumps(e, separators=(",", ":"), ensure_ascii=False).encode())
                       for b in events for e in (b["events"] if "events" in b else [b])]
        print(json.dumps({"events_per_request": size, "bodies": len(files),
                          "body_bytes_mean": round(sum(sizes) / len(sizes)),
                          "event_bytes_min": min(event_sizes), "event_bytes_max": max(event_sizes),
                          "event_bytes_mean": round(sum(event_sizes) / len(event_sizes))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
