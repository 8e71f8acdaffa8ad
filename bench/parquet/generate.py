"""Writes N stored events (the sink's JSON Lines, docs/event-schema.md) that look like a personal
blog's traffic, for bench/parquet. Deterministic for a given --seed and --events.

    generate.py --events N [--seed S] [--visitors V] OUT.jsonl

The shape matters more than the exact numbers, because it decides what dictionaries, runs and
compression find: ~40 posts on a GitHub Pages site; a few thousand visitors, each with one
browser (user agent and its parsed fields, screen, locale, time zone, anonymized IP, geo),
returning for several sessions; sessions of a few page views, each followed by scroll
milestones, clicks on real-looking elements, an engagement event and now and then a custom
event with props. Landing pages carry an external referrer or none, and UTM parameters for
newsletter and social traffic; later pages have the previous page as referrer. Everything
happens within a few hours; collector_ts never decreases down the file, and client_ts,
sent_ts and event_ts sit near it as the tracker and the collector would set them.
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from datetime import datetime, timezone
from pathlib import Path

SITE = "blog"
ORIGIN = "https://mara-lindqvist.github.io"
AUTHOR = "Mara Lindqvist"
BASE_TS = int(datetime(2026, 3, 10, 7, 0, tzinfo=timezone.utc).timestamp() * 1000)
WINDOW_MS = 3 * 3_600_000

POSTS = [
    ("2023-01-14", "a-year-of-writing-a-clickstream-pipeline", "A year of writing a clickstream pipeline"),
    ("2023-02-02", "parquet-from-scratch-part-1", "Parquet from scratch, part 1: the file layout"),
    ("2023-02-19", "parquet-from-scratch-part-2", "Parquet from scratch, part 2: Thrift compact protocol"),
    ("2023-03-08", "parquet-from-scratch-part-3", "Parquet from scratch, part 3: dictionary encoding"),
    ("2023-03-30", "rle-bit-packing-hybrid-explained", "The RLE/bit-packing hybrid, explained with pictures"),
    ("2023-04-21", "why-i-stopped-using-exceptions-on-hot-paths", "Why I stopped using exceptions on hot paths"),
    ("2023-05-11", "kafka-consumer-groups-for-the-impatient", "Kafka consumer groups for the impatient"),
    ("2023-06-03", "exactly-once-is-a-lie-mostly", "Exactly-once is a lie (mostly)"),
    ("2023-06-27", "simdjson-in-practice", "simdjson in practice: 2 GB/s on a laptop"),
    ("2023-07-15", "cmake-presets-are-good-now", "CMake presets are good now"),
    ("2023-08-09", "a-tiny-s3-client-with-sigv4", "A tiny S3 client with SigV4, in 600 lines"),
    ("2023-08-30", "multipart-uploads-and-their-edge-cases", "Multipart uploads and their edge cases"),
    ("2023-09-18", "my-homelab-in-2023", "My homelab in 2023"),
    ("2023-10-05", "fuzzing-a-json-decoder-with-libfuzzer", "Fuzzing a JSON decoder with libFuzzer"),
    ("2023-10-29", "what-asan-found-in-a-week", "What AddressSanitizer found in a week"),
    ("2023-11-16", "zstd-levels-measured", "zstd levels, measured on real data"),
    ("2023-12-07", "advent-of-code-in-cpp20", "Advent of Code in C++20: ranges all the way down"),
    ("2024-01-12", "uuidv7-and-why-you-want-it", "UUIDv7 and why you want it as a key"),
    ("2024-01-31", "privacy-friendly-analytics", "Privacy-friendly analytics without a banner"),
    ("2024-02-22", "anonymizing-ip-addresses-properly", "Anonymizing IP addresses properly"),
    ("2024-03-14", "duckdb-over-s3-parquet", "DuckDB over Parquet in S3: a love letter"),
    ("2024-04-02", "the-cost-of-a-std-function", "The cost of a std::function"),
    ("2024-04-25", "open-addressing-hash-tables", "Open addressing hash tables, from the ground up"),
    ("2024-05-19", "writing-a-wal-in-a-weekend", "Writing a write-ahead log in a weekend"),
    ("2024-06-08", "fsync-is-not-what-you-think", "fsync is not what you think it is"),
    ("2024-07-01", "backpressure-in-pipelines", "Backpressure in data pipelines"),
    ("2024-07-28", "a-lambda-runtime-in-cpp", "A Lambda runtime in C++ with no SDK"),
    ("2024-08-17", "benchmarking-on-a-noisy-laptop", "Benchmarking on a noisy laptop"),
    ("2024-09-09", "perf-and-flame-graphs-for-everyone", "perf and flame graphs for everyone"),
    ("2024-10-03", "the-tracker-is-2kb", "The tracker is 2 KB: how and why"),
    ("2024-10-30", "sendbeacon-versus-fetch-keepalive", "sendBeacon versus fetch keepalive"),
    ("2024-11-21", "time-zones-are-hard-dates-are-harder", "Time zones are hard, dates are harder"),
    ("2024-12-12", "rust-for-the-cpp-programmer", "Rust for the C++ programmer, one year in"),
    ("2025-01-09", "things-i-learned-from-redpanda", "Things I learned reading Redpanda's source"),
    ("2025-02-06", "the-small-files-problem", "The small files problem, and rotation policies"),
    ("2025-03-03", "row-groups-how-big", "Row groups: how big should they be?"),
    ("2025-04-14", "sql-on-your-clickstream", "SQL on your own clickstream"),
    ("2025-05-26", "github-pages-custom-domains", "GitHub Pages, custom domains and HTTPS"),
    ("2025-06-30", "a-good-readme", "What makes a good README"),
    ("2025-08-12", "shipping-a-debian-package", "Shipping a Debian package the boring way"),
]
PAGES = ([(f"/{d.replace('-', '/')}/{slug}/", f"{title} | {AUTHOR}") for d, slug, title in POSTS] +
         [("/", f"{AUTHOR} — notes on systems and data"), ("/about/", f"About | {AUTHOR}"),
          ("/archive/", f"Archive | {AUTHOR}"), ("/tags/parquet/", f"Posts tagged parquet | {AUTHOR}"),
          ("/tags/kafka/", f"Posts tagged kafka | {AUTHOR}"), ("/tags/cpp/", f"Posts tagged cpp | {AUTHOR}")])
# Popularity: a few posts take most views (Zipf-like weights), the index and about pages some.
PAGE_WEIGHTS = [1.0 / (i + 1) ** 0.9 for i in range(len(POSTS))] + [1.2, 0.25, 0.2, 0.1, 0.08, 0.08]

# (user agent, browser, version, os, device, bot, weight)
AGENTS = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
     "Chrome", "124.0.0.0", "Windows", "desktop", False, 14),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
     "Chrome", "123.0.0.0", "Windows", "desktop", False, 5),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
     "Chrome", "124.0.0.0", "macOS", "desktop", False, 11),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
     "Safari", "17.4.1", "macOS", "desktop", False, 7),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0",
     "Firefox", "125.0", "macOS", "desktop", False, 3),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
     "Chrome", "124.0.0.0", "Linux", "desktop", False, 5),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
     "Firefox", "125.0", "Linux", "desktop", False, 6),
    ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0",
     "Firefox", "124.0", "Ubuntu", "desktop", False, 2),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
     "Firefox", "125.0", "Windows", "desktop", False, 4),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
     "Edge", "124.0.2478.80", "Windows", "desktop", False, 5),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
     "Edge", "124.0.2478.67", "macOS", "desktop", False, 1),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0",
     "Opera", "110.0.0.0", "Windows", "desktop", False, 1),
    ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
     "Chrome", "124.0.0.0", "Chrome OS", "desktop", False, 1),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
     "Mobile Safari", "17.4.1", "iOS", "mobile", False, 10),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Mobile/15E148 Safari/604.1",
     "Mobile Safari", "17.3.1", "iOS", "mobile", False, 3),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
     "Mobile Safari", "16.6", "iOS", "mobile", False, 1),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
     "Chrome Mobile iOS", "124.0.6367.88", "iOS", "mobile", False, 2),
    ("Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
     "Mobile Safari", "17.4.1", "iOS", "tablet", False, 2),
    ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
     "Chrome Mobile", "124.0.0.0", "Android", "mobile", False, 8),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
     "Chrome Mobile", "124.0.6367.82", "Android", "mobile", False, 2),
    ("Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
     "Samsung Internet", "24.0", "Android", "mobile", False, 2),
    ("Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
     "Firefox Mobile", "125.0", "Android", "mobile", False, 1),
    ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
     "Chrome", "124.0.0.0", "Android", "tablet", False, 1),
    ("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.118 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
     "Googlebot", "2.1", "Android", "bot", True, 1),
    ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
     "bingbot", "2.0", "Other", "bot", True, 1),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
     "AhrefsBot", "7.0", "Other", "bot", True, 0.5),
]
AGENT_WEIGHTS = [a[6] for a in AGENTS]

SCREENS = {"desktop": [(1920, 1080, 8), (2560, 1440, 3), (1440, 900, 3), (1536, 864, 3), (1366, 768, 2),
                       (3440, 1440, 1), (1280, 800, 1)],
           "mobile": [(390, 844, 5), (393, 852, 3), (412, 915, 3), (375, 667, 2), (360, 800, 2), (430, 932, 2)],
           "tablet": [(820, 1180, 2), (768, 1024, 2), (1024, 1366, 1)],
           "bot": [(412, 732, 1), (1024, 1024, 1)]}

# (locale, time zone, country, region, city, weight)
PLACES = [
    ("en-US", "America/New_York", "US", "NY", "New York", 9), ("en-US", "America/Los_Angeles", "US", "CA", "San Francisco", 8),
    ("en-US", "America/Chicago", "US", "IL", "Chicago", 4), ("en-US", "America/Denver", "US", "CO", "Denver", 2),
    ("en-US", "America/New_York", "US", "MA", "Boston", 3), ("en-US", "America/Los_Angeles", "US", "WA", "Seattle", 4),
    ("en-GB", "Europe/London", "GB", "ENG", "London", 7), ("en-GB", "Europe/London", "GB", "SCT", "Edinburgh", 1),
    ("de-DE", "Europe/Berlin", "DE", "BE", "Berlin", 5), ("de-DE", "Europe/Berlin", "DE", "BY", "Munich", 2),
    ("fr-FR", "Europe/Paris", "FR", "IDF", "Paris", 4), ("nl-NL", "Europe/Amsterdam", "NL", "NH", "Amsterdam", 2),
    ("sv-SE", "Europe/Stockholm", "SE", "AB", "Stockholm", 3), ("pl-PL", "Europe/Warsaw", "PL", "14", "Warsaw", 2),
    ("es-ES", "Europe/Madrid", "ES", "MD", "Madrid", 2), ("pt-BR", "America/Sao_Paulo", "BR", "SP", "São Paulo", 3),
    ("en-IN", "Asia/Kolkata", "IN", "KA", "Bengaluru", 5), ("ja-JP", "Asia/Tokyo", "JP", "13", "Tokyo", 3),
    ("zh-CN", "Asia/Shanghai", "CN", "SH", "Shanghai", 1), ("ko-KR", "Asia/Seoul", "KR", "11", "Seoul", 1),
    ("en-AU", "Australia/Sydney", "AU", "NSW", "Sydney", 2), ("en-CA", "America/Toronto", "CA", "ON", "Toronto", 3),
    ("fr-CA", "America/Toronto", "CA", "QC", "Montréal", 1), ("uk-UA", "Europe/Kyiv", "UA", "30", "Kyiv", 1),
]
PLACE_WEIGHTS = [p[5] for p in PLACES]

# (referrer or None for direct, utm fields or None, weight)
SOURCES = [
    ("https://www.google.com/", None, 34), (None, None, 22), ("https://news.ycombinator.com/", None, 10),
    ("https://t.co/", {"utm_source": "twitter", "utm_medium": "social", "utm_campaign": "launch"}, 5),
    ("https://t.co/", None, 3), ("https://www.reddit.com/r/cpp/", None, 4),
    ("https://www.reddit.com/r/programming/", None, 2), ("https://duckduckgo.com/", None, 4),
    ("https://www.bing.com/", None, 3), ("https://github.com/", None, 3), ("https://lobste.rs/", None, 2),
    (None, {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "2026-03"}, 5),
    (None, {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "2026-03", "utm_content": "footer"}, 1),
    ("https://mastodon.social/", {"utm_source": "mastodon", "utm_medium": "social"}, 2),
    ("https://www.linkedin.com/", {"utm_source": "linkedin", "utm_medium": "social", "utm_campaign": "launch",
                                   "utm_term": "parquet"}, 1),
]
SOURCE_WEIGHTS = [s[2] for s in SOURCES]

# What a click lands on: (tag, id, classes, text, href or None, selector); {post} and {url}
# are filled per page.
TARGETS = [
    ("a", None, "post-link", "{post}", "{url}", "main > article > div.post-content > p:nth-of-type({n}) > a"),
    ("a", None, "post-link", "{post}", "{url}", "aside.related > ul > li:nth-child({n}) > a"),
    ("a", None, "", "the Parquet format specification", "https://github.com/apache/parquet-format",
     "main > article > div.post-content > p:nth-of-type({n}) > a"),
    ("a", None, "", "source on GitHub", "https://github.com/mara-lindqvist/clicktrail",
     "main > article > div.post-content > p:nth-of-type({n}) > a"),
    ("a", None, "footnote-ref", "{n}", "#fn{n}", "main > article > div.post-content sup > a.footnote-ref"),
    ("button", None, "copy-code btn btn-sm", "Copy", None, "main > article pre:nth-of-type({n}) > button.copy-code"),
    ("button", "theme-toggle", "icon-button", "", None, "#theme-toggle"),
    ("a", None, "site-nav__link", "Archive", ORIGIN + "/archive/", "header.site-header > nav > a:nth-child(2)"),
    ("a", None, "site-nav__link", "About", ORIGIN + "/about/", "header.site-header > nav > a:nth-child(3)"),
    ("a", None, "site-nav__link", "RSS", ORIGIN + "/feed.xml", "header.site-header > nav > a:nth-child(4)"),
    ("img", None, "figure__img", "", None, "main > article figure:nth-of-type({n}) > img"),
    ("code", None, "language-cpp highlighter-rouge", "", None, "main > article pre:nth-of-type({n}) > code"),
    ("h2", "{anchor}", "", "{heading}", None, "main > article h2#{anchor}"),
    ("a", None, "tag", "#parquet", ORIGIN + "/tags/parquet/", "main > article footer > ul.tags > li:nth-child(1) > a"),
    ("input", "newsletter-email", "form-control", "", None, "#newsletter-form > input#newsletter-email"),
    ("button", "newsletter-submit", "btn btn-primary", "Subscribe", None, "#newsletter-form > button"),
]
TARGET_WEIGHTS = [20, 8, 4, 3, 3, 6, 2, 2, 2, 1, 2, 3, 2, 2, 1, 1]
HEADINGS = ["Why bother", "The file layout", "Benchmarks", "What went wrong", "Further reading", "Conclusion"]


def uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def uuid7(ms: int, rng: random.Random) -> str:
    """A UUIDv7: 48 bits of Unix ms, version 7, then random bits and the RFC 4122 variant."""
    value = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62) | rng.getrandbits(62)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Visitor:
    def __init__(self, rng: random.Random):
        self.anonymous_id = uuid4(rng)
        ua = rng.choices(AGENTS, AGENT_WEIGHTS)[0]
        self.ua, self.browser, self.version, self.os, self.device, self.bot, _ = ua
        w, h, _ = rng.choices(SCREENS[self.device], [s[2] for s in SCREENS[self.device]])[0]
        self.screen = (w, h)
        chrome = 0 if self.device in ("mobile", "tablet", "bot") else rng.choice([85, 110, 130])
        self.viewport = (w - rng.choice([0, 0, 15]), h - chrome - (rng.choice([0, 56, 102]) if self.device == "mobile" else 0))
        self.locale, self.tz, self.country, self.region, self.city, _ = rng.choices(PLACES, PLACE_WEIGHTS)[0]
        if rng.random() < 0.15:
            self.ip = f"2a01:{rng.randint(0x100, 0xfff):x}:{rng.randint(0, 0xffff):x}::"
        else:
            self.ip = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.0"
        self.user_id = f"sub_{rng.randint(10000, 99999)}" if not self.bot and rng.random() < 0.04 else None
        # Most clocks are right to a second; a few are minutes off, one in a hundred hours off.
        r = rng.random()
        self.skew = (round(rng.gauss(0, 400)) if r < 0.85 else rng.randint(-180_000, 180_000) if r < 0.99
                     else rng.choice([-1, 1]) * rng.randint(3_600_000, 7_200_000))
        self.theme = rng.choice(["light", "dark", "dark", "system"])
        self.identified = False


def page_url(path: str, utm: dict | None) -> str:
    if not utm:
        return ORIGIN + path
    return ORIGIN + path + "?" + "&".join(f"{k}={v}" for k, v in utm.items())


def session(rng: random.Random, v: Visitor, start: int) -> list[tuple[int, int, dict]]:
    """One visit: a list of (real time, send time, event without collector fields)."""
    out: list[tuple[int, int, dict]] = []
    referrer, utm, _ = rng.choices(SOURCES, SOURCE_WEIGHTS)[0] if not v.bot else (None, None, 0)
    session_id = uuid4(rng)
    pages = 1 if v.bot else min(8, 1 + int(rng.expovariate(1.1)))
    t = start
    for p in range(pages):
        path, title = rng.choices(PAGES, PAGE_WEIGHTS)[0]
        landing = p == 0
        url = page_url(path, utm if landing else None)
        base = {"anonymous_id": v.anonymous_id, "session_id": session_id, "page_url": url, "page_path": path,
                "page_title": title}
        if v.user_id and v.identified:
            base["user_id"] = v.user_id
        if landing:
            if referrer:
                base["referrer"] = referrer
            if utm:
                base.update(utm)
        else:
            base["referrer"] = out[-1][2]["page_url"]

        def add(kind: str, at: int, sent: int, **fields) -> None:
            e = {"type": kind, **base, **fields}
            out.append((at, sent, e))

        props = {"theme": v.theme, "reading_time_min": 3 + len(title) % 11} if rng.random() < 0.3 else None
        add("page_view", t, t + rng.randint(30, 400), **({"props": props} if props else {}))
        if v.bot:
            break
        dwell = int(rng.lognormvariate(10.3, 0.9))  # median ~30 s on a page
        # The tracker sends what it queued every 5 s, and on pagehide.
        for depth in (25, 50, 75, 100):
            if rng.random() > (0.8 if depth == 25 else 0.6):
                break
            at = t + int(dwell * depth / 130) + rng.randint(0, 900)
            add("scroll", at, at + rng.randint(50, 5000), scroll_depth=depth)
        for _ in range(rng.choices([0, 1, 2, 3], [45, 35, 14, 6])[0]):
            at = t + rng.randint(500, max(600, dwell))
            tag, tid, classes, text, href, selector = rng.choices(TARGETS, TARGET_WEIGHTS)[0]
            other_date, other_slug, other_title = rng.choice(POSTS)
            n = rng.randint(1, 14)
            heading = rng.choice(HEADINGS)
            anchor = heading.lower().replace(" ", "-")
            fill = {"post": other_title, "url": f"{ORIGIN}/{other_date.replace('-', '/')}/{other_slug}/", "n": n,
                    "anchor": anchor, "heading": heading}
            click = {"target_tag": tag, "x": rng.randint(8, max(9, v.viewport[0] - 8)),
                     "y": rng.randint(60, 9000)}
            for key, value in (("target_id", tid), ("target_classes", classes), ("target_text", text),
                               ("target_href", href), ("target_selector", selector)):
                if value:
                    click[key] = value.format(**fill)
            add("click", at, at + rng.randint(5, 120), **click)
            if tag == "button" and "copy-code" in classes:
                add("copy_code", at + 2, at + rng.randint(5, 120),
                    props={"lang": rng.choice(["cpp", "bash", "python", "toml", "sql"]), "block": n})
            if tid == "newsletter-submit":
                add("form_submit", at + 5, at + rng.randint(10, 200), props={"form": "newsletter", "ok": True})
                if v.user_id and not v.identified:
                    v.identified = True
                    add("identify", at + 300, at + rng.randint(310, 600), user_id=v.user_id)
        if rng.random() < 0.004:
            at = t + rng.randint(100, 3000)
            add("error", at, at + rng.randint(5, 100), props={
                "message": rng.choice(["ResizeObserver loop completed with undelivered notifications.",
                                       "Script error.", "TypeError: Cannot read properties of null (reading 'dataset')"]),
                "source": f"{ORIGIN}/assets/js/main.{rng.choice(['3f9a1c', '77b2e0'])}.js",
                "line": rng.randint(1, 400), "col": rng.randint(1, 80)})
        end = t + dwell
        add("engagement", end, end + rng.randint(5, 80), engaged_ms=int(dwell * rng.uniform(0.4, 1.0)))
        t = end + rng.randint(500, 4000)
    return out


def stored(rng: random.Random, v: Visitor, at: int, sent: int, e: dict) -> dict:
    """The stored record: the tracker's fields with the client clock, then what the collector adds."""
    collector_ts = sent + rng.randint(20, 250)  # network and queueing
    client_ts, sent_ts = max(0, at + v.skew), max(0, sent + v.skew)
    record = {"event_id": uuid7(client_ts, rng), "type": e.pop("type"), "site": SITE, "client_ts": client_ts,
              "sent_ts": sent_ts, "collector_ts": collector_ts,
              "event_ts": max(0, min(collector_ts, collector_ts - (sent_ts - client_ts)))}
    record.update(e)
    record.update(viewport_w=v.viewport[0], viewport_h=v.viewport[1], screen_w=v.screen[0], screen_h=v.screen[1],
                  locale=v.locale, timezone=v.tz, ua=v.ua, ua_browser=v.browser, ua_browser_version=v.version,
                  ua_os=v.os, ua_device=v.device, is_bot=v.bot, ip=v.ip, geo_country=v.country,
                  geo_region=v.region, geo_city=v.city)
    if "props" in record:  # props come last in the schema's order
        record["props"] = record.pop("props")
    record["schema_version"] = 1
    return record


