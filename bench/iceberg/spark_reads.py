"""Spark reads a table clicktrail wrote (bench/iceberg/run says why this is not in ./dev test).

A day of events goes into a directory table in six `clicktrail iceberg append` commits, the last
one a resent batch (the same event ids again); Spark, through Iceberg's Java library, must then
read every row appended. After `clicktrail compact`, it must read each event once, the first
copy's values, one file an hour, a `replace` snapshot; and the table's history, metadata tables
and a time-travel read of the version before compaction must agree. Prints PASS or FAIL per
check; exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

HOUR_MS = 3_600_000
DAY_START_MS = 1_795_564_800_000  # 2026-11-25T00:00:00Z
TYPES = ["page_view", "click", "scroll", "signup"]


def day_of_events(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ts = DAY_START_MS + rng.randrange(24) * HOUR_MS + rng.randrange(HOUR_MS - 60_000)
        e = {"event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "type": TYPES[i % 4],
             "site": "blog", "collector_ts": ts, "event_ts": ts - rng.randrange(1000), "schema_version": 1,
             "anonymous_id": f"v{i % 97}", "page_url": f"https://me.github.io/post/{i % 31}"}
        if i % 3:
            e["x"] = rng.randrange(2000)
        if i % 5 == 0:
            e["props"] = {"plan": ["free", "pro"][i % 2], "n": i}
        e["truncated"] = False
        out.append(e)
    return out


def clicktrail(*args: str) -> str:
    done = subprocess.run([os.environ["CLICKTRAIL_BIN"], *args], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        sys.exit(f"clicktrail {' '.join(args)} failed:\n{done.stderr}")
    return done.stderr


class Checks:
    def __init__(self) -> None:
        self.failed = 0

    def __call__(self, name: str, ok: bool, detail: str = "") -> None:
        print(f"{'PASS' if ok else 'FAIL'}  {name}{'' if ok else ': ' + detail}", flush=True)
        self.failed += 0 if ok else 1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jars", required=True, help="the folder of iceberg-spark-runtime")
    ap.add_argument("--events", type=int, default=24_000)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="clicktrail-spark-"))
    table = work / "events"
    originals = day_of_events(args.events, 1)
    part = len(originals) // 5
    for i in range(5):
        path = work / f"part{i}.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in originals[i * part:(i + 1) * part]))
        clicktrail("iceberg", "append", "--table", str(table), str(path))
    resent = [dict(e, collector_ts=e["collector_ts"] + 5000) for e in originals[part:part + part // 2]]
    path = work / "resent.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in resent))
    clicktrail("iceberg", "append", "--table", str(table), str(path))
    appended = part * 5 + len(resent)

    from pyspark.sql import SparkSession  # noqa: PLC0415 - after the table exists: Spark's start is slow

    jars = ",".join(str(j) for j in Path(args.jars).glob("*.jar"))
    spark = (SparkSession.builder.master("local[2]").appName("clicktrail-iceberg-check")
             .config("spark.jars", jars)
             .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
             .config("spark.sql.catalog.local", "org.apache.iceberg.spark.SparkCatalog")
             .config("spark.sql.catalog.local.type", "hadoop")
             .config("spark.sql.catalog.local.warehouse", str(work))
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    check = Checks()
    # The hadoop catalog finds a table by its directory under the warehouse, through
    # metadata/version-hint.text: the layout clicktrail writes without a catalog.
    name = "local.`events`"

    rows_before = spark.sql(f"SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM {name}").first()
    check("before compaction, Spark reads every row appended", rows_before.n == appended,
          f"{rows_before.n} rows, {appended} appended")
    check("before compaction, the resent batch is there twice", rows_before.d == part * 5,
          f"{rows_before.d} distinct ids")
    version_before = spark.sql(f"SELECT snapshot_id FROM {name}.snapshots ORDER BY committed_at DESC LIMIT 1").first()[0]

    out = clicktrail("compact", "--table", str(table))
    print(out.strip().splitlines()[-1], flush=True)

    spark.sql(f"REFRESH TABLE {name}")
    after = spark.sql(f"SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM {name}").first()
    check("after compaction, each event once", after.n == part * 5 and after.d == part * 5,
          f"{after.n} rows, {after.d} distinct, {part * 5} events")
    files = spark.sql(f"SELECT count(*) FROM {name}.files").first()[0]
    check("after compaction, one file an hour", files == 24, f"{files} files")
    op = spark.sql(f"SELECT operation FROM {name}.snapshots ORDER BY committed_at DESC LIMIT 1").first()[0]
    check("the newest snapshot is a replace", op == "replace", op)

    got = {r.event_id: r for r in spark.sql(
        f"SELECT event_id, type, site, collector_ts, event_ts, x, page_url, props FROM {name}").collect()}
    expected = {e["event_id"]: e for e in originals[:part * 5]}
    wrong = []
    for eid, e in expected.items():
        r = got.get(eid)
        ms = lambda t: round(t.timestamp() * 1000) if t is not None else None  # noqa: E731
        if r is None or (r.type, r.site, ms(r.collector_ts), ms(r.event_ts), r.x, r.page_url) != (
                e["type"], e["site"], e["collector_ts"], e["event_ts"], e.get("x"), e["page_url"]) or (
                (json.loads(r.props) if r.props else None) != e.get("props")):
            wrong.append(eid)
    check("every value is the first copy's, as appended", not wrong, f"{len(wrong)} rows differ, e.g. {wrong[:2]}")

    hours = spark.sql(f"SELECT hour(collector_ts) AS h, count(*) AS n FROM {name} GROUP BY 1 ORDER BY 1").collect()
    want_hours = [0] * 24
    for e in expected.values():
        want_hours[(e["collector_ts"] - DAY_START_MS) // HOUR_MS] += 1
    check("per-hour counts", [r.n for r in hours] == want_hours, f"{[r.n for r in hours]}")
    clicks = spark.sql(f"SELECT count(*) FROM {name} WHERE type = 'click' AND x >= 1000 AND "
                       "collector_ts >= TIMESTAMP '2026-11-25 10:00:00' AND collector_ts < TIMESTAMP '2026-11-25 11:00:00'"
                       ).first()[0]
    want_clicks = sum(1 for e in expected.values() if e["type"] == "click" and e.get("x", -1) >= 1000
                      and (e["collector_ts"] - DAY_START_MS) // HOUR_MS == 10)
    check("a filtered query on one hour", clicks == want_clicks, f"{clicks}, want {want_clicks}")
    travelled = spark.sql(f"SELECT count(*) FROM {name} VERSION AS OF {version_before}").first()[0]
    check("time travel to the version before compaction reads its rows", travelled == appended,
          f"{travelled}, want {appended}")
    spark.stop()
    print(f"{'all checks passed' if not check.failed else f'{check.failed} checks failed'} (table kept at {table})")
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
