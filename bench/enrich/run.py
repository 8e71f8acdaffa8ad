"""The enrichment step beside its peers, on the same inputs, in the same run.

Each section is one function that measures, prints its table and returns its figures for
build/bench/enrich.json; SECTIONS lists them in the order they run.

user_agents — clicktrail's user-agent parser beside ua-parser 1.0 with ua-parser-rs:
1. Rules: uap-core's regexes.yaml from Debian (/usr/share/uap-core/regexes.yaml, 0.16.0), the
   file clicktrail builds in, given to both: ua-parser loads it with ua_parser.loaders.load_yaml
   (not its bundled builtins) into ua_parser.regex.Resolver, the ua-parser-rs resolver, without
   its cache: Parser(Resolver(matchers)).parse(ua) resolves browser, OS and device.
2. User agents, two sets: "uap-core tests", the distinct user agents of test_ua.yaml,
   test_os.yaml and test_device.yaml in order of first appearance (17,606 for 0.16.0), a
   corpus of rare clients, bots and old phones; and "browsers", those of them that ua-parser
   calls one of today's mainstream browsers (BROWSERS below), closer to a site's traffic.
3. Uncached: each parser parses every user agent of a set once per run; best of K runs (5).
   user_agent_bench times ours in C++; this script times ua-parser's Parser.parse in Python
   (the peer's figure includes its Python wrapper, which is how it is used).
4. Cached (ours only): N events (1,000,000) whose user agents follow Zipf's law over the set
   (rank r with probability ∝ 1/r^S, S = 1, ranks dealt in a seeded order) through a fresh
   lru_cache of C entries (4,096): µs per event including misses, and the miss rate.
costs — what enrichment adds to the sink's and the collector's CPU per event (the issue's
target: at most 1 µs per event on average with the cache), timed by enrich_cost_bench (this
folder) on N events (200,000) with the "browsers" user agents drawn by Zipf's law (S = 1):
1. Sink, for Parquet, JSON Lines and JSON Lines gzip: decode_stored + the file writer per stored
   line, before and after sink_enricher::apply (and, for JSON Lines, the line encoded again, as
   sink::router does); after with a warm cache (the steady state) and a cold one (a fresh
   enricher per run: every distinct user agent one miss). And apply() alone.
2. Collector: collector_enricher::facts() + apply() per one-event request, with no geo database,
   with the test databases of tests/data/geo/make_test_mmdb.py (a handful of networks: a real
   GeoLite2 tree is deeper, so its lookups cost more), and with those plus a cookieless site
   that pseudonymises user_id; against copying the event alone.
Times are CPU seconds of the one thread (this machine is shared, and CPU time is what a busy
machine steals least from); wall seconds are in the JSON. A sanity line says on how many user
agents both parsers give the same seven fields.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import yaml
from ua_parser import Parser, loaders
from ua_parser.regex import Resolver

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
UAP_CORE = Path("/usr/share/uap-core")
RULES = UAP_CORE / "regexes.yaml"
SUITES = ("test_ua.yaml", "test_os.yaml", "test_device.yaml")
BROWSERS = {
    "Chrome", "Chrome Mobile", "Chrome Mobile iOS", "Chrome Mobile WebView", "Chromium", "Firefox",
    "Firefox Mobile", "Firefox iOS", "Safari", "Mobile Safari", "Mobile Safari UI/WKWebView", "Edge",
    "Edge Mobile", "Opera", "Opera Mobile", "Samsung Internet", "Yandex Browser", "UC Browser",
}
FIELDS = ("browser", "browser_version", "os", "os_version", "device", "device_brand", "device_model")


def distinct_test_user_agents() -> list[str]:
    seen: dict[str, None] = {}
    for suite in SUITES:
        with (UAP_CORE / "tests" / suite).open("rb") as f:
            for case in yaml.load(f, Loader=yaml.CSafeLoader)["test_cases"]:
                seen.setdefault(case["user_agent_string"], None)
    return [ua for ua in seen if "\n" not in ua]  # one a line for user_agent_bench (none has one)


def join_version(*parts: str | None) -> str | None:
    out: list[str] = []
    for part in parts:
        if not part:
            break
        out.append(part)
    return ".".join(out) or None


def peer_fields(result) -> dict:
    """ua-parser's result as user_agent_fields has it (uap-core's "Other" when nothing matched)."""
    ua, os_, device = result.user_agent, result.os, result.device
    return {
        "browser": ua.family if ua else "Other",
        "browser_version": join_version(ua.major, ua.minor, ua.patch, ua.patch_minor) if ua else None,
        "os": os_.family if os_ else "Other",
        "os_version": join_version(os_.major, os_.minor, os_.patch, os_.patch_minor) if os_ else None,
        "device": device.family if device else "Other",
        "device_brand": device.brand if device else None,
        "device_model": device.model if device else None,
    }


def time_peer(parser: Parser, uas: list[str], runs: int) -> dict:
    for ua in uas[:1000]:  # untimed, as user_agent_bench warms up
        parser.parse(ua)
    wall, cpu = [], []
    for _ in range(runs):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for ua in uas:
            parser.parse(ua)
        wall.append(time.perf_counter() - wall0)
        cpu.append(time.process_time() - cpu0)
    return {"uas": len(uas), "wall_s": wall, "cpu_s": cpu}


def run_ours(bench: str, uas: list[str], args, dump: Path | None) -> dict:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt") as f:
        f.write("".join(ua + "\n" for ua in uas))
        f.flush()
        command = [bench, str(RULES), f.name, "--runs", str(args.runs), "--events", str(args.events), "--zipf",
                   str(args.zipf), "--cache-entries", str(args.cache_entries), "--seed", str(args.seed)]
        if dump:
            command += ["--dump", str(dump)]
        out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    return {r.pop("what"): r for r in map(json.loads, out.splitlines())}


def us(seconds: list[float], count: int) -> float:
    return min(seconds) / count * 1e6


@functools.cache
def user_agent_sets() -> tuple[Parser, float, list[str], list[dict], list[str]]:
    """ua-parser on uap-core's rules, its compile time, the test suites' distinct user agents,
    its fields for each, and those it calls a mainstream browser; shared by the sections."""
    every = distinct_test_user_agents()
    print(f"run.py: loading {RULES} into ua-parser {version('ua-parser')} with ua-parser-rs "
          f"{version('ua-parser-rs')}", file=sys.stderr)
    started = time.process_time()
    peer = Parser(Resolver(loaders.load_yaml(str(RULES))))
    peer_compile_s = time.process_time() - started
    theirs_fields = [peer_fields(peer.parse(ua)) for ua in every]
    browsers = [ua for ua, f in zip(every, theirs_fields) if f["browser"] in BROWSERS]
    return peer, peer_compile_s, every, theirs_fields, browsers


def user_agents(args) -> dict:
    peer, peer_compile_s, every, theirs_fields, browsers = user_agent_sets()
    sets = {"uap-core tests": every, "browsers": browsers}

    results: dict = {"rules": str(RULES), "peer": f"ua-parser {version('ua-parser')} + ua-parser-rs "
                     f"{version('ua-parser-rs')}", "peer_compile_cpu_s": peer_compile_s, "sets": {}}
    sanity = ""
    with tempfile.TemporaryDirectory() as tmp:
        for name, uas in sets.items():
            dump = Path(tmp) / "fields.jsonl" if uas is every else None
            print(f"run.py: {name}: timing clicktrail's parser on {len(uas):,} user agents", file=sys.stderr)
            ours = run_ours(args.user_agent_bench, uas, args, dump)
            print(f"run.py: {name}: timing ua-parser's", file=sys.stderr)
            theirs = time_peer(peer, uas, args.runs)
            results["sets"][name] = {"uas": len(uas), "clicktrail": ours, "ua-parser": theirs}
            if dump:
                with dump.open(encoding="utf-8") as f:
                    ours_fields = [json.loads(line) for line in f]
                differ = [(ua, o, t) for ua, o, t in zip(every, ours_fields, theirs_fields) if o != t]
                results["differences"] = [{"ua": ua, "clicktrail": o, "ua-parser": t} for ua, o, t in differ[:50]]
                sanity = (f"both parsers give the same {len(FIELDS)} fields on {len(every) - len(differ):,} of "
                          f"{len(every):,} user agents" + (f" (differences in {ROOT / 'build/bench/enrich.json'})"
                                                           if differ else ""))
        results["clicktrail_compile_cpu_s"] = ours["compile"]["cpu_s"][0]

    print(f"User agents: uap-core {RULES} for both; browser, OS and device of each; µs of CPU per user agent, "
          f"best of {args.runs} runs, one thread")
    print(f"{'set':<16} {'user agents':>11} {'clicktrail':>10} {'ua-parser-rs':>12} {'ratio':>7}"
          f" {'cached clicktrail':>17} {'misses':>7}")
    for name, r in results["sets"].items():
        n = r["uas"]
        ours_us = us(r["clicktrail"]["uncached"]["cpu_s"], n)
        theirs_us = us(r["ua-parser"]["cpu_s"], n)
        cached = r["clicktrail"]["cached"]
        cached_us = us(cached["cpu_s"], cached["events"])
        r.update(clicktrail_us=ours_us, ua_parser_us=theirs_us, ratio=ours_us / theirs_us, cached_us=cached_us)
        print(f"{name:<16} {n:>11,} {ours_us:>10.2f} {theirs_us:>12.2f} {ours_us / theirs_us:>6.2f}×"
              f" {cached_us:>17.3f} {cached['misses'] / cached['events']:>6.1%}")
    print("ratio: clicktrail's µs ÷ ua-parser-rs's (below 1: ours is faster); cached: µs per event of "
          f"{args.events:,} events, Zipf S={args.zipf} over the set, an LRU cache of {args.cache_entries:,} entries")
    print(f"compile: clicktrail {results['clicktrail_compile_cpu_s'] * 1e3:.0f} ms, ua-parser-rs "
          f"{peer_compile_s * 1e3:.0f} ms of CPU")
    print(f"sanity: {sanity}")
    return results


def costs(args) -> dict:
    browsers = user_agent_sets()[4]
    sys.path.insert(0, str(ROOT / "tests" / "data" / "geo"))
    import make_test_mmdb  # noqa: E402 (tests/data/geo is not a package)

    with tempfile.TemporaryDirectory() as tmp:
        make_test_mmdb.write(Path(tmp) / "geo")
        uas = Path(tmp) / "uas.txt"
        uas.write_text("".join(ua + "\n" for ua in browsers), encoding="utf-8")
        print(f"run.py: costs: timing the sink and the collector on {args.cost_events:,} events", file=sys.stderr)
        command = [args.enrich_cost_bench, str(uas), "--geo-dir", str(Path(tmp) / "geo"), "--runs", str(args.runs),
                   "--events", str(args.cost_events), "--zipf", str(args.zipf), "--seed", str(args.seed)]
        out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    n = args.cost_events
    apply = next(r for r in rows if r["what"] == "sink_apply")
    sink = [r for r in rows if r["what"] == "sink"]
    collector = [r for r in rows if r["what"] == "collector"]

    print(f"Sink: µs of CPU per event, decode_stored + enrichment + the file writer (finish included), "
          f"best of {args.runs} runs, one thread; {n:,} events, {sink[0]['line_bytes'] / n:.0f} bytes a stored line")
    print(f"{'format':<9} {'before':>7} {'after':>7} {'added':>7} {'÷ 1 µs':>7} {'after, cold':>11} {'added':>7}"
          f" {'bytes out':>9}")
    for r in sink:
        before, warm, cold = (us(r[k], n) for k in ("before_cpu_s", "warm_cpu_s", "cold_cpu_s"))
        r.update(before_us=before, warm_us=warm, cold_us=cold, added_us=warm - before, added_cold_us=cold - before)
        print(f"{r['format']:<9} {before:>7.2f} {warm:>7.2f} {warm - before:>+7.2f} {(warm - before) / 1.0:>6.2f}×"
              f" {cold:>11.2f} {cold - before:>+7.2f} {r['bytes_after'] / r['bytes_before']:>8.2f}×")
    apply_us = us(apply["apply_cpu_s"], n) - us(apply["copy_cpu_s"], n)
    print(f"after: warm cache (no misses); cold: a fresh cache per run, {sink[0]['cold_misses']:,} misses "
          f"({sink[0]['cold_misses'] / n:.1%}); ÷ 1 µs: added µs ÷ the issue's target; bytes out: after ÷ before")
    print(f"sink_enricher::apply alone (warm): {apply_us:.2f} µs per event; JSON Lines adds the line's encoding, "
          "Parquet the enriched columns")
    print()
    print(f"Collector: µs of CPU per one-event request, collector_enricher facts() + apply(), best of {args.runs} runs")
    print(f"{'variant':<48} {'µs':>6} {'added':>6}")
    nothing = us(collector[0]["cpu_s"], n)
    for r in collector:
        per = us(r["cpu_s"], n)
        r.update(us=per, added_us=per - nothing)
        print(f"{r['variant']:<48} {per:>6.2f} {per - nothing:>+6.2f}")
    return {"events": n, "sink": sink, "sink_apply_us": apply_us, "collector": collector}


def version(package: str) -> str:
    from importlib.metadata import version as v
    return v(package)


# The sections, in order; each prints its table and returns its figures.
SECTIONS: dict[str, Callable[[argparse.Namespace], dict]] = {"user_agents": user_agents, "costs": costs}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--events", type=int, default=1_000_000, help="events of cached traffic")
    parser.add_argument("--zipf", type=float, default=1.0, help="Zipf exponent of the cached traffic")
    parser.add_argument("--cache-entries", type=int, default=4096)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cost-events", type=int, default=200_000, help="events of the costs section")
    parser.add_argument("--user-agent-bench", required=True, help="the user_agent_bench binary")
    parser.add_argument("--enrich-cost-bench", required=True, help="the enrich_cost_bench binary")
    args = parser.parse_args()
    if args.runs < 1 or args.events < 1 or args.cache_entries < 1 or args.cost_events < 1:
        parser.error("--runs, --events, --cache-entries and --cost-events take positive numbers")
    results = {"cores": os.cpu_count()}
    for name, section in SECTIONS.items():
        results[name] = section(args)
        print()
    out = ROOT / "build" / "bench" / "enrich.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
