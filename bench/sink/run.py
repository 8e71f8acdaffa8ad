"""Measures `clicktrail sink --until-caught-up` on a topic filled beforehand.

1. Throughput: N realistic events over 4 partitions and 3 hours → JSON Lines gzip in the S3
   server, then the same topic again → Parquet zstd. The records are what the collector writes
   by default, binary ones (docs/record.proto; ~400 bytes, ~600 as JSON), or with --records json
   the JSON lines. Reported: events/s of wall time,
   and events per second of sink CPU (user + system of the sink process and all its threads,
   from getrusage), i.e. per core.
2. Memory: events spread over 500 hours in one partition, with size and age limits high enough
   that all 500 files stay open until the end. Reported: the sink's peak RSS.

The broker and the S3 server run on the same two cores; the CPU figure counts the sink alone.
Each throughput run's output is read back from the S3 server (pyarrow) and must hold every event
id of the topic exactly once, and nothing else; the run fails otherwise.
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


def event_ids_written(prefix: str, output_format: str) -> collections.Counter:
    """The event ids in the events table under s3://BUCKET/prefix, each with how often it occurs."""
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq
    env = os.environ
    s3 = pafs.S3FileSystem(access_key=env["AWS_ACCESS_KEY_ID"], secret_key=env["AWS_SECRET_ACCESS_KEY"],
                           region=env["AWS_REGION"], endpoint_override=env["S3_ENDPOINT"], scheme="http")
    files = [f.path for f in s3.get_file_info(pafs.FileSelector(f"{env['S3_BUCKET']}/{prefix}/events", recursive=True))
             if f.type == pafs.FileType.File]
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


def high_water_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


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


def config(tmp: Path, topic: str, prefix: str, output_format: str = "jsonl", **sink) -> Path:
    env = os.environ
    path = tmp / f"{prefix}.toml"
    extra = "\n".join(f"{k} = {json.dumps(v)}" for k, v in sink.items())
    path.write_text(f'[kafka]\nbrokers = "{env["KAFKA_BOOTSTRAP"]}"\ntopic = "{topic}"\n'
                    f'[sink]\noutput = "s3://{env["S3_BUCKET"]}/{prefix}"\nformat = "{output_format}"\n'
                    f'group_id = "bench-{prefix}"\n{extra}\n'
                    f'[s3]\nregion = "{env["AWS_REGION"]}"\nendpoint = "{env["S3_ENDPOINT"]}"\npath_style = true\n'
                    f'[log]\nlevel = "warn"\n')
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=400_000)
    parser.add_argument("--open-files", type=int, default=500)
    parser.add_argument("--records", choices=["binary", "json"], default="binary",
                        help="the form of the topic's records (the collector's ingest.record_format)")
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
        produce(bootstrap, topic, values)
        r = run_sink(config(tmp, topic, f"bench-{run_id}"))
        r["verified"] = verify(f"bench-{run_id}", "jsonl", expected)
        r.update(events=args.events, events_per_s=args.events / r["wall_s"], events_per_core_s=args.events / r["cpu_s"],
                 bytes_per_event=sum(map(len, values)) / len(values), records=args.records)
        results["throughput"] = r
        # The same records again, into Parquet (zstd, the default codec), under a new group id.
        r = run_sink(config(tmp, topic, f"bench-parquet-{run_id}", output_format="parquet"))
        r["verified"] = verify(f"bench-parquet-{run_id}", "parquet", expected)
        r.update(events=args.events, events_per_s=args.events / r["wall_s"], events_per_core_s=args.events / r["cpu_s"])
        results["throughput_parquet"] = r

        topic = f"bench-sink-open-{run_id}"
        per_file = 40
        lines = [event(i, BASE_TS + (i % args.open_files) * HOUR_MS, rng) for i in range(args.open_files * per_file)]
        produce(bootstrap, topic, [form(line) for line in lines], partition=0)
        r = run_sink(config(tmp, topic, f"bench-open-{run_id}", max_age="1h", max_open_files=args.open_files + 10,
                            max_records=1_000_000))
        r.update(open_files=args.open_files, events=len(lines))
        results["open_files"] = r

    t, o = results["throughput"], results["open_files"]
    print(f"sink, Kafka → JSON Lines gzip → S3 server, {t['events']:,} events, {t['records']} records of "
          f"~{t['bytes_per_event']:.0f} bytes")
    print(f"  wall            {t['wall_s']:.1f} s   {t['events_per_s']:,.0f} events/s")
    print(f"  sink CPU        {t['cpu_s']:.1f} s   {t['events_per_core_s']:,.0f} events/s per core of sink CPU")
    print(f"  peak RSS        {t['peak_rss_mib']:.0f} MiB")
    print(f"  {t['verified']}")
    q = results["throughput_parquet"]
    print("sink, the same events → Parquet zstd → S3 server")
    print(f"  wall            {q['wall_s']:.1f} s   {q['events_per_s']:,.0f} events/s")
    print(f"  sink CPU        {q['cpu_s']:.1f} s   {q['events_per_core_s']:,.0f} events/s per core of sink CPU")
    print(f"  peak RSS        {q['peak_rss_mib']:.0f} MiB")
    print(f"  {q['verified']}")
    print(f"sink with {o['open_files']} files open at once ({o['events']:,} events over {o['open_files']} hours)")
    print(f"  peak RSS        {o['peak_rss_mib']:.0f} MiB   (target ≤ 256 MiB)")
    out = ROOT / "build" / "bench" / "sink.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
