"""Enrichment and privacy end to end (issue 13), through `clicktrail run` and through
`clicktrail collect` → Kafka → `clicktrail sink`: real user agents from addresses of the test geo
databases (tests/data/geo/make_test_mmdb.py) land with their ua_*, bot and geo columns and only
the anonymised address; private query parameters and full addresses reach no byte of the output
(nor Kafka); drop_bots; cookieless ids and pseudonymous user ids; and start-up with a geo
database path that does not exist, or with none.

The output is Parquet without compression, so that a value written anywhere in a file is in
its bytes: the byte checks prove their reach by finding an event id in the same files.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

duckdb = pytest.importorskip("duckdb")

from collector import binary, start_collector
from conftest import REPO_ROOT, TOOL_TIMEOUT_S, wait_for
import records as records_of_topic
from records import read_topic
from run_harness import new_run
from sink_harness import create_topic, sink_config

sys.path.insert(0, str(REPO_ROOT / "tests" / "data" / "geo"))
import make_test_mmdb  # noqa: E402

SECRET = "e2e-enrichment-secret-" + "7c" * 16  # enrich.secret: 32 or more characters

# Real user agents, each with what uap-core 0.16 and the bot detection make of it:
# (ua_browser, ua_browser_version, ua_os, ua_os_version, ua_device, ua_device_brand, ua_device_model),
# is_bot, bot_name.
CHROME_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
IPHONE_SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/17.1 Mobile/15E148 Safari/604.1")
SAMSUNG_CHROME = ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/120.0.6099.144 Mobile Safari/537.36")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HEADLESS_CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                   "HeadlessChrome/120.0.6099.109 Safari/537.36")


@dataclass(frozen=True)
class Visitor:
    ua: str
    address: str  # the full client address, sent as X-Forwarded-For by a trusted proxy
    anonymised: str  # what `ip` must hold: IPv4 /24, IPv6 /48
    ua_columns: tuple
    bot_name: str | None


VISITORS = {
    "chrome_windows": Visitor(CHROME_WINDOWS, "192.0.2.10", "192.0.2.0",
                              ("Chrome", "120.0.0.0", "Windows", "10", "Other", None, None), None),
    "iphone_safari": Visitor(IPHONE_SAFARI, "2001:db8:1::1", "2001:db8:1::",
                             ("Mobile Safari", "17.1", "iOS", "17.1", "iPhone", "Apple", "iPhone"), None),
    "samsung_chrome": Visitor(SAMSUNG_CHROME, "198.51.100.7", "198.51.100.0",
                              ("Chrome Mobile", "120.0.6099.144", "Android", "14", "Samsung SM-S918B", "Samsung",
                               "SM-S918B"), None),
    "googlebot": Visitor(GOOGLEBOT, "203.0.113.200", "203.0.113.0",
                         ("Googlebot", "2.1", "Other", None, "Spider", "Spider", "Desktop"), "Googlebot"),
    "headless_chrome": Visitor(HEADLESS_CHROME, "2001:db8:2:ffff::9", "2001:db8:2::",
                               ("HeadlessChrome", "120.0.6099", "Linux", None, "Other", None, None), "HeadlessChrome"),
}
UA_COLUMNS = ("ua_browser", "ua_browser_version", "ua_os", "ua_os_version", "ua_device", "ua_device_brand",
              "ua_device_model")
GEO_COLUMNS = {"country": "geo_country", "region": "geo_region", "city": "geo_city", "asn": "geo_asn",
               "asn_org": "geo_asn_org"}

# Private values put into URLs: none may reach a byte of the output.
EMAIL, TOKEN = "jane.doe.e2e@example.com", "s3cr3t-t0k3n-e2e-4fd1"
UUID_FORM = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PSEUDONYM_FORM = re.compile(r"^p:[0-9a-f]{32}$")

# The sites of both pipelines: "shop" stores bots flagged, "nobots" drops them, "anon" derives
# its ids and hides user ids.
SITES_TOML = """
[[sites]]
key = "shop"
origins = ["*"]

[[sites]]
key = "nobots"
origins = ["*"]
drop_bots = true

