// Scenarios that need the collector to fail or be slow on command, so they run only where the
// test owns the collectors and the demo server (with_collector.mjs). Each takes `control`:
// `control.route(name)` points the demo server's /v1/* at one of three real `clicktrail
// collect` processes, and `control.delay(ms)` holds each request that long first.
//
//   good          the collector whose topic the checker reads
//   down          one whose Kafka is unreachable: 503 with Retry-After after its produce timeout
//   unknown_site  one that does not know the site key "demo": 401
import { begin, cookie, deliveredIds, deliveredOf, end, settle, step, storedQueue, trackMany, waitFor, watchIngest } from "./helpers.mjs";

export const faults = {
  retry_after_503: retryAfter503,
  drop_on_4xx: dropOn4xx,
  leave_while_sending: leaveWhileSending,
  hidden_503_next_load: hidden503NextLoad,
};

/** 503s are retried, no sooner than Retry-After, until the collector takes the batch; the
 *  events are then stored once. */
export async function retryAfter503(browser, baseUrl, { route }) {
  const s = begin("retry_after_503", baseUrl);
  const context = await browser.newContext();
  const log = watchIngest(context);
  const page = await context.newPage();
  const url = `${baseUrl}/?run=${s.marker}`;
  route("good");
  await step(s, "load", () => page.goto(url));
  await waitFor(() => deliveredOf(log, "page_view").length == 1, "the page view to be delivered");
  s.anonymous_ids = [await cookie(context, "ct_aid")];

  route("down");
  const ids = await step(s, "track_3_while_down", () => trackMany(page, "retry_me", 3));
  const attempts = () => log.filter((r) => r.events.some((e) => ids.includes(e.event_id)));
  await waitFor(() => attempts().filter((r) => r.status == 503).length >= 2, "two 503 answers", 20000);
  route("good");
  await waitFor(() => ids.every((id) => deliveredIds(log).includes(id)), "the retried events to be delivered", 20000);
  await waitFor(async () => (await storedQueue(page)).length == 0, "the stored queue to empty");
  await page.close();
  await settle(context, log);

  const tries = attempts();
  s.attempts = tries.map((r) => ({ at: r.at, answered_at: r.answered_at, status: r.status, retry_after: r.retry_after }));
  for (let i = 1; i < tries.length; i++) {
    const previous = tries[i - 1];
    const waited = tries[i].at - previous.answered_at;
    const hinted = (+previous.retry_after || 0) * 1000;
    // a little slack: the browser saw the answer before this process did
    if (previous.status == 503 && waited < hinted - 250)
      s.problems.push(`attempt ${i + 1} came ${waited} ms after a 503 with Retry-After ${previous.retry_after}`);
  }
  if (tries.at(-1)?.status != 204) s.problems.push(`the last attempt was answered ${tries.at(-1)?.status}, not 204`);
  s.expect = {
    ordered: [{ type: "page_view", page_url: url }, ...ids.map((event_id) => ({ type: "retry_me", event_id }))],
    once: ids,
  };
  return end(s, log);
}

/** A 4xx other than 429 means the collector will never take the batch: it is dropped, not
 *  retried, and the events after it go on. */
export async function dropOn4xx(browser, baseUrl, { route }) {
  const s = begin("drop_on_4xx", baseUrl);
  const context = await browser.newContext();
  const log = watchIngest(context);
  const page = await context.newPage();
  const url = `${baseUrl}/?run=${s.marker}`;
  route("good");
  await step(s, "load", () => page.goto(url));
  await waitFor(() => deliveredOf(log, "page_view").length == 1, "the page view to be delivered");
  s.anonymous_ids = [await cookie(context, "ct_aid")];

  route("unknown_site");
  const refused = await step(s, "track_refused", () => trackMany(page, "refused", 2));
  const attempts = () => log.filter((r) => r.events.some((e) => refused.includes(e.event_id)));
  await waitFor(() => attempts().some((r) => r.status == 401), "the 401 answer", undefined, log);
  route("good");
  await page.waitForTimeout(3000); // time for a retry, which must not come
  const after = await step(s, "track_after", () => trackMany(page, "after_refused", 1));
  await waitFor(() => deliveredOf(log, "after_refused").length == 1, "the next event to be delivered");
  const left = await storedQueue(page);
  await page.close();
  await settle(context, log);

  if (attempts().length != 1) s.problems.push(`the refused batch was sent ${attempts().length} times, not once`);
  if (left.length) s.problems.push(`events left in the stored queue: ${left.map((e) => e.type)}`);
  s.expect = {
    ordered: [{ type: "page_view", page_url: url }, { type: "after_refused" }],
    absent_event_ids: refused,
    once: after,
  };
  return end(s, log);
}

/** A link is followed while a batch is in flight: the page sees its keepalive fetch fail, but
 *  the browser delivers it, so the next page must not send the batch again. */
