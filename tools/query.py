"""./dev query [SQL] [DIR]: run SQL with DuckDB over the Parquet files clicktrail wrote to DIR
(./data by default), where `events` and `bad` are views over its two tables with the Hive
partition columns (year, month, day, hour). DIR may also be an Iceberg table's root
(docs/iceberg.md): `events` is then its current snapshot, read through pyiceberg's plan of data
files, with year, month, day and hour taken from collector_ts. Without SQL: events per type and
hour. A name instead of SQL runs one of the examples below (./dev query browsers)."""

import sys
from pathlib import Path

import duckdb

DEFAULT = "SELECT year, month, day, hour, type, count(*) AS events FROM events GROUP BY ALL ORDER BY ALL"

# What enrichment answers (docs/enrichment.md): people, not bots, unless the question is bots.
EXAMPLES = {
    "browsers": """SELECT ua_browser AS browser, ua_os AS os, count(*) AS page_views,
                          count(DISTINCT anonymous_id) AS visitors
                   FROM events WHERE type = 'page_view' AND NOT coalesce(is_bot, false)
                   GROUP BY ALL ORDER BY page_views DESC LIMIT 20""",
    "devices": """SELECT ua_device AS device, ua_device_brand AS brand, count(*) AS page_views
                  FROM events WHERE type = 'page_view' AND NOT coalesce(is_bot, false)
                  GROUP BY ALL ORDER BY page_views DESC LIMIT 20""",
    "countries": """SELECT geo_country AS country, geo_region AS region, geo_city AS city,
                           count(DISTINCT anonymous_id) AS visitors
                    FROM events WHERE NOT coalesce(is_bot, false)
                    GROUP BY ALL ORDER BY visitors DESC LIMIT 20""",
    "campaigns": """SELECT coalesce(referrer_medium, 'direct') AS medium, referrer_source AS source,
                           utm_source, utm_medium, utm_campaign, click_id_kind,
                           count(DISTINCT anonymous_id) AS visitors
                    FROM events WHERE type = 'page_view' AND NOT coalesce(is_bot, false)
                    GROUP BY ALL ORDER BY visitors DESC LIMIT 20""",
    "bots": """SELECT bot_name, count(*) AS events FROM events WHERE is_bot
               GROUP BY ALL ORDER BY events DESC LIMIT 20""",
}


def iceberg_events(con: duckdb.DuckDBPyConnection, table: Path) -> bool:
    """The view `events` over the Iceberg table at `table`; False when it has no data yet."""
    from pyiceberg.table import StaticTable

    files = [task.file.file_path.removeprefix("file://")
             for task in StaticTable.from_metadata(f"file://{table.resolve()}").scan().plan_files()]
    if not files:
        return False
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    con.execute(f"""CREATE VIEW events AS SELECT *, year(collector_ts) AS year, month(collector_ts) AS month,
                    day(collector_ts) AS day, hour(collector_ts) AS hour
                    FROM read_parquet([{listed}], union_by_name=true)""")
    return True


def main() -> int:
    sql = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1].strip() else DEFAULT
    sql = EXAMPLES.get(sql.strip(), sql)
    data = Path(sys.argv[2] if len(sys.argv) > 2 else "data")
    if list((data / "metadata").glob("v*.metadata.json")):
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        if not iceberg_events(con, data):
            print(f"the Iceberg table at {data} has no data files yet", file=sys.stderr)
            return 1
        print(con.sql(sql))
        return 0
    if not list((data / "events").rglob("*.parquet")):
        print(f"no Parquet files under {data}/events yet: files appear within sink.max_age of the first "
              "event (10 s with ./dev run); or pass the data directory: ./dev query SQL DIR", file=sys.stderr)
        return 1
    con = duckdb.connect()
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{data}/events/**/*.parquet', hive_partitioning=true, union_by_name=true)")
    if list((data / "bad").rglob("*.jsonl.gz")):
        con.execute(f"CREATE VIEW bad AS SELECT * FROM read_json_auto('{data}/bad/**/*.jsonl.gz', hive_partitioning=true)")
    print(con.sql(sql))
    return 0


if __name__ == "__main__":
    sys.exit(main())
