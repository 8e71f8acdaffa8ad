"""The verdict: the store read back against what the clients were told, and for the distributed
pipeline against the topic too.

An event's *copies* are its distinct ingests (event_id, collector_ts, sent_ts). Each try of a
request stores its events with its own sent_ts, so every copy names the try that stored it and
what that try was told (traffic.Outcome.kind). The same copy in two rows can only be the sink's.

Violations (the campaign exits non-zero):
- an acknowledged event whose acknowledged copy is not stored; a copy stored by a try that was
  answered 5xx (the collector said: not durable), 429 or another 4xx, or whose connection was
  refused; a copy of an event the 2xx refused; a copy no try sent;
- a copy in more than one row (the sink wrote it twice); for the distributed pipeline also any
  record of the topic missing from the store or stored twice, and an acknowledged event that is
  not in the topic;
- an id no client sent, an event in the wrong table, a file that does not decode.

Not a violation, but counted and printed: a copy stored by a try whose connection was cut after
sending (a collector or `run` killed between making the events durable and answering). No HTTP
server can tell its client that it died; the client's retry then stores the events again. This
is the at-least-once edge the design accepts (event_id lets a query remove it); --strict counts
these copies as violations too. When both copies land in one partition within the sink's
dedup window, the sink drops the later one, the acknowledged retry's, as a repeat (docs/sink.md,
"Repeated events"): the event is then stored once, as its cut try's copy, and the retry's
record of the topic is counted as dropped as a repeat, not as lost, when an earlier copy of the
same event in the same partition is stored.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from store import Row, StoreContents
from traffic import EventState

EVIDENCE_PER_KIND = 15
DEDUP_WINDOW = 100_000  # sink.dedup_window's default, which the campaign's sinks run with
KEY_OFFSET = re.compile(r"\+(\d+)\+(\d{20})-g(\d+)\.")


@dataclass
class TopicCopies:
    """The events topic as read back: each copy's (partition, offset) positions."""
    positions: dict[tuple, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    records: int = 0
    not_events: int = 0

    def by_event(self) -> dict[str, list[tuple[int, int]]]:
        out: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for copy, positions in self.positions.items():
            out[copy[0]] += positions
        return out


@dataclass
class PipelineResult:
    name: str
    counts: Counter = field(default_factory=Counter)
    violations: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # evidence of what is not

    def violate(self, kind: str, evidence: str) -> None:
        self.counts[f"violation: {kind}"] += 1
        if len(self.violations[kind]) < EVIDENCE_PER_KIND:
            self.violations[kind].append(evidence)

    @property
    def violation_count(self) -> int:
        return sum(v for k, v in self.counts.items() if k.startswith("violation: "))


def describe(state: EventState) -> str:
    tries = ", ".join(f"{kind} (sent_ts {ts})" for ts, kind in state.tries)
    return f"{'acknowledged' if state.acked else 'never acknowledged'}; tries: {tries}"


def copies_evidence(rows: list[Row]) -> str:
    return "; ".join(f"collector_ts={c[1]} sent_ts={c[2]} in {sorted({r.key for r in rows if r.copy == c})}"
                     for c in sorted({r.copy for r in rows}, key=lambda c: (c[1] or 0)))


def objects_near(keys: list[str], partition: int, offset: int) -> str:
    """The objects of `partition` whose start offsets bracket `offset`: where a lost record
    should have been."""
    starts = sorted((int(m.group(2)), k) for k in keys if (m := KEY_OFFSET.search(k)) and int(m.group(1)) == partition)
    before = [k for s, k in starts if s <= offset][-2:]
    after = [k for s, k in starts if s > offset][:1]
    return ", ".join(before + after) or "none"


def check_rejected(result: PipelineResult, event_id: str, state: EventState, rows: list[Row]) -> None:
    """An event sent invalid on purpose: in the bad table once its rejection was acknowledged, and
    at most once per try that could have stored it (bad rows carry no sent_ts to tell tries apart)."""
    found = len({r.copy for r in rows})
    could = sum(kind in ("2xx", "cut") for _, kind in state.tries)
    if state.refused:
        result.violate("invalid event accepted by a 2xx", f"{event_id} ({describe(state)})")
    if state.acked and found == 0:
        result.violate("acknowledged rejection missing from the bad table", f"{event_id} ({describe(state)})")
    elif found > could:
        result.violate("rejected event in the bad table more often than its 2xx and cut tries",
                       f"{event_id} ({describe(state)}): {copies_evidence(rows)}")
    result.counts["rejected on purpose, found in the bad table"] += found > 0


def check_pipeline(name: str, events: dict[str, EventState], contents: StoreContents, topic: TopicCopies | None,
                   bad_topic: TopicCopies | None = None, strict: bool = False) -> PipelineResult:
    result = PipelineResult(name)
    rows_by_id: dict[str, list[Row]] = defaultdict(list)
    for row in contents.events:
        rows_by_id[row.event_id].append(row)
    bad_by_id: dict[str, list[Row]] = defaultdict(list)
    for row in contents.bad:
        bad_by_id[row.event_id].append(row)
    result.counts["files"] = contents.files
    result.counts["empty files"] = contents.empty_files
    result.counts["rows"] = len(contents.events)
    in_topic = topic.by_event() if topic is not None else None
    keys = sorted({r.key for r in contents.events})
    for key, why in contents.unreadable.items():
        result.violate("file that does not decode", f"{key}: {why}")

    for event_id, rows in rows_by_id.items():
        state = events.get(event_id)
        if state is None:
            result.violate("event no client of this pipeline sent",
                           f"{event_id} in {sorted({r.key for r in rows})[:3]}")
        elif not state.valid:
            result.violate("invalid event in the events table", f"{event_id} ({describe(state)}) in {rows[0].key}")
        copies = Counter(r.copy for r in rows)
        for copy, n in copies.items():
            if n > 1:
                result.violate("the sink wrote one copy more than once",
                               f"{event_id} collector_ts={copy[1]} {n} times, in "
                               f"{[r.key for r in rows if r.copy == copy]}")

    for event_id, state in events.items():
        if not state.valid:
            check_rejected(result, event_id, state, bad_by_id.get(event_id, []))
            continue
        rows = rows_by_id.get(event_id, [])
        told = dict(state.tries)  # sent_ts → what that try got
        by_try = Counter(told.get(copy[2], "no try") for copy in {r.copy for r in rows})
        status = "acknowledged" if state.acked else "never acknowledged"
        result.counts[status] += 1
        if state.refused:
            result.violate("valid event refused (a final 4xx, or rejected by a 2xx)", f"{event_id} ({describe(state)})")
        if state.acked and by_try["2xx"] == 0 and by_try["cut"]:
            # The cut try's copy reached the topic first, and the sink dropped the acknowledged
            # retry's copy as a repeat of it (sink.dedup_window; docs/sink.md, "Repeated events"):
            # the event is stored once. check_against_topic checks that drop against the topic.
            if len(result.notes["acknowledged retry dropped as a repeat of its cut try"]) < EVIDENCE_PER_KIND:
                result.notes["acknowledged retry dropped as a repeat of its cut try"].append(
                    f"{event_id} ({describe(state)}): {copies_evidence(rows)}")
        elif state.acked and by_try["2xx"] == 0:
            result.violate("acknowledged event missing", f"{event_id} ({describe(state)})" +
                           (f"; stored only as {copies_evidence(rows)}" if rows else "") +
                           kafka_evidence(in_topic, event_id, keys))
        wrong = [k for k in by_try if k not in ("2xx", "cut") or (k == "2xx" and not state.acked)]
        for kind in wrong:
            result.violate(f"stored by a try answered {kind}{' that refused it' if kind == '2xx' else ''}",
                           f"{event_id} ({describe(state)}): {copies_evidence(rows)}" +
                           (kafka_evidence(in_topic, event_id, keys) if in_topic is not None else ""))
        if by_try["cut"]:
            result.counts[f"{status}, stored by a cut try"] += 1
            evidence = f"{event_id} ({describe(state)}): {copies_evidence(rows)}"
            if strict:
                result.violate("stored by a try whose connection was cut (--strict)", evidence)
            elif len(result.notes["stored by a try whose connection was cut"]) < EVIDENCE_PER_KIND:
                result.notes["stored by a try whose connection was cut"].append(evidence)
        elif not wrong and (by_try["2xx"] == 1) == state.acked:
            result.counts[f"{status}, stored exactly as told"] += 1

    if topic is not None:
        check_against_topic(result, events, contents, topic)
    if bad_topic is not None:
        check_bad_against_topic(result, contents, bad_topic)
    return result


def check_bad_against_topic(result: PipelineResult, contents: StoreContents, bad_topic: TopicCopies) -> None:
    """Every record of the bad topic (the collectors' rejected input) in the bad table exactly once."""
    stored = Counter((r.event_id, r.collector_ts) for r in contents.bad)
    result.counts["bad topic records"] = bad_topic.records
    for (event_id, collector_ts, _), positions in bad_topic.positions.items():
        n = stored.pop((event_id, collector_ts), 0)
        if n != len(positions):
            result.violate("bad-topic record not in the bad table exactly once",
                           f"{event_id} collector_ts={collector_ts} at {positions}: {n} rows")
    for (event_id, collector_ts), n in stored.items():
        result.violate("bad-table row that is not in the bad topic", f"{event_id} collector_ts={collector_ts}")


def kafka_evidence(in_topic: dict[str, list[tuple[int, int]]] | None, event_id: str, keys: list[str]) -> str:
    if in_topic is None:
        return "; in no stored file"
    where = in_topic.get(event_id)
    if not where:
        return "; not in the topic either (the collector acknowledged what Kafka does not hold)"
    return "; in the topic at " + ", ".join(
        f"partition {p} offset {o} (objects around it: {objects_near(keys, p, o)})" for p, o in where)


def check_against_topic(result: PipelineResult, events: dict[str, EventState], contents: StoreContents,
                        topic: TopicCopies) -> None:
    """Every record of the topic in the store exactly once: what only the sink decides."""
    stored = Counter(r.copy for r in contents.events)
    result.counts["topic records"] = topic.records
    # Where each event's stored copies are in the topic: a copy the sink did not store is a
    # repeat it dropped when an earlier copy of the same event, in the same partition and within
    # its window, is stored (docs/sink.md, "Repeated events").
    stored_at: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for copy in stored:
        stored_at[copy[0]] += topic.positions.get(copy, [])
    keys = None
    for copy, positions in topic.positions.items():
        if len(positions) > 1:
            result.violate("the topic holds one copy twice (the producer wrote it twice)",
                           f"{copy[0]} collector_ts={copy[1]} at {positions}")
        n = stored.get(copy, 0)
        p, o = positions[0]
        if n == 0 and any(sp == p and o - DEDUP_WINDOW <= so < o for sp, so in stored_at.get(copy[0], [])):
            result.counts["topic record dropped by the sink as a repeat"] += 1
        elif n == 0:
            keys = keys if keys is not None else sorted({r.key for r in contents.events})
            result.violate("record of the topic missing from the store (the sink lost it)",
                           f"{copy[0]} collector_ts={copy[1]} partition {p} offset {o}; objects around it: "
                           f"{objects_near(keys, p, o)}")
    for copy, n in stored.items():
        if copy not in topic.positions:
            result.violate("stored copy that is not in the topic", f"{copy}")
    ids_in_topic = {c[0] for c in topic.positions}
    for event_id, state in events.items():
        if state.valid and state.acked and event_id not in ids_in_topic:
            result.violate("acknowledged event not in the topic (lost before the sink)",
                           f"{event_id} ({describe(state)})")
