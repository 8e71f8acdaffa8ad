"""Measures `clicktrail sink --until-caught-up` on a topic filled beforehand.

1. Throughput: N realistic events over 4 partitions and 3 hours → JSON Lines gzip in the S3
   server, then the same topic again at gzip level 1 (ISA-L; its files' bytes against level 6's),
   then again → Parquet zstd. The records are what the collector writes
   by default, binary ones (docs/record.proto; ~400 bytes, ~600 as JSON), or with --records json
   the JSON lines. Reported: events/s of wall time,
   and events per second of sink CPU (user + system of the sink process and all its threads,
   from getrusage), i.e. per core.
   Beside them, librdkafka's consumer alone on the same topic (kcat in a consumer group, the
   sink's queue settings, every record read and dropped): the CPU that any consumer built on
   Debian's librdkafka (2.0.2) spends before it does anything with a record, and the sink's
   Parquet figure without it.
2. Memory: events spread over 500 hours in one partition, with size and age limits high enough
   that all 500 files stay open until the end. Reported: the sink's peak RSS.

3. The peer (peer.py): Kafka Connect 3.9.1 standalone with Apache Iceberg's sink connector, the
   same events as JSON lines (a second topic of them when the records are binary, since Connect's
   JsonConverter reads JSON) → an Iceberg table (Parquet zstd) of a REST catalog on the same S3
   server. Reported: its events per CPU-second over the whole run, without its start-up, in a
   warm JVM, and in a warm JVM without the JIT compilers' CPU; wall time, peak RSS; and clicktrail
   sink (Parquet) ÷ the peer for each. --no-peer skips it, --peer-only runs it alone.

The broker and the S3 server run on the same two cores; the CPU figure counts the sink alone.
Each throughput run's output is read back from the S3 server (pyarrow; pyiceberg for the peer's
table) and must hold every event id of the topic exactly once, and nothing else; the run fails
otherwise.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import records  # noqa: E402  (tests/e2e: the Event message of docs/record.proto)
import peer  # noqa: E402  (this folder: Kafka Connect + Iceberg)
from procfs import high_water_kib  # noqa: E402  (this folder)
HOUR_MS = 3_600_000
BASE_TS = 1_795_600_800_000


def event(i: int, ts: int, rng: random.Random) -> bytes:
    e = {"event_id": str(uuid.UUID(int=(0x0190 << 112) | (7 << 76) | (2 << 62) | i)),
         "type": rng.choice(["page_view", "click", "scroll", "engagement"]), "site": "blog",
         "collector_ts": ts, "event_ts": ts - rng.randint(0, 3000), "anonymous_id": f"a-{rng.randint(0, 50000):08x}",
         "session_id": f"s-{rng.randint(0, 200000):08x}",
         "page_url": f"https://me.github.io/posts/{rng.randint(1, 400)}-a-post-title?utm_source=news",
         "page_path": f"/posts/{rng.randint(1, 400)}", "page_title": "A post about building things " * rng.randint(1, 3),
         "referrer": rng.choice(["https://www.google.com/", "https://news.ycombinator.com/", ""]),
         "viewport_w": 1280, "viewport_h": 720, "locale": "en-GB", "timezone": "Europe/London",
         "ua": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
         "ip": "203.0.113.0", "utm_source": "news", "schema_version": 1}
    return json.dumps(e, separators=(",", ":")).encode()


def binary_record(line: bytes) -> bytes:
    """The JSON line as the collector's binary record: the marker, then the Event message."""
    return bytes([records.MARKER]) + records.event_message()(**json.loads(line)).SerializeToString()


# kcat splits its input at these: byte strings that neither form of record holds (checked).
VALUE_END = b"\xff\xfeCT-RECORD-END\xfe\xff"
KEY_END = b"\xfe\xfdCT-KEY-END\xfd\xfe"


def produce(bootstrap: str, topic: str, values: list[bytes], partition: int | None = None) -> None:
    if any(VALUE_END in v or KEY_END in v for v in values):
        sys.exit("a record holds the delimiter kcat is given; change VALUE_END and KEY_END")
    args = ["kcat", "-P", "-b", bootstrap, "-t", topic, "-z", "lz4", "-X", "linger.ms=50",
            "-D", os.fsdecode(VALUE_END)]
    if partition is not None:
        args += ["-p", str(partition)]
    else:
        args += ["-K", os.fsdecode(KEY_END)]
        values = [f"{n % 64}".encode() + KEY_END + v for n, v in enumerate(values)]
    subprocess.run(args, input=VALUE_END.join(values) + VALUE_END, check=True, capture_output=True, timeout=600)


