// Delivery: batches events by count and time, posts them to the collector, retries what may
// succeed later, and keeps every event in a bounded queue until it is sent, so that events
// tracked offline, or while the collector fails, are sent once it can.
//
// The queue is localStorage's `ct_q`, shared by the site's tabs, or this page's memory in
// cookieless mode and when storage is unavailable or full. Each entry names the page that owns
// it: a page sends only its own events and those released by pages that are hidden or gone
// (owner ""), which it claims first. flush() sends one batch at a time, so events keep their
// order; a page being hidden or left adds one more, with what waits.
//
// A batch in flight is out of the queue, held by its request. A 2xx ends it, and so does a 4xx
// other than 408 and 429 (the collector will never take it). A network error, 408, 429 or 5xx
// puts it back, released, for this page after its backoff or any other page, the next page
// load included, to send again with the same event_ids. When the page is hidden or left, what
// waits goes in a keepalive fetch, which the browser finishes without the page: a page that
// lives on (a hidden tab, a phone's backgrounded browser) sees the answer and puts a failed
// batch back like any other. A page that is gone cannot see it, and then the batch counts as
// delivered: sending it again from the next page would store the last batch of nearly every
// page view twice, as nothing downstream drops repeats.
import type { TrackedEvent } from "./event";
import type { Options } from "./tracker";
import { get, set, now, uuid } from "./util";

const QUEUE_KEY = "ct_q";
// The queue's JSON is kept under this many characters (a few hundred events), a few per cent of
// the 5 million or so an origin may store; the oldest events go first.
const MAX_CHARS = 2e5;
const QUOTA = 65536; // bytes of keepalive bodies a page may have in flight (Chromium refuses more)
const MAX_DELAY = 60000; // ms, the longest backoff between two tries

let url = "";
let site = "";
let batchSize = 10;
let flushMs = 1000;
let sending: TrackedEvent[] | 0 = 0; // the batch in flight from flush()
let inflight = 0; // bytes of keepalive bodies in flight
let attempt = 0;
let retryAt = 0;
let timer: ReturnType<typeof setTimeout> | 0 = 0;
let held = false; // the page is being unloaded: start no fetch it could not see the end of
let memory: Entry[] | undefined; // the queue when it is not stored (cookieless mode, or no room)
let lost = 0; // events the caps pushed out of the queue, not yet reported
let onLost: (events: number) => void;
let credentials: RequestCredentials | undefined; // "include" sends the collector's own cookie
const page = uuid(); // this page's mark on the queued events it owns

type Entry = [owner: string, event: TrackedEvent];

/** Starts delivery (once) with the tracker's options; the first flush takes over the events
 *  earlier pages left unsent. In cookieless mode the queue stays out of storage. `lostEvents` is
 *  told how many events the queue's caps dropped, once a batch is delivered after that. */
export function start(endpoint: string, o: Options, lostEvents: (events: number) => void): void {
  if (site) return;
  site = o.site;
  // site keys are letters, digits, '.', '_' and '-' (the collector's rule): nothing to escape
  url = endpoint + "?site=" + site;
  batchSize = Math.min(500, o.batchSize || 10); // 500: the collector's ingest.max_events
  flushMs = o.flushMs || 1000;
  if (o.cookieless) memory = [];
  if (o.credentials) credentials = "include";
  onLost = lostEvents;
  flush();
}

/** Queues one event; it is sent with the next batch. */
export function enqueue(event: TrackedEvent): void {
  save(load().concat([[page, event]]));
  if (take(batchSize, QUOTA).length >= batchSize) flush();
  else timer ||= setTimeout(flush, flushMs);
}

/** Sends the next batch unless one is in flight, a retry is due later or the browser is offline
 *  (the `online` event calls retryNow). Claims the released events first, only then: a page
 *  that dies while it waits leaves them released for the next. */
export function flush(): void {
  clearTimeout(timer);
  timer = 0;
  if (!site || held || sending || !navigator.onLine) return;
  const wait = retryAt - now();
  if (wait > 0) timer = setTimeout(flush, wait);
  else {
    save(load().map(([owner, e]) => [owner || page, e]));
    const batch = take(batchSize, QUOTA);
    if (batch.length) send((sending = batch));
  }
}

/** The browser is back online: try at once, without waiting for the backoff. */
export function retryNow(): void {
  retryAt = 0;
  flush();
}

