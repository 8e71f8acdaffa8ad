"""./dev query [SQL] [DIR]: run SQL with DuckDB over the Parquet files clicktrail wrote to DIR
(./data by default), where `events` and `bad` are views over its two tables with the Hive
partition columns (year, month, day, hour). Without SQL: events per type and hour."""

import sys
from pathlib import Path

import duckdb

DEFAULT = "SELECT year, month, day, hour, type, count(*) AS events FROM events GROUP BY ALL ORDER BY ALL"


def main() -> int:
    sql = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1].strip() else DEFAULT
    data = Path(sys.argv[2] if len(sys.argv) > 2 else "data")
    if not list((data / "events").rglob("*.parquet")):
        print(f"no Parquet files under {data}/events yet: files appear within sink.max_age of the first "
              "event (10 s with ./dev run); or pass the data directory: ./dev query SQL DIR", file=sys.stderr)
        return 1
    con = duckdb.connect()
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{data}/events/**/*.parquet', hive_partitioning=true)")
    if list((data / "bad").rglob("*.jsonl.gz")):
        con.execute(f"CREATE VIEW bad AS SELECT * FROM read_json_auto('{data}/bad/**/*.jsonl.gz', hive_partitioning=true)")
    print(con.sql(sql))
    return 0


if __name__ == "__main__":
    sys.exit(main())
