"""clicktrail's Parquet writer beside pyarrow's, on the same events, in the same run.

1. Events: bench/parquet/generate.py writes N stored events (a blog's traffic; cached in
   build/bench/parquet/ for the same N, seed and generator).
2. clicktrail: parquet_writer_bench decodes them into memory, then times the writer (append
   every event, finish) into an in-memory string, once per codec in each of `runs` rounds.
3. pyarrow: the same rows as a pa.Table with the schema our writer writes (strings, int32,
   bool, timestamp[ms, UTC]; props as its compact JSON text), built before timing; then
   pq.write_table into a pa.BufferOutputStream, once per codec in each round, after ours, on one thread
   (pa.set_cpu_count(1), pa.set_io_thread_count(1); Arrow's Parquet writer encodes columns one
   after another anyway). Same codec and level (zstd 1, gzip 6: ours; zstd 1 is Arrow's default too), same rows per row
   group, dictionary encoding on (pyarrow's default, which also covers integer columns; ours
   is for strings only), statistics on, 1 MiB pages (both defaults).

Reported per codec: rows/s (best run's wall time; both are single-threaded, which the CPU/wall
figure in the JSON shows) and bytes per row, for each writer, and the ratios clicktrail/pyarrow.
A sanity line says that pyarrow reads our file back with the right rows and row groups and that
its values equal pyarrow's own input table. Results go to build/bench/parquet.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LEVELS = {"zstd": 1, "gzip": 6, "snappy": None, "none": None}  # format::effective_level

TS = pa.timestamp("ms", tz="UTC")
# The columns our writer types from each field's type in docs/event-schema.md.
ARROW_TYPES = {"string": pa.string(), "string (UUID)": pa.string(), "JSON object": pa.string(),
               "int64 (ms)": TS, "int64": pa.int64(), "int32": pa.int32(), "bool": pa.bool_()}
# Fields every stored event has (docs/event-schema.md says so above its table): not nullable.
REQUIRED = {"event_id", "type", "site", "collector_ts", "event_ts", "truncated", "schema_version"}


def schema_of_the_docs() -> pa.Schema:
    """Schema v1 in column order, as our writer types it, read from the field table of
    docs/event-schema.md, so that a new field reaches this bench without an edit."""
    fields = []
    for line in (ROOT / "docs" / "event-schema.md").read_text().splitlines():
        cells = [c.strip() for c in line.split("|")[1:-1]]
        if len(cells) >= 3 and cells[0].startswith("`") and cells[1].isdigit():
            name = cells[0].strip("`")
            fields.append(pa.field(name, ARROW_TYPES[cells[2]], name not in REQUIRED))
    assert REQUIRED <= {f.name for f in fields}, "docs/event-schema.md lost a field this bench requires"
    return pa.schema(fields)


SCHEMA = schema_of_the_docs()


def events_file(n: int, seed: int) -> Path:
    """The generated events, made once per (N, seed, generator); those of an older generator are removed."""
    generator = HERE / "generate.py"
    digest = hashlib.sha256(generator.read_bytes()).hexdigest()[:10]
    folder = ROOT / "build" / "bench" / "parquet"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"events-{n}-seed{seed}-{digest}.jsonl"
    if not path.exists():
        for old in folder.glob("events-*.jsonl"):
            if not old.name.endswith(f"-{digest}.jsonl"):
                old.unlink()
        print(f"generating {n:,} events into {path.relative_to(ROOT)}", file=sys.stderr)
        subprocess.run([sys.executable, str(generator), "--events", str(n), "--seed", str(seed), str(path)], check=True)
    return path


def load_table(path: Path) -> pa.Table:
    """The stored events as columns of SCHEMA; absent fields are nulls, props its compact JSON."""
    names = SCHEMA.names
    columns: dict[str, list] = {name: [] for name in names}
    with path.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            props = record.get("props")
            if props is not None:
                record["props"] = json.dumps(props, ensure_ascii=False, separators=(",", ":"))
            record.setdefault("truncated", False)
            for name in names:
                columns[name].append(record.get(name))
    return pa.table([pa.array(columns[f.name], type=f.type) for f in SCHEMA], schema=SCHEMA)


def time_pyarrow(table: pa.Table, codec: str, row_group_rows: int, runs: int) -> dict:
    # Untimed, as parquet_writer_bench does: the codec's first use sets up what it needs.
    pq.write_table(table.slice(0, 1000), pa.BufferOutputStream(), compression=codec,
                   compression_level=LEVELS[codec])
    wall, cpu, size = [], [], 0
    for _ in range(runs):
        sink = pa.BufferOutputStream()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        pq.write_table(table, sink, row_group_size=row_group_rows, compression=codec,
                       compression_level=LEVELS[codec], use_dictionary=True, write_statistics=True)
        data = sink.getvalue()
        wall.append(time.perf_counter() - wall0)
        cpu.append(time.process_time() - cpu0)
        size = data.size
    return {"writer": "pyarrow", "codec": codec, "rows": table.num_rows, "bytes": size, "wall_s": wall, "cpu_s": cpu,
            "file": data}


def check_ours(path: Path, table: pa.Table, row_group_rows: int) -> str:
    """Reads our file back with pyarrow: rows, row groups and every value against pyarrow's input."""
    meta = pq.ParquetFile(path).metadata
    ours = pq.read_table(path)
    ours = ours.cast(pa.schema([pa.field(f.name, f.type, f.nullable) for f in SCHEMA])).replace_schema_metadata()
    groups = -(-table.num_rows // row_group_rows)
    problems = []
    if ours.num_rows != table.num_rows:
        problems.append(f"{ours.num_rows:,} rows, not {table.num_rows:,}")
    if meta.num_row_groups != groups:
        problems.append(f"{meta.num_row_groups} row groups, not {groups}")
    if not problems and not ours.equals(table):
        bad = [f.name for f in SCHEMA if not ours.column(f.name).equals(table.column(f.name))]
        problems.append(f"values differ from pyarrow's input in: {', '.join(bad)}")
    if problems:
        sys.exit(f"{path}: pyarrow reads it back with {'; '.join(problems)}")
    return (f"pyarrow reads {path.name} back: {ours.num_rows:,} rows in {meta.num_row_groups} row "
            f"group{'s' if meta.num_row_groups != 1 else ''}, every value equal to pyarrow's own input")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--codecs", default="zstd,snappy,none", help="comma-separated: zstd, snappy, gzip, none")
    parser.add_argument("--row-group-rows", type=int, default=128 * 1024)
    parser.add_argument("--bench", required=True, help="the parquet_writer_bench binary")
    args = parser.parse_args()
    codecs = args.codecs.split(",")
    if not codecs or any(c not in LEVELS for c in codecs):
        parser.error("--codecs takes zstd, snappy, gzip or none, comma-separated")
    if args.events < 1 or args.runs < 1 or args.row_group_rows < 1:
        parser.error("--events, --runs and --row-group-rows take positive numbers")
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)

    path = events_file(args.events, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.process_time()
        table = load_table(path)
        print(f"run.py: pyarrow's table of {table.num_rows:,} rows built in {time.process_time() - started:.1f} s CPU",
              file=sys.stderr)
        # Round by round, one timed write of each codec by each writer: on a shared machine a slow
        # spell then lands on both sides, where all of ours and then all of pyarrow's runs put
        # each side in a different minute (three such runs in a row gave 0.96x to 1.23x).
        # Each side's writes are warm ones: ours is a new process each round, so it writes each
        # codec twice and the second write counts (the first faults in the columns' memory);
        # pyarrow's process lives on, so only its first round writes twice.
        ours, theirs = {}, {}
        for r in range(args.runs):
            print(f"run.py: round {r + 1} of {args.runs}: clicktrail's writer, then pyarrow's", file=sys.stderr)
            ours_run = subprocess.run([args.bench, str(path), "--codecs", ",".join(codecs), "--runs", "2",
                                       "--row-group-rows", str(args.row_group_rows), "--out", tmp],
                                      check=True, stdout=subprocess.PIPE, text=True)
            for o in map(json.loads, ours_run.stdout.splitlines()):
                kept = ours.setdefault(o["codec"], {**o, "wall_s": [], "cpu_s": []})
                kept["wall_s"].append(o["wall_s"][-1])
                kept["cpu_s"].append(o["cpu_s"][-1])
            for c in codecs:
                t = time_pyarrow(table, c, args.row_group_rows, 2 if r == 0 else 1)
                kept = theirs.setdefault(c, {**t, "wall_s": [], "cpu_s": []})
                kept["wall_s"].append(t["wall_s"][-1])
                kept["cpu_s"].append(t["cpu_s"][-1])
                kept["file"] = t["file"]
        sanity = check_ours(Path(tmp) / f"clicktrail-{codecs[0]}.parquet", table, args.row_group_rows)
        py_file = pq.ParquetFile(pa.BufferReader(theirs[codecs[0]].pop("file")))
        py_groups = py_file.metadata.num_row_groups
        for r in theirs.values():
            r.pop("file", None)

    results = {"events": args.events, "seed": args.seed, "runs": args.runs, "row_group_rows": args.row_group_rows,
               "json_bytes_per_event": ours[codecs[0]]["json_bytes"] / args.events, "pyarrow": pa.__version__,
               "cores": os.cpu_count(), "codecs": {}}
    print(f"Parquet writers on {args.events:,} events of ~{results['json_bytes_per_event']:.0f} bytes as JSON, "
          f"{args.row_group_rows:,} rows per row group, best of {args.runs} runs, one thread each")
    print(f"{'codec':<9} {'clicktrail rows/s':>17} {'pyarrow rows/s':>15} {'speed ratio':>11}"
          f" {'clicktrail B/row':>16} {'pyarrow B/row':>13} {'size ratio':>10}")
    for c in codecs:
        o, p = ours[c], theirs[c]
        o_rate, p_rate = args.events / min(o["wall_s"]), args.events / min(p["wall_s"])
        o_row, p_row = o["bytes"] / args.events, p["bytes"] / args.events
        label = f"{c} {LEVELS[c]}" if LEVELS[c] else c
        print(f"{label:<9} {o_rate:>17,.0f} {p_rate:>15,.0f} {o_rate / p_rate:>10.2f}×"
              f" {o_row:>16.1f} {p_row:>13.1f} {o_row / p_row:>9.2f}×")
        results["codecs"][c] = {
            "clicktrail": {**o, "rows_per_s": o_rate, "median_rows_per_s": args.events / statistics.median(o["wall_s"]),
                           "cpu_per_wall": min(o["cpu_s"]) / min(o["wall_s"])},
            "pyarrow": {**p, "rows_per_s": p_rate, "median_rows_per_s": args.events / statistics.median(p["wall_s"]),
                        "cpu_per_wall": min(p["cpu_s"]) / min(p["wall_s"]), "row_groups": py_groups}}
    print("speed ratio: clicktrail rows/s ÷ pyarrow's (above 1: ours is faster); "
          "size ratio: clicktrail bytes ÷ pyarrow's (below 1: ours is smaller)")
    print(f"sanity: {sanity}")
    out = ROOT / "build" / "bench" / "parquet.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