[[sites]]
key = "anon"
origins = ["*"]
cookieless = true
pseudonymize_user_id = true
"""


def enrich_toml(geo: tuple[Path, Path]) -> str:
    return f'\n[enrich]\ngeoip_db = "{geo[0]}"\nasn_db = "{geo[1]}"\nsecret = "{SECRET}"\n'


def metrics_of(text: str) -> dict[str, float]:
    """Prometheus text as {'name{labels}': value}."""
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line and not line.startswith("#")}


def total(metrics: dict[str, float], name: str) -> float:
    """The sum of a metric's series, whatever their labels."""
    return sum(v for k, v in metrics.items() if k == name or k.startswith(name + "{"))


@dataclass
class Pipeline:
    """One way events go from an HTTP request to Parquet files, for the tests to drive alike."""

    name: str
    url: str  # where events are posted
    output: Path  # the Parquet files' root
    written: list[Path]  # every directory the pipeline writes to (output, embedded log)
    metrics: Callable[[], dict[str, float]]  # of the part that counts bot events: run, or the sink
    check_alive: Callable[[], None]  # asserts each process is running and has done its part
    log_values: Callable[[], list[bytes]] | None  # Kafka record values; None for the embedded log
    stop: Callable[[], int]  # SIGTERM to each process; the worst exit code
    logs: Callable[[], str]  # the processes' logs, for failure messages

    def send(self, site: str, visitor: Visitor | None, events: list[dict], address: str | None = None) -> None:
        """POSTs `events` as one request from `visitor` (its user agent; its address, or
        `address`, in X-Forwarded-For from the trusted proxy 127.0.0.1)."""
        headers = {"Content-Type": "application/json", "Origin": "https://shop.example"}
        if visitor:
            headers.update({"User-Agent": visitor.ua, "X-Forwarded-For": address or visitor.address})
        req = urllib.request.Request(f"{self.url}/v1/events?site={site}", data=json.dumps(events).encode(),
                                     method="POST", headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        assert status == 204, f"{self.name}: POST for site {site} answered {status}: {body[:300]!r}"

    def stored(self) -> dict[str, dict]:
        """Every stored event by event_id, read by DuckDB."""
        if not list((self.output / "events").rglob("*.parquet")):
            return {}
        rel = duckdb.connect().execute(
            f"select * from read_parquet('{self.output}/events/**/*.parquet', union_by_name=true, "
            f"hive_partitioning=true)")
        names = [d[0] for d in rel.description]
        return {row["event_id"]: row for row in (dict(zip(names, r)) for r in rel.fetchall())}

    def wait_stored(self, ids: list[str], timeout: float = 30) -> dict[str, dict]:
        return wait_for(lambda: (rows := self.stored()) and all(i in rows for i in ids) and rows, timeout,
                        f"{self.name}: events {ids} were not all stored within {timeout} s", every=0.3)

    def output_bytes(self) -> dict[str, bytes]:
        """Every file the pipeline wrote, by path."""
        return {str(p): p.read_bytes() for root in self.written for p in root.rglob("*") if p.is_file()}


def page_view(site: str, **fields) -> dict:
    return {"type": "page_view", "event_id": str(uuid.uuid4()), "site": site, **fields}


@pytest.fixture(scope="module")
def geo_dbs(tmp_path_factory) -> tuple[Path, Path]:
    return make_test_mmdb.write(tmp_path_factory.mktemp("geo"))


def start_run(tmp: Path, geo) -> Pipeline:
    config = tmp / "run.toml"
    config.write_text('[ingest]\ntrusted_proxies = ["127.0.0.1/32"]\n\n[sink]\ncompression = "none"\n'
                      + SITES_TOML + enrich_toml(geo))
    r = new_run(tmp, config=config).start()

    def metrics() -> dict[str, float]:
        return metrics_of(r.get("/metrics")[2].decode())

    def check_alive() -> None:
        assert r.proc.poll() is None, f"clicktrail run exited: {r.log.read_text()[-3000:]}"
        m = metrics()
        assert total(m, "clicktrail_ingest_events_accepted_total") > 0, "clicktrail run accepted no event"
        assert total(m, "clicktrail_sink_records_out_total") > 0, "clicktrail run's sink wrote no record"

    return Pipeline("run", r.url, r.data, [r.data], metrics, check_alive, None, r.stop,
                    lambda: r.log.read_text()[-3000:])


def start_distributed(tmp: Path, geo, services) -> Pipeline:
    collector = start_collector(tmp, services.kafka_bootstrap, trusted_proxies=["127.0.0.1/32"],
                                more_toml=SITES_TOML + enrich_toml(geo))
    create_topic(services.kafka_bootstrap, collector.topic)
    out = tmp / "out"
    # The compiled rules come from a cache of this run's own, written by a first start of the same
    # sink on the topic still empty: the sink below enriches with databases read back from it.
    rules_cache = tmp / "rules-cache"

    def sink_of_this_run():
        return sink_config(tmp, services.kafka_bootstrap, collector.topic, str(out), format="parquet",
                           compression="none", max_age="1s",
                           # the sink reads drop_bots only, but checks the sites as the collector does
                           more_toml=SITES_TOML + f'\n[enrich]\nsecret = "{SECRET}"\ncache_dir = "{rules_cache}"\n')

    sink_of_this_run().until_caught_up()
    cached = sorted(rules_cache.glob("*.db"))
    kinds = sorted(f.name.rsplit("-", 1)[0] for f in cached)
    # The crawler list's database and its set-aside patterns; the user-agent rules' plan and the
    # database of their literals.
    assert kinds == ["crawler-checks", "user-agent-rules", "vectorscan", "vectorscan"], f"cached: {cached}"
    written_at = [f.stat().st_mtime_ns for f in cached]
    sink = sink_of_this_run().start()

    def check_alive() -> None:
        assert collector.proc.poll() is None, f"clicktrail collect exited: {collector.log()[-3000:]}"
        assert sink.proc.poll() is None, f"clicktrail sink exited: {sink.log.read_text()[-3000:]}"
        assert total(metrics_of(collector.metrics()), "clicktrail_ingest_events_accepted_total") > 0, \
            "the collector accepted no event"
        assert total(sink.metrics(), "clicktrail_sink_records_out_total") > 0, "the sink wrote no record"

    def log_values() -> list[bytes]:
        # -e: to the end of every partition, then exit
        return [r.value for r in read_topic(services.kafka_bootstrap, collector.topic) if r.value]

    def stop() -> int:
        codes = [collector.stop(), sink.stop()]
        return next((c for c in codes if c != 0), 0)

    def logs() -> str:
        return f"collector:\n{collector.log()[-2000:]}\nsink:\n{sink.log.read_text(errors='replace')[-2000:]}"

    wait_for(lambda: sink.proc.poll() is not None or sink.metrics(), 20, "the sink did not serve /metrics")
    assert sink.proc.poll() is None, f"the sink did not start: {sink.log.read_text()[-3000:]}"
    assert [f.stat().st_mtime_ns for f in cached] == written_at, "the second start read the cache, not compiled again"
    return Pipeline("collect+kafka+sink", collector.url, out, [out], sink.metrics, check_alive, log_values, stop,
                    logs)


@pytest.fixture(scope="module", params=["run", "distributed"])
def pipeline(request, tmp_path_factory, geo_dbs):
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "run":
        p = start_run(tmp, geo_dbs)
    else:
        p = start_distributed(tmp, geo_dbs, request.getfixturevalue("services"))
    yield p
    assert p.stop() == 0, p.logs()


def test_user_agents_bots_geo_and_referrers_are_stored_and_full_addresses_and_secrets_are_not(pipeline):
    sent: dict[str, str] = {}  # event id → the visitor's name
    for name, v in VISITORS.items():
        e = page_view("shop", page_url=f"https://shop.example/{name}")
        sent[e["event_id"]] = name
        pipeline.send("shop", v, [e])
    # One visitor's journey: referrers of each medium, and a landing URL with private parameters.
    search = page_view("shop", page_url="https://shop.example/shoes",
                       referrer="https://www.google.com/search?q=red+running+shoes&hl=en")
    social = page_view("shop", page_url="https://shop.example/sale", referrer="https://www.facebook.com/")
    internal = page_view("shop", page_url="https://shop.example/cart", referrer="https://www.shop.example/shoes")
    direct = page_view("shop", page_url="https://shop.example/")
    private = page_view("shop", page_url=f"https://shop.example/landing?email={EMAIL.replace('@', '%40')}"
                                          f"&token={TOKEN}&utm_source=x",
                        referrer=f"https://mail.example.net/open?session={TOKEN}&id=7")
    journey = [search, social, internal, direct, private]
    pipeline.send("shop", VISITORS["chrome_windows"], journey)

    rows = pipeline.wait_stored(list(sent) + [e["event_id"] for e in journey])
    # Every difference is collected, so that one run reports them all.
    problems = []

    def expect(what: str, got, wanted) -> None:
        if got != wanted:
            problems.append(f"{what}: stored {got!r}, expected {wanted!r}")

    for event_id, name in sent.items():
        v, row = VISITORS[name], rows[event_id]
        expect(f"{name} ua_*", tuple(row[c] for c in UA_COLUMNS), v.ua_columns)
        expect(f"{name} is_bot, bot_name", (row["is_bot"], row["bot_name"]), (v.bot_name is not None, v.bot_name))
        geo = make_test_mmdb.EXPECTED[v.address]
        for key, column in GEO_COLUMNS.items():
            expect(f"{name} {column}", row[column], geo.get(key))
        expect(f"{name} ip", row["ip"], v.anonymised)
        expect(f"{name} ua", row["ua"], v.ua)

    for what, e, wanted in (("search", search, ("search", "Google", "red running shoes")),
                            ("social", social, ("social", "Facebook", None)),
                            ("internal", internal, ("internal", None, None)),
                            ("direct", direct, (None, None, None))):
        row = rows[e["event_id"]]
        expect(f"{what} referrer_medium, _source, _term",
               (row["referrer_medium"], row["referrer_source"], row["referrer_term"]), wanted)
    landed = rows[private["event_id"]]
    expect("page_url", landed["page_url"], "https://shop.example/landing?utm_source=x")
    expect("referrer", landed["referrer"], "https://mail.example.net/open?id=7")
    expect("click_id_kind", landed["click_id_kind"], None)

    # Nothing private in any byte the pipeline wrote, nor in Kafka.
    private_texts = [v.address for v in VISITORS.values()] + [EMAIL, EMAIL.replace("@", "%40"), TOKEN]
    files = pipeline.output_bytes()
    parquet = b"".join(data for path, data in files.items() if path.endswith(".parquet"))
    assert search["event_id"].encode() in parquet and b"192.0.2.0" in parquet, \
        "the Parquet files' bytes do not show their values: the byte checks below would prove nothing"
    for path, data in files.items():
        if found := [t for t in private_texts if t.encode() in data]:
            problems.append(f"{path} holds {found}")
    if pipeline.log_values:
        values = pipeline.log_values()
        records = [records_of_topic.decode(v) for v in values]
        ours = {r["event_id"]: r for r in records if r["event_id"] in rows}
        assert len(ours) == len(sent) + len(journey), "Kafka does not hold every event sent"
        for event_id, name in sent.items():  # what the collector added, before the sink
            v, geo = VISITORS[name], make_test_mmdb.EXPECTED[VISITORS[name].address]
            expect(f"{name} ip in Kafka", ours[event_id].get("ip"), v.anonymised)
            for key, column in GEO_COLUMNS.items():
                expect(f"{name} {column} in Kafka", ours[event_id].get(column), geo.get(key))
        for v in values:
            if found := [t for t in private_texts if t.encode() in v]:
                problems.append(f"a Kafka record holds {found}: {v[:500]!r}")

    # Bots of a site that keeps them are stored with is_bot and counted as stored.
    expect("bots stored for shop", pipeline.metrics().get('clicktrail_sink_bot_events_total{site="shop",action="stored"}'), 2)
    assert problems == [], "\n".join(problems)
    pipeline.check_alive()


def test_drop_bots_drops_a_sites_bot_events_and_keeps_its_visitors(pipeline):
    bot = page_view("nobots", page_url="https://shop.example/bot")
    person = page_view("nobots", page_url="https://shop.example/person")
    pipeline.send("nobots", VISITORS["googlebot"], [bot])
    pipeline.send("nobots", VISITORS["iphone_safari"], [person])
    dropped = 'clicktrail_sink_bot_events_total{site="nobots",action="dropped"}'
    wait_for(lambda: pipeline.metrics().get(dropped) == 1, 30,
             f"{pipeline.name}: the bot event was not counted as dropped: {pipeline.metrics()}")
    rows = pipeline.wait_stored([person["event_id"]])
    assert bot["event_id"] not in rows
    assert rows[person["event_id"]]["is_bot"] is False
    assert pipeline.metrics().get('clicktrail_sink_bot_events_total{site="nobots",action="stored"}', 0) == 0
    pipeline.check_alive()


def test_cookieless_site_derives_its_ids_and_pseudonymises_user_ids(pipeline):
    visitor = VISITORS["samsung_chrome"]
    first = page_view("anon", page_url="https://shop.example/a", anonymous_id="from-cookie",
                      session_id="session-from-cookie", user_id="alice")
    second = page_view("anon", page_url="https://shop.example/b", user_id="alice")
    elsewhere = page_view("anon", page_url="https://shop.example/c")
    pipeline.send("anon", visitor, [first])
    pipeline.send("anon", visitor, [second])
    pipeline.send("anon", visitor, [elsewhere], address="192.0.2.10")
    rows = pipeline.wait_stored([first["event_id"], second["event_id"], elsewhere["event_id"]])
    a, b, c = (rows[e["event_id"]] for e in (first, second, elsewhere))

    for row in (a, b, c):
        assert UUID_FORM.match(row["anonymous_id"] or ""), row["anonymous_id"]
        assert UUID_FORM.match(row["session_id"] or ""), row["session_id"]
    assert (a["anonymous_id"], a["session_id"]) == (b["anonymous_id"], b["session_id"])
    assert c["anonymous_id"] != a["anonymous_id"]
    assert PSEUDONYM_FORM.match(a["user_id"] or ""), a["user_id"]
    assert b["user_id"] == a["user_id"]
    assert c["user_id"] is None
    for path, data in pipeline.output_bytes().items():
        assert b"from-cookie" not in data and b"alice" not in data, path
    pipeline.check_alive()


def run_briefly(args: list[str], timeout: float = TOOL_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def test_a_missing_geo_database_stops_start_up_and_none_is_one_info_line(tmp_path, services):
    missing = tmp_path / "nowhere" / "GeoLite2-City.mmdb"
    config = tmp_path / "missing.toml"
    config.write_text(f'[[sites]]\nkey = "demo"\norigins = ["*"]\n\n[enrich]\ngeoip_db = "{missing}"\n\n'
                      f'[kafka]\nbrokers = "{services.kafka_bootstrap}"\n')
    for args in ([binary(), "run", "--config", str(config), "--listen", "127.0.0.1:0", "--data", str(tmp_path / "d")],
                 [binary(), "collect", "--config", str(config)]):
        done = run_briefly(args)
        said = done.stdout + done.stderr
        assert done.returncode != 0, f"{args[1]} started with a geo database that does not exist:\n{said}"
        assert str(missing) in said and "geoip_db" in said and "GeoLite2-City.mmdb" in said, said
        assert "no geo database configured" not in said, said

    # Without any geo database: one info line says so, and the process serves.
    r = new_run(tmp_path).start()
    try:
        lines = [l for l in r.log.read_text().splitlines() if "no geo database configured" in l]
        assert len(lines) == 1 and " info " in lines[0], lines
        assert r.get("/healthz")[0] == 200
    finally:
        assert r.stop() == 0, r.log.read_text()[-3000:]
    c = start_collector(tmp_path, services.kafka_bootstrap)
    try:
        lines = [l for l in c.log().splitlines() if "no geo database configured" in l]
        assert len(lines) == 1 and " info " in lines[0], lines
    finally:
        assert c.stop() == 0, c.log()[-3000:]