def events_table(prefix: str):
    """The S3 server as pyarrow's file system, and the files of the events table under
    s3://BUCKET/prefix."""
    import pyarrow.fs as pafs
    env = os.environ
    s3 = pafs.S3FileSystem(access_key=env["AWS_ACCESS_KEY_ID"], secret_key=env["AWS_SECRET_ACCESS_KEY"],
                           region=env["AWS_REGION"], endpoint_override=env["S3_ENDPOINT"], scheme="http")
    files = [f for f in s3.get_file_info(pafs.FileSelector(f"{env['S3_BUCKET']}/{prefix}/events", recursive=True))
             if f.type == pafs.FileType.File]
    return s3, files


def bytes_written(prefix: str) -> int:
    return sum(f.size for f in events_table(prefix)[1])


def event_ids_written(prefix: str, output_format: str) -> collections.Counter:
    """The event ids in the events table under s3://BUCKET/prefix, each with how often it occurs."""
    import pyarrow.parquet as pq
    s3, found = events_table(prefix)
    files = [f.path for f in found]
    ids: collections.Counter = collections.Counter()
    for path in files:
        if output_format == "parquet":
            ids.update(pq.read_table(path, columns=["event_id"], filesystem=s3).column("event_id").to_pylist())
        else:
            with s3.open_input_stream(path, compression=None) as f:  # the gzip members, as stored
                ids.update(json.loads(line)["event_id"] for line in gzip.decompress(f.read()).splitlines())
    return ids


def verify(prefix: str, output_format: str, expected: set[str]) -> str:
    ids = event_ids_written(prefix, output_format)
    twice = sum(1 for n in ids.values() if n > 1)
    missing = len(expected - ids.keys())
    extra = len(ids.keys() - expected)
    if twice or missing or extra:
        sys.exit(f"the {output_format} output under {prefix} is not the topic's events exactly once: "
                 f"{missing:,} missing, {twice:,} written more than once, {extra:,} not in the topic")
    return f"verified: {len(ids):,} event ids read back, each once"


