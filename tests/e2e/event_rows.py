"""Stored events (the sink's JSON Lines) for the Parquet tests: every field of schema v1 with
its kind, events that fill every column with awkward values, and the rows a Parquet reader
must give back for them."""

from __future__ import annotations

import json
import random
import uuid

# Every schema-v1 field in column order, with the kind of value it holds (docs/event-schema.md).
FIELDS = [
    ("event_id", "uuid"), ("type", "type"), ("site", "site"), ("client_ts", "ts"), ("sent_ts", "ts"),
    ("collector_ts", "ts!"), ("event_ts", "ts!"), ("anonymous_id", "text"), ("user_id", "text"),
    ("session_id", "text"), ("network_id", "text"), ("page_url", "text"), ("page_path", "text"), ("page_title", "text"),
    ("referrer", "text"), ("utm_source", "text"), ("utm_medium", "text"), ("utm_campaign", "text"),
    ("utm_term", "text"), ("utm_content", "text"), ("target_tag", "text"), ("target_id", "text"),
    ("target_classes", "text"), ("target_text", "text"), ("target_href", "text"), ("target_selector", "text"),
    ("x", "int32"), ("y", "int32"), ("scroll_depth", "percent"), ("engaged_ms", "count"),
    ("viewport_w", "count"), ("viewport_h", "count"), ("screen_w", "count"), ("screen_h", "count"),
    ("locale", "text"), ("timezone", "text"), ("ua", "text"), ("ip", "text"),
    ("geo_country", "text"), ("geo_region", "text"), ("geo_city", "text"), ("geo_asn", "asn"), ("geo_asn_org", "text"),
    ("props", "json"), ("truncated", "bool!"), ("schema_version", "version"),
    # the sink's enrichment comes last (src/event/event.h)
    ("ua_browser", "text"), ("ua_browser_version", "text"), ("ua_os", "text"), ("ua_os_version", "text"),
    ("ua_device", "text"), ("ua_device_brand", "text"), ("ua_device_model", "text"), ("is_bot", "bool"),
    ("bot_name", "text"), ("referrer_medium", "text"), ("referrer_source", "text"), ("referrer_term", "text"),
    ("click_id_kind", "text"),
]
REQUIRED = {name for name, kind in FIELDS if kind in ("uuid", "type", "site", "ts!", "bool!", "version")}
TIMESTAMPS = {name for name, kind in FIELDS if kind.startswith("ts")}

WORDS = ["clickstream", "Ünïcödé", "漢字", "🙂", "naïve café", "a\"quote", "back\\slash", "tab\there", "", " "]


def text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 6)))


def value(kind: str, i: int, rng: random.Random):
    if kind == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128)))
    if kind == "type":
        return rng.choice(["page_view", "click", "scroll", "custom.event"])
    if kind == "site":
        return rng.choice(["demo", "blog"])
    if kind.startswith("ts"):
        return 1_795_600_800_000 + i * 37 + rng.randint(0, 5)
    if kind == "text":
        return text(rng)
    if kind == "int32":
        return rng.choice([-2**31, 2**31 - 1, 0, -1, rng.randint(-5000, 5000)])
    if kind == "asn":  # 32 bits, unsigned: an int64 column
        return rng.choice([0, 2**32 - 1, rng.randint(1, 400_000)])
    if kind == "percent":
        return rng.randint(0, 100)
    if kind == "count":
        return rng.choice([0, 2**31 - 1, rng.randint(0, 4000)])
    if kind.startswith("bool"):
        return rng.random() < 0.5
    if kind == "json":
        return {"plan": rng.choice(["free", "pro"]), "n": rng.randint(0, 9), "nested": {"ok": True, "ü": [1, 2]}}
    if kind == "version":
        return 1
    raise ValueError(kind)


def full_event(i: int, rng: random.Random, null_rate: float = 0.3) -> dict:
    """An event with every field; optional ones left out (null) at `null_rate`."""
    e = {}
    for name, kind in FIELDS:
        if name not in REQUIRED and rng.random() < null_rate:
            continue
        e[name] = value(kind, i, rng)
    return e


def minimal_event(i: int, **extra) -> dict:
    e = {"event_id": str(uuid.UUID(int=i)), "type": "page_view", "site": "demo",
         "collector_ts": 1_795_600_800_000 + i, "event_ts": 1_795_600_800_000 + i, "schema_version": 1}
    e.update(extra)
    return e


def jsonl(events: list[dict]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in events)


def expected_row(e: dict) -> dict:
    """The row a reader gives for event `e`, in the form read_rows() returns."""
    row = {name: e.get(name) for name, _ in FIELDS}
    row["truncated"] = bool(e.get("truncated", False))
    return row


def read_rows(table) -> list[dict]:
    """A pyarrow table's rows with timestamps as ms integers and props parsed, for comparison."""
    import pyarrow as pa
    columns = {}
    for name in table.column_names:
        col = table.column(name)
        if name in TIMESTAMPS:
            col = col.cast(pa.int64())
        values = col.to_pylist()
        if name == "props":
            values = [json.loads(v) if v is not None else None for v in values]
        columns[name] = values
    return [{name: columns[name][r] for name in table.column_names} for r in range(table.num_rows)]
