#!/usr/bin/env python3
"""./dev chaos [--rounds N] [--seed S]: a randomized, bounded fault campaign against clicktrail
running on this machine (see campaign.py for the pipelines, schedule.py for the faults,
check.py for what counts as a violation). Prints the seed, one line a round and a summary; exits
1 on any violation or finding, with the evidence, and keeps every process's log in the work
directory. The same seed gives the same fault schedule.

Needs the services with the 3-node cluster:
  ./dev services start --kafka-cluster && eval "$(./dev services env)"
and CLICKTRAIL_BIN (or build/clicktrail). `./dev chaos` does all of that.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from campaign import GIVE_UP_AFTER_FAILED_ROUNDS, Campaign, say  # noqa: E402
from check import PipelineResult  # noqa: E402
from schedule import FAULT_KINDS, plan  # noqa: E402
from shared import REPO_ROOT, Services  # noqa: E402

# Longer than the cluster takes to elect a new leader after a kill -9 (broker.session.timeout.ms
# 4 s, then the election): with less, records the dead leader had replicated are answered 503 and
# the client's retry stores them twice (docs/testing.md, "The chaos campaign").
PRODUCE_TIMEOUT = "15s"
REQUIRED_ENV = ("KAFKA_CLUSTER_BOOTSTRAP", "S3_ENDPOINT", "S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                "AWS_REGION")


def services() -> Services:
    missing = [n for n in REQUIRED_ENV if not os.environ.get(n)]
    if missing:
        sys.exit(f"chaos: missing environment: {', '.join(missing)}. Start the services with the 3-node cluster "
                 'and export their addresses: ./dev services start --kafka-cluster && eval "$(./dev services env)" '
                 "(or run ./dev chaos, which does both)")
    env = os.environ
    return Services(env["KAFKA_BOOTSTRAP"] if env.get("KAFKA_BOOTSTRAP") else "", env["S3_ENDPOINT"].rstrip("/"),
                    env["S3_BUCKET"], env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_REGION"],
                    env.get("ICEBERG_REST_URI", "").rstrip("/"))  # unused by the campaign


def interrupt(*_) -> None:
    raise KeyboardInterrupt


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def result_lines(r: PipelineResult, fmt: str, label: str) -> list[str]:
    c = r.counts
    lines = [
        f"store {r.name} ({label}, {fmt}): {c['files']:,} files ({c['empty files']:,} empty), {c['rows']:,} rows",
        f"  acknowledged {c['acknowledged']:,}: stored once {c['acknowledged, stored exactly as told']:,}, "
        f"missing {c['violation: acknowledged event missing']:,}, stored again by a cut try "
        f"{c['acknowledged, stored by a cut try']:,}",
        f"  never acknowledged {c['never acknowledged']:,}: not stored "
        f"{c['never acknowledged, stored exactly as told']:,}, stored by a cut try "
        f"{c['never acknowledged, stored by a cut try']:,}",
        f"  stored by a try answered 5xx/4xx/refused: "
        f"{sum(v for k, v in c.items() if k.startswith('violation: stored by a try answered')):,}; "
        f"rejected on purpose and found in the bad table {c['rejected on purpose, found in the bad table']:,}",
    ]
    if "topic records" in c:
        lost = c["violation: record of the topic missing from the store (the sink lost it)"]
        twice_by_sink = c["violation: the sink wrote one copy more than once"]
        lines.append(f"  topic records {c['topic records']:,} vs store rows {c['rows']:,}: "
                     f"lost by the sink {lost:,}, written twice by the sink {twice_by_sink:,}, dropped as "
                     f"repeats {c['topic record dropped by the sink as a repeat']:,}; bad topic records "
                     f"{c['bad topic records']:,}, not in the bad table exactly once "
                     f"{c['violation: bad-topic record not in the bad table exactly once']:,}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(prog="./dev chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=len(FAULT_KINDS), help="faults to inject (default: one deck, "
                        f"{len(FAULT_KINDS)} rounds, each kind once)")
    parser.add_argument("--seed", type=int, default=None, help="the fault schedule's seed (default: random)")
    parser.add_argument("--workdir", type=Path, default=None, help="logs and data (default: build/chaos/<seed>-<time>)")
    parser.add_argument("--faults", default=",".join(FAULT_KINDS),
                        help="the fault kinds to draw from, comma-separated (default: all)")
    parser.add_argument("--produce-timeout", default=PRODUCE_TIMEOUT,
                        help=f"the collectors' ingest.produce_timeout (default {PRODUCE_TIMEOUT}; see docs/testing.md)")
    parser.add_argument("--strict", action="store_true", help="count copies stored by a try whose connection "
                        "was cut (a front end killed before it answered) as violations too")
    parser.add_argument("--clients-a", type=int, default=4, help="tracker threads sending to the collectors")
    parser.add_argument("--clients-b", type=int, default=2, help="tracker threads sending to `clicktrail run`")
    args = parser.parse_args()
    if args.rounds < 0:
        parser.error("--rounds must be 0 or more")
    kinds = tuple(k.strip() for k in args.faults.split(",") if k.strip())
    if not kinds or not set(kinds) <= set(FAULT_KINDS):
        parser.error(f"--faults takes some of: {', '.join(FAULT_KINDS)}")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 1 << 31)
    svc = services()
    work = args.workdir or REPO_ROOT / "build" / "chaos" / f"{seed}-{time.strftime('%Y%m%d-%H%M%S')}"
    work.mkdir(parents=True, exist_ok=True)
    the_plan = plan(seed, args.rounds, kinds)

    narrowed = "" if kinds == FAULT_KINDS else f" --faults {','.join(kinds)}"
    say(f"chaos: seed {seed}, {args.rounds} rounds (the same schedule: --seed {seed}{narrowed}); work dir {work}")
    say(f"  A: 2 collectors (produce_timeout {args.produce_timeout}) → 3-node Kafka → 2 sinks → S3, each via a "
        f"fault proxy, {the_plan.format_a}; B: clicktrail run → local directory, {the_plan.format_b}")
    campaign = Campaign(the_plan, svc, os.environ["KAFKA_CLUSTER_BOOTSTRAP"], work, args.clients_a, args.clients_b,
                        args.produce_timeout, args.strict)
    # SIGTERM (a CI timeout) ends the campaign the way Ctrl-C does: through the cleanup below.
    signal.signal(signal.SIGTERM, interrupt)
    started = time.monotonic()
    results: list[PipelineResult] = []
    try:
        campaign.start()
        say(f"  started: topic {campaign.topic}, S3 prefix {campaign.name}/, proxies "
            f"{', '.join(p.endpoint for p in campaign.proxies)}")
        failed_in_a_row = 0
        for n, fault in enumerate(the_plan.faults, 1):
            failed_in_a_row = 0 if campaign.play(n, fault) else failed_in_a_row + 1
            if failed_in_a_row >= GIVE_UP_AFTER_FAILED_ROUNDS:
                campaign.finding(f"round {n}", f"{failed_in_a_row} rounds in a row did not recover: no more faults")
                break
        rounds_s = time.monotonic() - started
        campaign.drain()
        results = campaign.verify()
    except KeyboardInterrupt:
        campaign.finding("campaign", "interrupted")
        rounds_s = time.monotonic() - started
    except Exception as e:
        campaign.finding("campaign", f"stopped by an error: {type(e).__name__}: {e}")
        rounds_s = time.monotonic() - started
    finally:
        campaign.cleanup()

    ledger = campaign.ledger
    by_pipeline = Counter((s.pipeline, s.acked) for s in ledger.events.values() if s.valid)
    say("")
    say(f"summary: seed {seed}, {campaign.rounds_done} rounds in {minutes(rounds_s)} "
        f"(all with the drain and the check: {minutes(time.monotonic() - started)}), "
        f"{campaign.rounds_failed} did not recover")
    say("faults: " + ", ".join(f"{k} {campaign.faults_done[k]}" for k in kinds))
    say(f"events sent: A acknowledged {by_pipeline[('A', True)]:,}, never acknowledged {by_pipeline[('A', False)]:,}; "
        f"B acknowledged {by_pipeline[('B', True)]:,}, never acknowledged {by_pipeline[('B', False)]:,}; "
        f"batches given up {ledger.batches_given_up:,}; invalid on purpose "
        f"{sum(not s.valid for s in ledger.events.values()):,}")
    say("answers: " + ", ".join(f"{k} {v:,}" for k, v in sorted(ledger.statuses.items())))
    say("S3 proxies: " + ", ".join(f"{k} {v:,}" for k, v in campaign.proxy_counts().items()))
    for r, fmt, label in zip(results, (the_plan.format_a, the_plan.format_b), ("distributed", "run")):
        for line in result_lines(r, fmt, label):
            say(line)
    violations = sum(r.violation_count for r in results)
    for r in results:
        for kind, evidence in r.notes.items():
            say(f"\nnot a violation, in {r.name}: {kind}, e.g.:")
            for line in evidence:
                say(f"  {line}")
        for kind, evidence in r.violations.items():
            say(f"\nVIOLATION in {r.name}: {kind} ({r.counts['violation: ' + kind]:,}), e.g.:")
            for line in evidence:
                say(f"  {line}")
    for f in campaign.findings:
        say(f"\nFINDING ({f.where}): {f.what}")
        if f.evidence:
            say(f.evidence)
    ok = violations == 0 and not campaign.findings and len(results) == 2
    say(f"\nverdict: {'OK' if ok else 'FAILED'} — {violations:,} violations, {len(campaign.findings)} findings; "
        f"logs in {work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