export async function leaveWhileSending(browser, baseUrl, { route, delay }) {
  const s = begin("leave_while_sending", baseUrl);
  const context = await browser.newContext();
  const log = watchIngest(context);
  const page = await context.newPage();
  const url = `${baseUrl}/about.html?run=${s.marker}`;
  route("good");
  await step(s, "load", () => page.goto(url));
  await waitFor(() => deliveredOf(log, "page_view").length == 1, "the page view to be delivered");
  s.anonymous_ids = [await cookie(context, "ct_aid")];
  delay(800);
  try {
    // 9 events wait; the click on the link is the 10th, which sends the batch as the page leaves
    const ids = await step(s, "track_9", () =>
      page.evaluate(() => {
        for (let i = 0; i < 9; i++) window.clicktrail.track("before_leaving", { n: i });
        return JSON.parse(localStorage.getItem("ct_q")).map(([, e]) => e.event_id);
      }),
    );
    await step(s, "follow_link", async () => {
      await page.click("#back-home");
      await page.waitForURL(`${baseUrl}/`);
    });
    s.in_flight_ids = ids;
    await waitFor(() => deliveredOf(log, "page_view").length == 2, "the next page's view to be delivered", 20000);
  } finally {
    delay(0);
  }
  await page.waitForTimeout(1500); // time for a repeat, which must not come
  await page.close();
  await settle(context, log);
  // the batch in flight: the 9 events and the click
  const batch = log.filter((r) => r.events.some((e) => s.in_flight_ids.includes(e.event_id)));
  s.batch_event_ids = batch.flatMap((r) => r.events.map((e) => e.event_id));
  const types = batch.map((r) => r.events.map((e) => e.type).join(" "));
  if (JSON.stringify(types) != JSON.stringify([[...Array(9).fill("before_leaving"), "click"].join(" ")]))
    s.problems.push(`expected one request with the 9 events and the click, got ${JSON.stringify(types)}`);
  s.expect = {
    ordered: [
      { type: "page_view", page_url: url },
      ...s.in_flight_ids.map((event_id) => ({ type: "before_leaving", event_id })),
      { type: "click", target_id: "back-home" },
      { type: "page_view", page_url: `${baseUrl}/`, referrer: url },
    ],
    once: s.batch_event_ids,
  };
  return end(s, log);
}

/** The page is hidden while the collector fails: what waits leaves in the page-hide flush, a
 *  keepalive fetch answered 503. The hidden page lives to see the answer and puts the events
 *  back in the stored queue, released; it is closed before its retry is due, and the next page
 *  load sends them, with the same event_ids: stored once. (Headless chromium never hides a
 *  page, so the page is told it is, as a phone's browser would when sent to the background.) */
export async function hidden503NextLoad(browser, baseUrl, { route }) {
  const s = begin("hidden_503_next_load", baseUrl);
  const context = await browser.newContext();
  const log = watchIngest(context);
  let page = await context.newPage();
  const url = `${baseUrl}/?run=${s.marker}`;
  const next = `${baseUrl}/about.html?run=${s.marker}`;
  route("good");
  await step(s, "load", () => page.goto(url));
  await waitFor(() => deliveredOf(log, "page_view").length == 1, "the page view to be delivered");
  s.anonymous_ids = [await cookie(context, "ct_aid")];

  route("down");
  // 3 events wait for their batch (1 s); hiding the page sends them at once
  const ids = await step(s, "track_3", () =>
    page.evaluate(() => {
      for (let i = 0; i < 3; i++) window.clicktrail.track("sent_on_hide", { n: i });
      return JSON.parse(localStorage.getItem("ct_q")).map(([, e]) => e.event_id);
    }),
  );
  const hiddenAt = Date.now();
  await step(s, "hide", () =>
    page.evaluate(() => {
      Object.defineProperty(document, "hidden", { value: true, configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    }),
  );
  const attempts = () => log.filter((r) => r.events.some((e) => ids.includes(e.event_id)));
  await waitFor(() => attempts().some((r) => r.status == 503), "the 503 answer to the page-hide flush", 15000, log);
  await waitFor(async () => {
    const queue = JSON.parse((await page.evaluate(() => localStorage.getItem("ct_q"))) || "[]");
    return ids.every((id) => queue.some(([owner, e]) => owner === "" && e.event_id == id));
  }, "the refused events back in the stored queue, released");
  await step(s, "close_hidden_page", () => page.close());
  route("good");
  page = await context.newPage();
  await step(s, "load_next_page", () => page.goto(next));
  await waitFor(() => ids.every((id) => deliveredIds(log).includes(id)), "the events to be delivered by the next page", 15000, log);
  await waitFor(async () => (await storedQueue(page)).length == 0, "the stored queue to empty");
  await page.close();
  await settle(context, log);

  const tries = attempts();
  s.attempts = tries.map((r) => ({ at: r.at, via: r.via, status: r.status, retry_after: r.retry_after, events: r.events.length }));
  const statuses = tries.map((r) => r.status);
  if (JSON.stringify(statuses) != "[503,204]") s.problems.push(`the events were sent with answers ${JSON.stringify(statuses)}, not [503,204]`);
  if (tries[0] && (tries[0].via != "fetch" || tries[0].at < hiddenAt))
    s.problems.push(`the first try was not the page-hide flush's fetch: ${tries[0].via} at ${tries[0].at}, hidden at ${hiddenAt}`);
  for (const id of ids) {
    const n = deliveredIds(log).filter((x) => x == id).length;
    if (n != 1) s.problems.push(`event ${id} was in ${n} successful requests, not 1`);
  }
  s.resent_event_ids = ids;
  s.expect = {
    ordered: [
      { type: "page_view", page_url: url },
      ...ids.map((event_id) => ({ type: "sent_on_hide", event_id })),
      { type: "page_view", page_url: next },
    ],
    once: ids,
  };
  return end(s, log);
}
