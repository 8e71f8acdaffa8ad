// What the scenarios share: observing the tracker's requests, waiting, and the summary's shape.
import { randomUUID } from "node:crypto";

const INGEST_PATH = "/v1/events";
const DELIVERY_TIMEOUT = 15000;

/** A new summary; `marker` goes into the ?run= query of the scenario's pages. */
export function begin(scenario, baseUrl) {
  return { scenario, base_url: baseUrl, marker: randomUUID(), started_at: Date.now(), actions: [], problems: [] };
}

/** Completes the summary with the requests seen and the verdict of the browser's own checks. */
export function end(s, log) {
  s.duration_ms = Date.now() - s.started_at;
  s.requests = log.map(({ events, ...request }) => ({ ...request, events: events.map((e) => `${e.type} ${e.event_id}`) }));
  s.ok = s.problems.length == 0;
  return s;
}

/** Runs one action of the scenario, records it, and returns what it returned. */
export async function step(s, action, fn) {
  const at = Date.now();
  const result = await fn();
  s.actions.push({ action, at, ms: Date.now() - at });
  return result;
}

/** Records every request to the ingest API made in this context: how it went (fetch, or ping for
 *  sendBeacon), its events, and its answer. A request sent as the page closes may outlive the
 *  page's requests being reported; the stored events are the judge of those. */
export function watchIngest(context) {
  const log = [];
  const byRequest = new Map();
  context.on("request", (r) => {
    if (!new URL(r.url()).pathname.startsWith(INGEST_PATH)) return;
    let events = [];
    try {
      events = JSON.parse(r.postData() || "{}").events || [];
    } catch {}
    const entry = { at: Date.now(), via: r.resourceType(), status: null, failed: null, answered_at: null, events };
    byRequest.set(r, entry);
    log.push(entry);
  });
  context.on("requestfinished", async (r) => {
    const entry = byRequest.get(r);
    if (!entry) return;
    const response = await r.response();
    entry.answered_at = Date.now();
    entry.status = response?.status() ?? null;
    entry.retry_after = response?.headers()["retry-after"];
  });
  context.on("requestfailed", (r) => {
    const entry = byRequest.get(r);
    if (!entry) return;
    entry.answered_at = Date.now();
    entry.failed = r.failure()?.errorText || "failed";
  });
  return log;
}

export const delivered = (log) => log.filter((r) => r.status >= 200 && r.status < 300).flatMap((r) => r.events);
export const deliveredIds = (log) => delivered(log).map((e) => e.event_id);
export const deliveredOf = (log, type) => delivered(log).filter((e) => e.type == type);

/** Polls `condition` until it holds; on time-out the error lists the requests in `log`, if given. */
export async function waitFor(condition, what, timeout = DELIVERY_TIMEOUT, log) {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      const requests = (log || []).map((r) => `${r.via} at ${r.at}: ${r.status ?? r.failed ?? "no answer"} [${r.events.map((e) => e.type)}]`);
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${requests.length ? "; requests: " + requests.join("; ") : ""}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Lets requests sent by a closing page reach the collector before the context goes. */
export async function settle(context, log) {
  await new Promise((r) => setTimeout(r, 1000));
  await waitFor(() => log.every((r) => r.status !== null || r.failed !== null), "requests to finish", 5000).catch(() => {});
  await context.close();
}

export async function cookie(context, name) {
  return (await context.cookies()).find((c) => c.name == name)?.value;
}

/** A new context with its ingest requests watched, and a page of it at `url` whose page view has
 *  been delivered; the visitor's anonymous id goes into the summary. */
export async function loadedPage(s, browser, url) {
  const context = await browser.newContext();
  const log = watchIngest(context);
  const page = await context.newPage();
  await step(s, "load", () => page.goto(url));
  await waitFor(() => deliveredOf(log, "page_view").length == 1, "the page view to be delivered");
  s.anonymous_ids = [await cookie(context, "ct_aid")];
  return { context, log, page };
}

/** The events in the tracker's localStorage queue (entries are [owner page, event]). */
export async function storedQueue(page) {
  return page.evaluate(() => JSON.parse(localStorage.getItem("ct_q") || "[]").map(([, event]) => event));
}

/** Tracks n events of `type` and flushes; resolves to their event ids, read from the tracker's
 *  queue before the flush (a quick answer would take them out of it). */
export function trackMany(page, type, n) {
  return page.evaluate(
    ([type, n]) => {
      for (let i = 0; i < n; i++) window.clicktrail.track(type, { n: i });
      const queued = JSON.parse(localStorage.getItem("ct_q") || "[]").map(([, event]) => event);
      window.clicktrail.flush();
      return queued.filter((e) => e.type == type).map((e) => e.event_id);
    },
    [type, n],
  );
}

/** Scrolls with the mouse wheel, as a reader would, until the end of the page. */
export async function scrollToBottom(page) {
  await page.mouse.move(640, 360);
  for (let i = 0; i < 100; i++) {
    const atEnd = await page.evaluate(() => scrollY + innerHeight >= document.documentElement.scrollHeight - 1);
    if (atEnd) return;
    await page.mouse.wheel(0, 400);
    await page.waitForTimeout(40);
  }
  throw new Error("could not scroll to the end of the page");
}