def run_sink(config: Path) -> dict:
    """Runs one sink to completion: wall time, CPU from getrusage (all its threads), and its own
    peak RSS (VmHWM, sampled until it exits: ru_maxrss of children would mix the runs)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([os.environ["CLICKTRAIL_BIN"], "sink", "--config", str(config), "--until-caught-up"],
                            stdout=log, stderr=subprocess.STDOUT)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, high_water_kib(proc.pid))
        time.sleep(0.02)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        log.seek(0)
        sys.exit(f"the sink failed:\n{log.read().decode(errors='replace')[-3000:]}")
    return {"wall_s": wall, "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "peak_rss_mib": peak / 1024}


def run_consumer_alone(topic: str, events: int) -> dict:
    """kcat as a KafkaConsumer in a group of its own (as the sink is), with the sink's queue
    settings (src/kafka/consumer_conf.cc), reading the topic to its end and printing one empty
    line per record: librdkafka's share of any sink's CPU. The lines are counted, so the figure
    is of a run that read every record. It includes kcat's start-up and group join, which the
    sink's figure it is taken from leaves out: the floor is, if anything, a little high."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        proc = subprocess.run(["kcat", "-b", os.environ["KAFKA_BOOTSTRAP"], "-G", f"bench-floor-{uuid.uuid4().hex[:8]}",
                               topic, "-e", "-q", "-f", "\\n", "-X", "auto.offset.reset=earliest",
                               "-X", "enable.auto.commit=false", "-X", "enable.auto.offset.store=false",
                               "-X", "isolation.level=read_committed", "-X", "queued.min.messages=10000000",
                               "-X", "queued.max.messages.kbytes=131072"],
                              capture_output=True, timeout=300)
    except subprocess.TimeoutExpired as e:
        sys.exit(f"kcat did not reach the end of {topic} in 300 s: "
                 f"{(e.stderr or b'').decode(errors='replace')[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    read = proc.stdout.count(b"\n")
    if proc.returncode != 0 or read != events:
        sys.exit(f"kcat read {read:,} of {events:,} records (exit {proc.returncode}): "
                 f"{proc.stderr.decode(errors='replace')[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"cpu_s": cpu, "events_per_core_s": events / cpu, "records_read": read}


def config(tmp: Path, topic: str, prefix: str, output_format: str = "jsonl", **sink) -> Path:
    """No /metrics listener (listen = ""): another sink on this machine may hold its default port."""
    env = os.environ
    path = tmp / f"{prefix}.toml"
    extra = "\n".join(f"{k} = {json.dumps(v)}" for k, v in sink.items())
    path.write_text(f'[kafka]\nbrokers = "{env["KAFKA_BOOTSTRAP"]}"\ntopic = "{topic}"\n'
                    f'[sink]\noutput = "s3://{env["S3_BUCKET"]}/{prefix}"\nformat = "{output_format}"\n'
                    f'group_id = "bench-{prefix}"\nlisten = ""\n{extra}\n'
                    f'[s3]\nregion = "{env["AWS_REGION"]}"\nendpoint = "{env["S3_ENDPOINT"]}"\npath_style = true\n'
                    f'[log]\nlevel = "warn"\n')
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=400_000)
    parser.add_argument("--open-files", type=int, default=500)
    parser.add_argument("--records", choices=["binary", "json"], default="binary",
                        help="the form of the topic's records (the collector's ingest.record_format)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--no-peer", action="store_true", help="skip Kafka Connect + Iceberg")
    which.add_argument("--peer-only", action="store_true", help="only Kafka Connect + Iceberg")
    parser.add_argument("--peer-commit-ms", type=int, default=1000,
                        help="the peer's iceberg.control.commit.interval-ms (Iceberg's default: 300000)")
    args = parser.parse_args()
    form = binary_record if args.records == "binary" else (lambda line: line)
    rng = random.Random(1)
    bootstrap = os.environ["KAFKA_BOOTSTRAP"]
    results = {}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        run_id = uuid.uuid4().hex[:8]

        topic = f"bench-sink-{run_id}"
        lines = [event(i, BASE_TS + (i * 3 * HOUR_MS) // args.events, rng) for i in range(args.events)]
        values = [form(line) for line in lines]
        expected = {json.loads(line)["event_id"] for line in lines}
        if not args.peer_only:
            # The sink's start-up alone (compiling the enrichment rules, joining the group): a
            # topic that does not exist, where it finds nothing to catch up on and ends.
            startup_cpu_s = run_sink(config(tmp, f"bench-sink-none-{run_id}", f"bench-none-{run_id}"))["cpu_s"]
            results["startup_cpu_s"] = startup_cpu_s
            produce(bootstrap, topic, values)
            r = run_sink(config(tmp, topic, f"bench-{run_id}"))
            r["verified"] = verify(f"bench-{run_id}", "jsonl", expected)
            r.update(events=args.events, events_per_s=args.events / r["wall_s"],
                     events_per_core_s=args.events / r["cpu_s"],
                     events_per_core_s_after_startup=args.events / (r["cpu_s"] - startup_cpu_s),
                     bytes_per_event=sum(map(len, values)) / len(values), records=args.records)
            results["throughput"] = r
            # Again at gzip's fastest level (ISA-L's), which trades bytes for CPU (docs/sink.md).
            r = run_sink(config(tmp, topic, f"bench-gzip1-{run_id}", compression_level=1))
            r["verified"] = verify(f"bench-gzip1-{run_id}", "jsonl", expected)
            r.update(events=args.events, events_per_s=args.events / r["wall_s"],
                     events_per_core_s=args.events / r["cpu_s"],
                     events_per_core_s_after_startup=args.events / (r["cpu_s"] - startup_cpu_s),
                     bytes_out=bytes_written(f"bench-gzip1-{run_id}"),
                     bytes_out_level_6=bytes_written(f"bench-{run_id}"))
            results["throughput_gzip1"] = r
            # The same records again, into Parquet (zstd, the default codec), under a new group id.
            r = run_sink(config(tmp, topic, f"bench-parquet-{run_id}", output_format="parquet"))
            r["verified"] = verify(f"bench-parquet-{run_id}", "parquet", expected)
            r.update(events=args.events, events_per_s=args.events / r["wall_s"],
                     events_per_core_s=args.events / r["cpu_s"],
                     events_per_core_s_after_startup=args.events / (r["cpu_s"] - startup_cpu_s))
            results["throughput_parquet"] = r
            results["consumer_alone"] = run_consumer_alone(topic, args.events)

        if not args.no_peer:
            # Connect's JsonConverter reads JSON: the peer gets the same events, keys and
            # partitions as JSON lines, in a topic of their own unless the records are JSON already.
            peer_topic = topic
            if args.records != "json" or args.peer_only:
                peer_topic = f"bench-sink-json-{run_id}"
                produce(bootstrap, peer_topic, lines)
            r = peer.run_peer(tmp, peer_topic, run_id, expected, args.peer_commit_ms)
            r.update(events=args.events, topic=peer_topic, events_per_s=args.events / r["wall_s"],
                     events_per_core_s=args.events / r["cpu_s"],
                     events_per_core_s_after_startup=args.events / (r["cpu_s"] - r["startup_cpu_s"]),
                     events_per_core_s_warm=args.events / r["warm_cpu_s"],
                     events_per_core_s_warm_no_jit=args.events / (r["warm_cpu_s"] -
                                                                  r["warm_cpu_s_by_live_thread"].get("JIT", 0.0)))
            results["peer"] = r

        if not args.peer_only:
            topic = f"bench-sink-open-{run_id}"
            per_file = 40
            lines = [event(i, BASE_TS + (i % args.open_files) * HOUR_MS, rng)
                     for i in range(args.open_files * per_file)]
            produce(bootstrap, topic, [form(line) for line in lines], partition=0)
            r = run_sink(config(tmp, topic, f"bench-open-{run_id}", max_age="1h",
                                max_open_files=args.open_files + 10, max_records=1_000_000))
            r.update(open_files=args.open_files, events=len(lines))
            results["open_files"] = r

    if not args.peer_only:
        report_ours(results)
    if not args.no_peer:
        report_peer(results)
    out = ROOT / "build" / "bench" / "sink.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


def report_ours(results: dict) -> None:
    t, o = results["throughput"], results["open_files"]
    print(f"sink start-up alone (a topic that does not exist): {results['startup_cpu_s']:.2f} s of CPU; the "
          "figures below include it, and say what they are without it")
    print(f"sink, Kafka → JSON Lines gzip → S3 server, {t['events']:,} events, {t['records']} records of "
          f"~{t['bytes_per_event']:.0f} bytes")
    print(f"  wall            {t['wall_s']:.1f} s   {t['events_per_s']:,.0f} events/s")
    print(f"  sink CPU        {t['cpu_s']:.1f} s   {t['events_per_core_s']:,.0f} events/s per core of sink CPU   "
          f"({t['events_per_core_s_after_startup']:,.0f} without start-up)")
    print(f"  peak RSS        {t['peak_rss_mib']:.0f} MiB")
    print(f"  {t['verified']}")
    g = results["throughput_gzip1"]
    print(f"sink, the same events → JSON Lines gzip level 1 (ISA-L) → S3 server: files "
          f"{g['bytes_out'] / g['bytes_out_level_6'] - 1:+.0%} against level 6's")
    print(f"  wall            {g['wall_s']:.1f} s   {g['events_per_s']:,.0f} events/s")
    print(f"  sink CPU        {g['cpu_s']:.1f} s   {g['events_per_core_s']:,.0f} events/s per core of sink CPU   "
          f"({g['events_per_core_s_after_startup']:,.0f} without start-up)")
    print(f"  peak RSS        {g['peak_rss_mib']:.0f} MiB")
    print(f"  {g['verified']}")
    q = results["throughput_parquet"]
    startup = results["startup_cpu_s"]
    print("sink, the same events → Parquet zstd → S3 server")
    print(f"  wall            {q['wall_s']:.1f} s   {q['events_per_s']:,.0f} events/s")
    print(f"  sink CPU        {q['cpu_s']:.1f} s   {q['events_per_core_s']:,.0f} events/s per core of sink CPU   "
          f"({q['events_per_core_s_after_startup']:,.0f} without start-up)")
    print(f"  peak RSS        {q['peak_rss_mib']:.0f} MiB")
    print(f"  {q['verified']}")
    c = results["consumer_alone"]
    print(f"librdkafka's consumer alone on the same topic (kcat in a consumer group, the sink's queue settings, "
          f"{c['records_read']:,} records read and dropped; its start-up included)")
    print(f"  CPU             {c['cpu_s']:.2f} s   {c['events_per_core_s']:,.0f} records/s per core: the ceiling of any "
          "sink on this librdkafka")
    rest = q["cpu_s"] - startup - c["cpu_s"]
    if rest > 0:  # (a tiny --events can leave nothing)
        print(f"  the Parquet sink's CPU without start-up and without it: {rest:.2f} s, "
              f"{q['events']:,.0f} events at {q['events'] / rest:,.0f} events/s per core; the consumer is "
              f"{c['cpu_s'] / (q['cpu_s'] - startup):.0%} of the sink's CPU")
    print(f"sink with {o['open_files']} files open at once ({o['events']:,} events over {o['open_files']} hours)")
    print(f"  peak RSS        {o['peak_rss_mib']:.0f} MiB   (target ≤ 256 MiB)")


def report_peer(results: dict) -> None:
    p = results["peer"]
    print(f"peer, Kafka Connect 3.9.1 + Iceberg 1.10.1 sink → Iceberg table (Parquet zstd, REST catalog) → "
          f"S3 server, 1 task, commits every {p['commit_interval_ms']} ms")
    print(f"  the same events as JSON lines ({p['topic']}); table {p['table']}")
    print(f"  wall            {p['wall_s']:.1f} s   {p['events_per_s']:,.0f} events/s   (launch → all committed; "
          f"start-up {p['startup_wall_s']:.1f} s)")
    print(f"  JVM CPU         {p['cpu_s']:.1f} s   {p['events_per_core_s']:,.0f} events/s per core")
    print(f"  without start-up {p['cpu_s'] - p['startup_cpu_s']:.1f} s   "
          f"{p['events_per_core_s_after_startup']:,.0f} events/s per core   (start-up: {p['startup_cpu_s']:.1f} s "
          f"of CPU until the task's consumer got its partitions)")
    print(f"  warm JVM        {p['warm_cpu_s']:.1f} s   {p['events_per_core_s_warm']:,.0f} events/s per core   "
          f"(the same events again, a new connector in the same worker; wall {p['warm_wall_s']:.1f} s)")
    print(f"  warm, no JIT    {p['warm_cpu_s'] - p['warm_cpu_s_by_live_thread'].get('JIT', 0.0):.1f} s   "
          f"{p['events_per_core_s_warm_no_jit']:,.0f} events/s per core   (the JIT compilers' threads left out: "
          f"the steady state's bound)")
    print(f"  peak RSS        {p['peak_rss_mib']:.0f} MiB")
    for run, key in (("cold", "cpu_s_by_live_thread"), ("warm", "warm_cpu_s_by_live_thread")):
        print(f"  {run} run's CPU by thread (live ones): " +
              ", ".join(f"{kind} {s:.1f} s" for kind, s in p[key].items()))
    print(f"  {p['verified']}")
    q = results.get("throughput_parquet")
    if q is None:
        return
    # Like with like: whole runs; then without start-up on both sides (clicktrail's start-up
    # measured on an empty topic, the peer's up to its task's assignment), and the peer's warm
    # passes, which have no start-up either.
    ours, steady = q["events_per_core_s"], q["events_per_core_s_after_startup"]
    ratio = {"events_per_core_s": ours / p["events_per_core_s"],
             "events_per_core_s_after_startup": steady / p["events_per_core_s_after_startup"],
             "events_per_core_s_warm": steady / p["events_per_core_s_warm"],
             "events_per_core_s_warm_no_jit": steady / p["events_per_core_s_warm_no_jit"],
             "wall": p["wall_s"] / q["wall_s"]}
    results["ratio_parquet_to_peer"] = ratio
    print("clicktrail sink (Parquet) ÷ peer, events per CPU-second (target ≥ 5×)")
    for key, what in (("events_per_core_s", "whole runs, start-up included"),
                      ("events_per_core_s_after_startup", "both without start-up"),
                      ("events_per_core_s_warm", "ours without start-up ÷ the peer's warm JVM"),
                      ("events_per_core_s_warm_no_jit", "the same, the peer's JIT left out")):
        print(f"  {ratio[key]:5.1f}×  {what:46} {'met' if ratio[key] >= 5 else 'NOT met'}")
    print(f"  wall time: clicktrail's {ratio['wall']:.1f}× shorter")


if __name__ == "__main__":
    main()