def generate(n: int, seed: int, visitors: int) -> list[str]:
    rng = random.Random(seed)
    people = [Visitor(rng) for _ in range(visitors)]
    # Some visitors come back far more often than others.
    weights = [1.0 / (i + 1) ** 0.6 for i in range(visitors)]
    events: list[tuple[int, int, Visitor, dict]] = []
    raw: list[tuple[Visitor, list]] = []
    count = 0
    while count < n:
        v = rng.choices(people, weights)[0]
        s = session(rng, v, 0)
        raw.append((v, s))
        count += len(s)
    # Visits start evenly over the window; the last few minutes of the window end the file.
    for v, s in raw:
        start = BASE_TS + rng.randint(0, WINDOW_MS - 10 * 60_000)
        for at, sent, e in s:
            events.append((start + at, start + sent, v, e))
    lines = []
    records = [stored(rng, v, at, sent, e) for at, sent, v, e in events]
    records.sort(key=lambda r: r["collector_ts"])  # stable: ties keep the generation order
    for r in records[:n]:
        lines.append(json.dumps(r, ensure_ascii=False, separators=(",", ":")))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--visitors", type=int, default=4000)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    if args.events < 1 or args.visitors < 1:
        parser.error("--events and --visitors take positive numbers")
    lines = generate(args.events, args.seed, args.visitors)
    tmp = args.out.with_name(args.out.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for line in lines:
            f.write(line)
            f.write("\n")
    tmp.replace(args.out)


if __name__ == "__main__":
    main()