/** The page is being hidden (visibilitychange), unloaded (pagehide: leaving true) or shown
 *  again from the back/forward cache (pageshow: leaving false). Sends what waits now, in one
 *  keepalive fetch within what is left of the keepalive quota, and releases the rest for this
 *  page or any other to send later. A leaving page starts no more fetches, not even on a late
 *  `online` event or timer, as it could not see them through; visibilitychange, which may come
 *  before or after pagehide, leaves that as it is. */
export function hide(leaving?: boolean): void {
  if (!site) return;
  held = leaving ?? held;
  const room = QUOTA - inflight;
  const batch = take(500, room); // 500: the collector's ingest.max_events
  if (navigator.onLine && retryAt <= now() && batch.length && size(envelope(batch)) <= room) send(batch);
  save(load().map(([owner, e]) => [owner == page ? "" : owner, e]));
}

/** Forgets every unsent event (optOut). */
export function clear(): void {
  if (memory) memory = [];
  set(QUEUE_KEY);
}

/** Takes the batch out of the queue and posts it, in a keepalive fetch when it fits the quota, so
 *  that it outlives the page. */
function send(batch: TrackedEvent[]): void {
  save(load().filter(([, e]) => !batch.some((sent) => sent.event_id == e.event_id)));
  // A string body goes as text/plain;charset=UTF-8, which needs no CORS preflight.
  const body = envelope(batch);
  const bytes = size(body) <= QUOTA - inflight ? size(body) : 0;
  inflight += bytes;
  fetch(url, { method: "POST", body, keepalive: bytes > 0, credentials }).then(
    (r) => settle(batch, bytes, r.status, r.headers.get("Retry-After")),
    // A page that navigates away sees its keepalive fetch fail just before pagehide, while the
    // browser still delivers it. Waiting lets the page go first, so that the batch counts as
    // delivered. A real network failure is retried 100 ms later.
    () => setTimeout(settle, 100, batch, bytes, 0),
  );
}

function settle(batch: TrackedEvent[], bytes: number, status: number, retryAfter?: string | null): void {
  inflight -= bytes;
  if (batch == sending) sending = 0;
  if (status > 199 && status < 500 && status != 408 && status != 429) {
    // 2xx: durable. Other 4xx: the collector will never take this batch (its events that were
    // readable are in the bad topic); drop it rather than retry forever.
    attempt = retryAt = 0;
    // the queue has room again: report what the cap dropped, as an event of its own
    if (lost) onLost(lost);
    lost = 0;
  } else {
    // A network error, 408, 429 or 5xx: back off exponentially with jitter, and at least the
    // Retry-After seconds (the form the collector sends). The batch goes back to the front of
    // the queue, released: whichever page sends next takes it, this one after its backoff, or
    // the next page load if this page does not live that long.
    retryAt = now() + Math.max(Math.min(MAX_DELAY, 1000 * 2 ** attempt++) * (0.5 + Math.random() / 2), +retryAfter! * 1000 || 0);
    save(batch.map((e): Entry => ["", e]).concat(load()));
  }
  // In a task of its own: Chromium counts a finished keepalive fetch against the quota until then.
  setTimeout(flush);
}

/** This page's oldest queued events, at most `max` of them and, but for a first one that is
 *  larger, at most `room` bytes as a request body. */
function take(max: number, room: number): TrackedEvent[] {
  let bytes = size(envelope([]));
  return load()
    .filter(([owner]) => owner == page)
    .map(([, e]) => e)
    .filter((e, i) => i < max && ((bytes += size(JSON.stringify(e)) + 1) <= room || !i));
}

function envelope(events: TrackedEvent[]): string {
  return JSON.stringify({ sent_ts: now(), site, events });
}

const size = (text: string): number => new Blob([text]).size;

function load(): Entry[] {
  try {
    return memory || JSON.parse(get(QUEUE_KEY) || "[]");
  } catch {
    return [];
  }
}

/** Stores the queue (`queue` is the caller's to give away), dropping the oldest entries, counted
 *  as lost, until its JSON fits MAX_CHARS; from the first write storage refuses (full, blocked
 *  or absent), the queue lives in memory. Callers read, change and save within one task, so
 *  that tabs do not overwrite each other's events. */
function save(queue: Entry[]): void {
  let json;
  // Mostly one event or none to drop: saves add at most what was taken out in the meantime.
  while ((json = JSON.stringify(queue)).length > MAX_CHARS) queue.shift(), lost++;
  if (memory || !set(QUEUE_KEY, json)) memory = queue;
}
