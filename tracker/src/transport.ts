// Delivery: batches events by count and time, posts them to the collector, retries what may
// succeed later, and keeps every unacknowledged event in a bounded localStorage queue so that
// events tracked offline (or while the collector fails) are sent once the browser can.
//
// Exactly once from the tracker's side: an event leaves the stored queue only after a 2xx for
// its batch, after a 4xx other than 429 (the collector will never take it, so it is dropped), or
// once the browser has taken it for delivery (sendBeacon, or the keepalive fetch in flight when
// the page is hidden). One batch is in flight at a time, so events keep their order.
//
// The tabs of a site share the stored queue, so each entry names the page that owns it. A page
// sends only its own events; when it is hidden or unloaded it hands what it could not send to
// the browser or, offline or while the collector fails, releases it (owner ""). Whichever page
// flushes next while online claims the released events and sends them, once.
//
// In cookieless mode nothing is stored: unsent events stay in this page's memory (`pending`),
// a hidden page keeps what it could not hand over and sends it when it can, and what is unsent
// when the page goes (offline, backing off after a failure, past the beacon quota) is lost.
import type { TrackedEvent } from "./event";
import { get, set, now } from "./util";

const QUEUE_KEY = "ct_q";
const QUEUE_LIMIT = 200; // events kept while offline; the oldest go first
const MAX_BODY = 60000; // bytes; browsers refuse keepalive and beacon bodies over 64 KiB in flight
const MAX_DELAY = 60000; // ms, the longest backoff between two tries

let url = "";
let site = "";
let batchSize = 10;
let flushMs = 1000;
let pending: TrackedEvent[] = [];
let sending: TrackedEvent[] | undefined; // the batch in flight
let attempt = 0;
let retryAt = 0;
let timer: ReturnType<typeof setTimeout> | 0 = 0;
let held = false; // the page is being unloaded: start no fetch it could not see the end of
let memory = false; // cookieless mode: the queue is `pending` alone, never stored
let credentials: RequestCredentials | undefined; // "include" sends the collector's own cookie
const page = Math.random() + ""; // this page's mark on the stored events it owns

type Entry = [owner: string, event: TrackedEvent];

/** Starts delivery (once); the first flush takes over the events earlier pages left unsent,
 *  unless `inMemory` (cookieless mode) keeps the queue out of storage. `withCookies` sends
 *  cookies to a collector on another origin (sendBeacon always sends them). */
export function start(
  endpoint: string,
  siteKey: string,
  size: number,
  ms: number,
  inMemory?: boolean,
  withCookies?: boolean,
): void {
  if (site) return;
  memory = !!inMemory;
  if (withCookies) credentials = "include";
  // site keys are letters, digits, '.', '_' and '-' (the collector's rule): nothing to escape
  url = endpoint + "?site=" + siteKey;
  site = siteKey;
  batchSize = size;
  flushMs = ms;
  flush();
}

/** Queues one event; it is sent with the next batch. */
export function enqueue(event: TrackedEvent): void {
  pending.push(event);
  pending = pending.slice(-QUEUE_LIMIT);
  store([event], []);
  if (pending.length >= batchSize) flush();
  else timer ||= setTimeout(flush, flushMs);
}

/** Sends what is pending, one batch at a time, unless a retry is due later or the browser is
 *  offline (the `online` event calls retryNow). Claims the released events first. */
export function flush(): void {
  clearTimeout(timer);
  timer = 0;
  if (!site || held || sending || !navigator.onLine) return;
  const released = load()
    .filter(([owner]) => !owner)
    .map(([, e]) => e);
  store(released, released);
  pending = released.concat(pending);
  if (!pending.length) return;
  const wait = retryAt - now();
  if (wait > 0) {
    timer = setTimeout(flush, wait);
    return;
  }
  const batch = (sending = take(batchSize));
  const body = envelope(batch);
  // A string body goes as text/plain;charset=UTF-8, which needs no CORS preflight.
  fetch(url, { method: "POST", body, keepalive: size(body) < MAX_BODY, credentials }).then(
    (r) => settle(batch, r.status, r.headers.get("Retry-After")),
    // A page that navigates away sees its keepalive fetch fail just before pagehide, while the
    // browser still delivers it. Waiting lets pagehide hand the batch over as sent; the page
    // is gone before the timer fires. A real network failure is retried 100 ms later.
    () => setTimeout(settle, 100, batch, 0, null),
  );
}

