"""The tracker's request pattern (tracker/src/transport.ts) from client threads, and the ledger of
what each event's requests got back.

Like the tracker, a client POSTs batches to /v1/events?site=… as text/plain JSON
(`{"sent_ts", "site", "events"}`, each event with its event_id), on a kept-alive connection as
fetch keepalive does, now and then a large sendBeacon-sized batch; it retries the whole batch on
429, 5xx and network errors with exponential backoff and jitter (at least Retry-After), and never
on another 4xx. Unlike the tracker it gives up after GIVE_UP_S, so that every loop ends.

What the ledger keeps per event decides what the store may hold:
- acknowledged: a 2xx took it (for a 200 with rejections, only the accepted indices; an event
  sent invalid on purpose is acknowledged when its index is among the rejected — it then belongs
  in the bad table);
- its batch's tries, each with its sent_ts (a new one per try, as the tracker's envelope has) and
  what it got. A stored copy carries the sent_ts of the try that stored it, so check.py knows
  which answer each copy got.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass

REQUEST_TIMEOUT_S = 30  # well above the collectors' produce_timeout: a late 503 is not taken for a cut
BACKOFF_BASE_S = 0.25   # the tracker starts at 1 s; shorter here so that rounds stay short
BACKOFF_MAX_S = 4.0     # the tracker's cap is 60 s
GIVE_UP_S = 45          # the tracker never gives up; a campaign must end
ORIGIN = "http://localhost:8080"
USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")
INVALID_TYPE = "Not A Valid Type!"  # refused by the collector's type rule: goes to the bad table


class EventState:
    """What one event's requests got. `tries` is shared by the events of one batch: (sent_ts, what
    the try got — see Outcome.kind), in order; the collector stores each try's events with that
    try's sent_ts, which tells stored copies apart."""

    __slots__ = ("pipeline", "valid", "acked", "refused", "tries")

    def __init__(self, pipeline: str, valid: bool, tries: list[tuple[int, str]]):
        self.pipeline = pipeline
        self.valid = valid
        self.acked = False
        self.refused = False  # a final 4xx (never retried), or a 2xx that judged it wrongly
        self.tries = tries


@dataclass
class Outcome:
    sent_ts: int
    status: int = 0          # HTTP status; 0 when the request got no answer
    error: str = ""          # the network error, if any
    rejected: frozenset[int] = frozenset()  # indices a 200 rejected
    retry_after_s: float = 0.0

    @property
    def acknowledged(self) -> bool:
        return 200 <= self.status < 300

    @property
    def retriable(self) -> bool:
        return self.status == 0 or self.status == 429 or self.status >= 500

    @property
    def kind(self) -> str:
        """2xx; 5xx (the collector says: not durable), 429 and other 4xx (not taken); refused (the
        connection was, so nothing was sent); cut (sent, then no answer: the collector may have
        made the events durable and died, or the network dropped the answer)."""
        if self.status == 0:
            return "refused" if self.error == "ConnectionRefusedError" else "cut"
        if 200 <= self.status < 300:
            return "2xx"
        if self.status >= 500:
            return "5xx"
        return str(self.status) if self.status == 429 or self.status < 400 else "4xx"


class Ledger:
    """Every event sent, by event_id, and the answers by endpoint. Thread-safe."""

    def __init__(self):
        self.events: dict[str, EventState] = {}
        self.acks_by_endpoint: dict[str, int] = {}
        self.statuses: dict[str, int] = {}  # "204", "503", "ConnectionResetError", …
        self.batches_given_up = 0
        self.lock = threading.Lock()

    def sent(self, pipeline: str, events: list[dict], valid: list[bool]) -> list[tuple[int, str]]:
        """Registers a new batch; returns its list of tries, for answered()."""
        tries: list[tuple[int, str]] = []
        with self.lock:
            for e, ok in zip(events, valid):
                self.events[e["event_id"]] = EventState(pipeline, ok, tries)
        return tries

    def answered(self, endpoint: str, events: list[dict], valid: list[bool], tries: list[tuple[int, str]],
                 outcome: Outcome) -> None:
        with self.lock:
            key = str(outcome.status) if outcome.status else outcome.error
            self.statuses[key] = self.statuses.get(key, 0) + 1
            tries.append((outcome.sent_ts, outcome.kind))
            if outcome.acknowledged:
                self.acks_by_endpoint[endpoint] = self.acks_by_endpoint.get(endpoint, 0) + 1
            if outcome.retriable:
                return
            for i, e in enumerate(events):
                state = self.events[e["event_id"]]
                # An invalid event is acknowledged by its rejection (it is in the bad topic), a
                # valid one by its acceptance; the other way round, or a final 4xx, is a refusal.
                if outcome.acknowledged and (i in outcome.rejected) != valid[i]:
                    state.acked = True
                else:
                    state.refused = True

    def gave_up(self) -> None:
        with self.lock:
            self.batches_given_up += 1

    def acks(self, endpoint: str) -> int:
        with self.lock:
            return self.acks_by_endpoint.get(endpoint, 0)

    def total_acked(self) -> int:
        with self.lock:
            return sum(1 for s in self.events.values() if s.acked)


@dataclass(frozen=True)
class Endpoint:
    name: str
    port: int


class TrackerClient(threading.Thread):
    """One tracker-like sender: batches of events to a pipeline's endpoints (a load balancer picks
    one of them for each try), until `stopping` is set; the batch in flight then still gets its
    retries."""

    def __init__(self, index: int, pipeline: str, endpoints: list[Endpoint], ledger: Ledger, tag: int,
                 stopping: threading.Event):
        super().__init__(name=f"tracker-{pipeline}-{index}", daemon=True)
        self.index, self.pipeline, self.endpoints, self.ledger = index, pipeline, endpoints, ledger
        self.tag = tag
        self.stopping = stopping
        self.rng = random.Random(tag ^ index)
        self.seq = 0
        self.conns: dict[str, http.client.HTTPConnection] = {}
        # Visitors are the records' keys: enough of them that every partition gets traffic.
        self.visitors = [str(uuid.UUID(int=self.rng.getrandbits(128), version=4)) for _ in range(32)]
        self.crashed: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self.send(*self.batch())
                time.sleep(self.rng.uniform(0.05, 0.25))
        except BaseException as e:  # reported by the campaign: a dead client would skew the counts
            self.crashed = e
        finally:
            for c in self.conns.values():
                c.close()

    def next_id(self) -> str:
        self.seq += 1
        return str(uuid.UUID(int=(self.tag << 80) | (self.index << 64) | self.seq, version=4))

    def batch(self) -> tuple[list[dict], list[bool], list[tuple[int, str]]]:
        # Mostly the tracker's batches of up to 10; sometimes what sendBeacon hands over when a
        # page hides (up to the collector's 500 a request).
        n = self.rng.randint(1, 12) if self.rng.random() < 0.95 else self.rng.randint(50, 300)
        now = int(time.time() * 1000)
        page = self.rng.randrange(1000)
        visitor = self.rng.randrange(len(self.visitors))
        events, valid = [], []
        for _ in range(n):
            ok = self.rng.random() >= 0.003
            e = {"event_id": self.next_id(),
                 "type": self.rng.choice(["page_view", "click", "scroll", "engagement", "signup"]) if ok else INVALID_TYPE,
                 "client_ts": now - self.rng.randrange(2000), "anonymous_id": self.visitors[visitor],
                 "session_id": f"{self.visitors[visitor][:8]}-s{self.index}",
                 "page_url": f"https://me.github.io/post/{page}?utm_source=chaos", "page_path": f"/post/{page}",
                 "page_title": f"Post {page}", "viewport_w": 1280, "viewport_h": 720, "screen_w": 1920,
                 "screen_h": 1080, "locale": "en-GB", "timezone": "Europe/London"}
            if e["type"] == "click":
                e.update(target_tag="a", target_selector="main > a", x=self.rng.randrange(1280), y=300)
            events.append(e)
            valid.append(ok)
        return events, valid, self.ledger.sent(self.pipeline, events, valid)

    def send(self, events: list[dict], valid: list[bool], tries: list[tuple[int, str]]) -> None:
        first = time.monotonic()
        attempt = 0
        while True:
            endpoint = self.rng.choice(self.endpoints)
            outcome = self.post(endpoint, events)
            self.ledger.answered(endpoint.name, events, valid, tries, outcome)
            if not outcome.retriable:
                return  # 2xx: durable; another 4xx: the collector will never take it
            backoff = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** attempt) * (0.5 + self.rng.random() / 2)
            attempt += 1
            wait = max(backoff, outcome.retry_after_s)
            if time.monotonic() + wait - first > GIVE_UP_S:
                self.ledger.gave_up()
                return
            time.sleep(wait)

    def post(self, endpoint: Endpoint, events: list[dict]) -> Outcome:
        sent_ts = int(time.time() * 1000)
        body = json.dumps({"sent_ts": sent_ts, "site": "demo", "events": events}, separators=(",", ":")).encode()
        headers = {"Content-Type": "text/plain;charset=UTF-8", "Origin": ORIGIN, "User-Agent": USER_AGENT}
        conn = self.conns.get(endpoint.name)
        if conn is None:
            conn = self.conns[endpoint.name] = http.client.HTTPConnection("127.0.0.1", endpoint.port,
                                                                            timeout=REQUEST_TIMEOUT_S)
        try:
            conn.request("POST", "/v1/events?site=demo", body, headers)
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            del self.conns[endpoint.name]
            return Outcome(sent_ts, error=type(e).__name__)
        if resp.getheader("Connection", "").lower() == "close":
            conn.close()
            del self.conns[endpoint.name]
        outcome = Outcome(sent_ts, status=resp.status)
        try:
            outcome.retry_after_s = float(resp.getheader("Retry-After") or 0)
        except ValueError:
            pass
        if resp.status == 200:
            outcome.rejected = frozenset(r["index"] for r in json.loads(data).get("rejected", []))
        return outcome