/** The browser is back online: try at once, without waiting for the backoff. */
export function retryNow(): void {
  retryAt = 0;
  flush();
}

/** The page is being hidden (visibilitychange), unloaded (pagehide: leaving true) or shown
 *  again from the back/forward cache (pageshow: leaving false). Hands what is pending to
 *  sendBeacon, which outlives the page; offline, while the collector is failing, or past the
 *  beacon quota, the rest is released for the next flush of any page. A leaving page starts no
 *  more fetches, not even on a late `online` event or timer, as it could not see them through;
 *  visibilitychange, which may come before or after pagehide, leaves that as it is. */
export function beacon(leaving?: boolean): void {
  held = leaving ?? held;
  const handed = sending ? sending.slice() : []; // the keepalive fetch in flight finishes on its own
  while (site && navigator.onLine && retryAt <= now() && pending.length) {
    const batch = take(500); // the collector's ingest.max_events
    if (!navigator.sendBeacon(url, envelope(batch))) {
      pending = batch.concat(pending);
      break;
    }
    handed.push(...batch);
  }
  release();
  store([], handed);
}

/** Forgets every unsent event (optOut). */
export function clear(): void {
  pending = [];
  set(QUEUE_KEY);
}

function settle(batch: TrackedEvent[], status: number, retryAfter: string | null): void {
  sending = undefined;
  if (status >= 200 && status < 500 && status != 429) {
    // 2xx: durable. Other 4xx: the collector will never take this batch (its events that were
    // readable are in the bad topic); drop it rather than retry forever.
    attempt = retryAt = 0;
    store([], batch);
  } else {
    // A network error, 429 or 5xx: back off exponentially with jitter, and at least the
    // Retry-After seconds (the form the collector sends).
    retryAt = now() + Math.max(Math.min(MAX_DELAY, 1000 * 2 ** attempt++) * (0.5 + Math.random() / 2), +retryAfter! * 1000 || 0);
    // back in the queue even if it had been handed to the browser; released if the page is going
    pending = batch.concat(pending).slice(-QUEUE_LIMIT);
    store(pending, pending);
    if (held) release();
  }
  flush();
}

/** Takes the oldest pending events, at most `max` and at most MAX_BODY bytes (at least one). */
function take(max: number): TrackedEvent[] {
  let bytes = 64;
  let n = 0;
  while (n < pending.length && n < max && ((bytes += size(JSON.stringify(pending[n])) + 1) < MAX_BODY || !n)) n++;
  return pending.splice(0, n);
}

function envelope(events: TrackedEvent[]): string {
  return JSON.stringify({ sent_ts: now(), site, events });
}

const size = (text: string): number => new Blob([text]).size;

/** Hands what is pending to the stored queue for any page to send; in memory, this page keeps it. */
function release(): void {
  if (memory) return;
  store(pending, pending, "");
  pending = [];
}

function load(): Entry[] {
  try {
    return memory ? [] : JSON.parse(get(QUEUE_KEY) || "[]");
  } catch {
    return [];
  }
}

/** Read-modify-write of the stored queue, so that tabs do not overwrite each other's events:
 *  removes `remove`, then adds `add` as owned by `owner`. */
function store(add: TrackedEvent[], remove: TrackedEvent[], owner = page): void {
  if (memory) return;
  const ids = new Set(remove.map((e) => e.event_id));
  set(
    QUEUE_KEY,
    JSON.stringify(
      load()
        .filter(([, e]) => !ids.has(e.event_id))
        .concat(add.map((e): Entry => [owner, e]))
        .slice(-QUEUE_LIMIT),
    ),
  );
}
