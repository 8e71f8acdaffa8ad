// Browser scenarios against a clicktrail deployment that serves the demo site, the tracker and
// /v1/events on one origin (`clicktrail run`, or serve.mjs in front of `clicktrail collect`).
//
// Each scenario is `async (browser, baseUrl) => summary`: it drives the real chromium, observes
// the requests the tracker makes, checks what the browser alone can check (listed in
// `problems`), and says in `expect` what the stored events must show, for a checker that reads
// them back (check_collect.mjs reads Kafka; the pytest suite can read DuckDB):
//
//   anonymous_ids  the browser ids the scenario's events carry
//   ordered        [{field: value…}] that must match, in this order, a subsequence of the events of
//                  anonymous_ids[0], scroll events aside; a value may be {"$gt": n} (more than n)
//                  or {"$has": {…}} (an object with at least these fields)
//   per_browser    [{anonymous_id, ordered}]: the same for several browsers
//   scroll         {page_url: [depths]}: the scroll events of each page view, in order
//   once           event_ids that must be stored exactly once
//   absent_event_ids  event_ids that must not be stored
//   absent_marker  no stored event's page_url or referrer may contain this string
//   only_before_opt_out  {anonymous_id, types}: all that this id may have stored
//   stored_as      [{event_id, field: value…}]: each of these events is stored with these values
//
// verify.mjs checks these against Kafka; tests/browser/README.md describes the whole summary.
import {
  begin,
  cookie,
  loadedPage,
  deliveredIds,
  deliveredOf,
  delivered,
  end,
  scrollToBottom,
  settle,
  step,
  storedQueue,
  trackMany,
  waitFor,
  watchIngest,
} from "./helpers.mjs";

export const scenarios = {
  journey,
  close_after_click: closeAfterClick,
  offline,
  two_tabs: twoTabs,
  privacy,
  opt_out: optOut,
  options,
  cookieless,
  queue_cap: queueCap,
  storage_refused: storageRefused,
};

/** (a) A visit through the whole demo: page view, a link-like button, the data-ct button,
 *  scrolling to the end, an SPA route there and back, the form, a custom event, identify, a
 *  link to the second page (the first page's last events leave in its page-hide flush), and
 *  closing it. */
export async function journey(browser, baseUrl) {
  const s = begin("journey", baseUrl);
  const context = await browser.newContext();
  const log = watchIngest(context);
  const page = await context.newPage();
  const first = `${baseUrl}/?run=${s.marker}`;
  const pricing = `${baseUrl}/?view=pricing`;
  const home = `${baseUrl}/`;
  const about = `${baseUrl}/about.html`;

  await step(s, "load", () => page.goto(first));
  await waitFor(() => deliveredOf(log, "page_view").length == 1, "the first page view to be delivered");
  await step(s, "click_link_button", () => page.click("#features-link"));
  await step(s, "click_data_ct_button", () => page.click("#cta"));
  await step(s, "scroll_to_bottom", () => scrollToBottom(page));
  await step(s, "spa_route_to_pricing", async () => {
    await page.click("#nav-pricing");
    await page.waitForFunction(() => document.title.startsWith("Pricing"));
  });
  await step(s, "click_choose_pro", () => page.click("#buy-pro"));
  await step(s, "spa_route_back_home", async () => {
    await page.click("#back-home");
    await page.waitForFunction(() => document.title == "clicktrail demo");
  });
  await step(s, "submit_form", async () => {
    await page.fill("#newsletter input[name=email]", "reader@example.com");
    await page.click("#subscribe");
    await page.waitForSelector("#thanks", { state: "visible" });
  });
  await step(s, "track_signup_click", () => page.click("#signup"));
  await step(s, "identify", () => page.click("#identify"));
  await step(s, "follow_link_to_about", async () => {
    await page.click("#nav-about");
    await page.waitForURL(about);
  });
  s.anonymous_ids = [await cookie(context, "ct_aid")];
  await step(s, "close_page", () => page.close());
  await settle(context, log);

  if (!s.anonymous_ids[0]) s.problems.push("no ct_aid cookie was set");
  // Only answers count: a keepalive fetch still in flight when the page navigates is reported
  // as aborted to the page, though the browser completes it (the stored events are the judge).
  const refused = log.filter((r) => r.status >= 300);
  if (refused.length) s.problems.push(`requests were refused: ${JSON.stringify(refused.map((r) => [r.status, r.events.length]))}`);
  s.expect = {
    ordered: [
      { type: "page_view", page_url: first, page_path: "/", page_title: "clicktrail demo" },
      { type: "click", target_id: "features-link", target_tag: "a", target_href: `${first}#features`, target_text: "See the features" },
      { type: "click", target_id: "cta", target_tag: "button", target_selector: "button#cta", props: { event: "cta", plan: "team" } },
      { type: "click", target_id: "nav-pricing", target_href: pricing },
      { type: "engagement", page_url: first, engaged_ms: { $gt: 0 } },
      { type: "page_view", page_url: pricing, page_title: "Pricing — clicktrail demo", referrer: first },
      { type: "click", target_id: "buy-pro", props: { plan: "pro" } },
      { type: "click", target_id: "back-home" },
      { type: "engagement", page_url: pricing, engaged_ms: { $gt: 0 } },
      { type: "page_view", page_url: home, page_title: "clicktrail demo", referrer: pricing },
      { type: "click", target_id: "subscribe", target_tag: "input", target_text: "Subscribe" },
      { type: "form_submit", target_id: "newsletter", target_tag: "form", target_selector: "form#newsletter" },
      { type: "click", target_id: "signup" },
      { type: "signup_click", props: { plan: "pro" } },
      { type: "click", target_id: "identify" },
      { type: "identify", user_id: "user-42" },
      { type: "click", target_id: "nav-about", target_href: about },
      { type: "engagement", page_url: home, user_id: "user-42", engaged_ms: { $gt: 0 } },
      { type: "page_view", page_url: about, page_title: "About — clicktrail demo", referrer: home, user_id: "user-42" },
      { type: "engagement", page_url: about, user_id: "user-42", engaged_ms: { $gt: 0 } },
    ],
    scroll: { [first]: [25, 50, 75, 100] },
  };
  return end(s, log);
}

/** (b) The page is closed right after a click, inside the batch window: the click must still
 *  arrive, through the page-hide flush (a keepalive fetch, which outlives the page). */
export async function closeAfterClick(browser, baseUrl) {
  const s = begin("close_after_click", baseUrl);
  const url = `${baseUrl}/about.html?run=${s.marker}`;
  const { context, log, page } = await loadedPage(s, browser, url);
  await step(s, "click", () => page.click("#about-cta"));
  const closing = Date.now();
  await step(s, "close_page", () => page.close());
  await settle(context, log);
  if (log.some((r) => r.at < closing && r.events.some((e) => e.type == "click")))
    s.problems.push("the click was sent before the page closed, so the page-hide flush was not tested");
  s.expect = {
    ordered: [
      { type: "page_view", page_url: url, page_title: "About — clicktrail demo" },
      { type: "click", page_url: url, target_id: "about-cta", target_text: "Tell me more", props: { section: "about" } },
      { type: "engagement", page_url: url, engaged_ms: { $gt: 0 } },
    ],
  };
  return end(s, log);
}

/** (c) Events tracked offline wait in localStorage and are delivered exactly once: first when the
 *  browser comes back online, then (for a page closed while offline) by the next page. */
export async function offline(browser, baseUrl) {
  const s = begin("offline", baseUrl);
  const url = `${baseUrl}/?run=${s.marker}`;
  const loaded = await loadedPage(s, browser, url);
  const { context, log } = loaded;
  let page = loaded.page; // the next page, after this one closes offline

  // Online again while the page is open: the `online` event sends the queue.
  await step(s, "go_offline", () => context.setOffline(true));
  s.online_while_offline = await page.evaluate(() => navigator.onLine);
  const idsA = await step(s, "track_3_offline", () => trackMany(page, "offline_a", 3));
  await page.waitForTimeout(1500); // past the batch window: a flush was due and could not go
  const queuedA = (await storedQueue(page)).map((e) => e.event_id);
  if (idsA.length != 3 || !idsA.every((id) => queuedA.includes(id)))
    s.problems.push(`expected the 3 offline_a events in localStorage, found ${JSON.stringify(queuedA)}`);
  if (delivered(log).some((e) => idsA.includes(e.event_id))) s.problems.push("offline_a events were delivered while offline");
  await step(s, "go_online", () => context.setOffline(false));
  await waitFor(() => idsA.every((id) => deliveredIds(log).includes(id)), "offline_a events to be delivered after going online");
  await waitFor(async () => (await storedQueue(page)).length == 0, "the stored queue to empty");

  // A page closed while offline: its events stay stored and the next page sends them.
  await step(s, "go_offline_again", () => context.setOffline(true));
  const idsB = await step(s, "track_3_offline", () => trackMany(page, "offline_b", 3));
  if (idsB.length != 3) s.problems.push(`expected 3 offline_b events in localStorage, found ${idsB.length}`);
  await step(s, "close_page_offline", () => page.close());
  await step(s, "go_online", () => context.setOffline(false));
  page = await context.newPage();
  await step(s, "open_next_page", () => page.goto(`${baseUrl}/about.html?run=${s.marker}`));
  await waitFor(() => idsB.every((id) => deliveredIds(log).includes(id)), "offline_b events to be delivered by the next page");
  await waitFor(async () => (await storedQueue(page)).length == 0, "the stored queue to empty");
  await page.close();
  await settle(context, log);

  // From the tracker's side: each event in exactly one successful request.
  for (const id of [...idsA, ...idsB]) {
    const n = deliveredIds(log).filter((x) => x == id).length;
    if (n != 1) s.problems.push(`event ${id} was in ${n} successful requests, not 1`);
  }
  s.offline_event_ids = [...idsA, ...idsB];
  s.expect = {
    ordered: [
      { type: "page_view", page_url: url },
      ...idsA.map((event_id) => ({ type: "offline_a", event_id })),
      ...idsB.map((event_id) => ({ type: "offline_b", event_id })),
      { type: "page_view", page_path: "/about.html" },
    ],
    once: [...idsA, ...idsB],
  };
  return end(s, log);
}

/** A second tab that opens while the first still holds unsent events (a link opened in a new
 *  tab, within the batch window) shares the stored queue but must not send the first tab's
 *  events: each event is stored once. */
export async function twoTabs(browser, baseUrl) {
  const s = begin("two_tabs", baseUrl);
  const context = await browser.newContext();
  const log = watchIngest(context);
  const first = await context.newPage();
  const url = `${baseUrl}/?run=${s.marker}`;
  await step(s, "load_first_tab", () => first.goto(url));
  await waitFor(() => deliveredOf(log, "page_view").length == 1, "the first tab's page view to be delivered");
  s.anonymous_ids = [await cookie(context, "ct_aid")];
  await step(s, "click_in_first_tab", () => first.click("#cta"));
  const held = (await storedQueue(first)).map((e) => e.event_id);
  const second = await context.newPage();
  await step(s, "open_second_tab", () => second.goto(`${baseUrl}/about.html?run=${s.marker}`));
  await waitFor(() => held.every((id) => deliveredIds(log).includes(id)), "the first tab's click to be delivered");
  await waitFor(() => deliveredOf(log, "page_view").length == 2, "the second tab's page view to be delivered");
  await first.close();
  await second.close();
  await settle(context, log);
  if (!held.length) s.problems.push("the click was sent before the second tab opened; the race was not tested");
  for (const id of held) {
    const n = deliveredIds(log).filter((x) => x == id).length;
    if (n != 1) s.problems.push(`event ${id} was in ${n} successful requests, not 1`);
  }
  s.expect = {
    ordered: [
      { type: "page_view", page_url: url },
      { type: "click", target_id: "cta" },
    ],
    once: held,
  };
  return end(s, log);
}

/** (d) Do Not Track and Global Privacy Control, each on its own: the tracker sends nothing and
 *  stores nothing, whatever the visitor does. */
export async function privacy(browser, baseUrl) {
  const s = begin("privacy", baseUrl);
  const signals = {
    dnt: {
      headers: { DNT: "1" },
      script: () => Object.defineProperty(Navigator.prototype, "doNotTrack", { get: () => "1" }),
    },
    gpc: {
      headers: { "Sec-GPC": "1" },
      script: () => Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true }),
    },
  };
  s.signals = {};
  const all = [];
  for (const [name, signal] of Object.entries(signals)) {
    const context = await browser.newContext({ extraHTTPHeaders: signal.headers });
    await context.addInitScript(signal.script);
    const log = watchIngest(context);
    all.push(log);
    const page = await context.newPage();
    await step(s, `${name}_load`, () => page.goto(`${baseUrl}/?run=${s.marker}`));
    await step(s, `${name}_interact`, async () => {
      await page.click("#cta");
      await page.click("#signup");
      await page.click("#identify");
      await page.evaluate(() => window.clicktrail.track("should_not_send"));
      await scrollToBottom(page);
      await page.click("#nav-pricing");
      await page.waitForTimeout(1500); // past the batch window
    });
    if (!(await page.evaluate(() => typeof window.clicktrail?.track == "function")))
      s.problems.push(`${name}: the tracker did not load, so its silence proves nothing`);
    const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("ct_")));
    const cookies = await context.cookies();
    await step(s, `${name}_close_page`, () => page.close());
    await settle(context, log);
    s.signals[name] = { requests: log.length, cookies: cookies.map((c) => c.name), stored };
    if (log.length) s.problems.push(`${name}: the tracker made ${log.length} requests`);
    if (cookies.length) s.problems.push(`${name}: cookies were set: ${cookies.map((c) => c.name)}`);
    if (stored.length) s.problems.push(`${name}: localStorage keys were set: ${stored}`);
  }
  s.expect = { absent_marker: s.marker };
  return end(s, all.flat());
}

/** optOut() stops tracking and forgets the browser's ids; optIn() starts again, as a new
 *  anonymous visitor. */
export async function optOut(browser, baseUrl) {
  const s = begin("opt_out", baseUrl);
  const context = await browser.newContext();
  const log = watchIngest(context);
  const page = await context.newPage();
  const url = `${baseUrl}/?run=${s.marker}`;
  await step(s, "load", () => page.goto(url));
  await waitFor(() => deliveredOf(log, "page_view").length == 1, "the page view to be delivered");
  const before = await cookie(context, "ct_aid");
  await step(s, "opt_out", () => page.evaluate(() => window.clicktrail.optOut()));
  const requestsAtOptOut = log.length;
  await step(s, "interact_while_opted_out", async () => {
    await page.click("#cta");
    await page.evaluate(() => window.clicktrail.track("should_not_send"));
    await page.waitForTimeout(1500);
  });
  if (log.length != requestsAtOptOut) s.problems.push(`${log.length - requestsAtOptOut} requests after optOut()`);
  if (await cookie(context, "ct_aid")) s.problems.push("the ct_aid cookie is still there after optOut()");
  if (!(await page.evaluate(() => localStorage.ct_optout == "1"))) s.problems.push("optOut() stored no flag");

  await step(s, "opt_in", () => page.evaluate(() => window.clicktrail.optIn()));
  await step(s, "click_after_opt_in", () => page.click("#signup"));
  await waitFor(() => deliveredOf(log, "signup_click").length == 1, "the event after optIn() to be delivered");
  const after = await cookie(context, "ct_aid");
  await page.close();
  await settle(context, log);
  if (!after || after == before) s.problems.push(`optIn() should start a new anonymous id; before ${before}, after ${after}`);
  s.anonymous_ids = [after, before];
  s.expect = {
    ordered: [{ type: "click", target_id: "signup", page_url: url }, { type: "signup_click" }],
    // the visitor before optOut() sent its page view and nothing after it
    only_before_opt_out: { anonymous_id: before, types: ["page_view"] },
  };
  return end(s, log);
}

/** The options, both ways of giving them: data attributes on the script tag, and
 *  clicktrail.init(). With Do Not Track on and respectDnt off, events are sent; trackErrors
 *  sends uncaught errors; an element with a bare data-ct attribute is tracked; batchSize is
 *  obeyed. The pages are written into the document at <base>/clicktrail.js, which has the
 *  deployment's origin and runs no tracker of its own. */
export async function options(browser, baseUrl) {
  const s = begin("options", baseUrl);
  const pages = {
    data_attributes: `<!doctype html><title>options by data attributes</title>
      <div id="box" data-ct>Box</div>
      <script src="/clicktrail.js" data-site="demo" data-respect-dnt="false" data-track-errors="true" data-batch-size="3"></script>`,
    init: `<!doctype html><title>options by init</title>
      <div id="box" data-ct>Box</div>
      <script src="/clicktrail.js"></script>
      <script>clicktrail.init({ site: "demo", endpoint: "${baseUrl}/v1/events", respectDnt: false, trackErrors: true, batchSize: 3, flushMs: 60000 });</script>`,
  };
  const logs = [];
  s.anonymous_ids = [];
  s.expect = { per_browser: [] };
  for (const [name, html] of Object.entries(pages)) {
    const context = await browser.newContext();
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, "doNotTrack", { get: () => "1" }));
    const log = watchIngest(context);
    logs.push(log);
    const page = await context.newPage();
    await step(s, `${name}_load`, async () => {
      await page.goto(`${baseUrl}/clicktrail.js?run=${s.marker}`);
      await page.setContent(html);
    });
    await step(s, `${name}_click_and_throw`, async () => {
      await page.click("#box");
      await page.evaluate(() => setTimeout(() => {
        throw new Error("boom from the options scenario");
      }));
    });
    // batchSize 3: page_view, click and error go together, without waiting for flushMs
    await waitFor(() => deliveredOf(log, "error").length == 1, `${name}: the error event to be delivered`, 5000);
    const batch = log.find((r) => r.events.some((e) => e.type == "error"));
    if (batch.events.length != 3) s.problems.push(`${name}: expected one batch of 3 events, got ${batch.events.map((e) => e.type)}`);
    const id = await cookie(context, "ct_aid");
    s.anonymous_ids.push(id);
    s.expect.per_browser.push({
      anonymous_id: id,
      ordered: [
        { type: "page_view", page_path: "/clicktrail.js", page_title: html.match(/<title>(.*)<\/title>/)[1] },
        { type: "click", target_id: "box", target_tag: "div", target_text: "Box", target_selector: "div#box" },
        { type: "error", props: { $has: { message: "Uncaught Error: boom from the options scenario" } } },
      ],
    });
    await page.close();
    await settle(context, log);
  }
  return end(s, logs.flat());
}

/** Cookieless mode: the demo with its tracker tag in cookieless mode; two page views, a click on
 *  each and identify() in one browser, then a click while offline and the page hidden and shown
 *  again. The tracker must store nothing (no cookie; no key in localStorage, sessionStorage,
 *  IndexedDB or Cache Storage), keep the offline click in memory until the browser is online,
 *  and send no anonymous_id and no
 *  session_id, whatever the collector later derives; user_id is sent on the page that set it and
 *  not kept for the next. The stored events are found by event_id (the store's anonymous_id is
 *  the collector's to derive), or by the marker in their page_url. */
export async function cookieless(browser, baseUrl) {
  const s = begin("cookieless", baseUrl);
  const context = await browser.newContext();
  await serveCookieless(context);
  const log = watchIngest(context);
  const page = await context.newPage();
  const first = `${baseUrl}/?run=${s.marker}`;
  const second = `${baseUrl}/about.html?run=${s.marker}`;
  s.storage = {};

  await step(s, "load", () => page.goto(first));
  await waitFor(() => deliveredOf(log, "page_view").length == 1, "the first page view to be delivered", undefined, log);
  await step(s, "click_data_ct_button", () => page.click("#cta"));
  await step(s, "identify", () => page.click("#identify"));
  await waitFor(() => deliveredOf(log, "identify").length == 1, "the identify event to be delivered", undefined, log);
  s.storage.first_page = await browserStorage(context, page, baseUrl);
  await step(s, "load_second_page", () => page.goto(second));
  await step(s, "click_on_second_page", () => page.click("#about-cta"));
  await waitFor(() => deliveredOf(log, "click").length == 3, "the second page's click to be delivered", undefined, log);
  s.storage.second_page = await browserStorage(context, page, baseUrl);
  await step(s, "go_offline", () => context.setOffline(true));
  await step(s, "click_offline", () => page.click("#about-cta"));
  await page.waitForTimeout(1500); // past the batch window: a flush was due and could not go
  s.storage.offline = await browserStorage(context, page, baseUrl);
  // hidden while it cannot send, the page keeps the click (with storage it would release it to
  // the stored queue); headless chromium never hides a page, so the page is told it is
  await step(s, "hide_and_show_offline", () =>
    page.evaluate(() => {
      for (const hidden of [true, false]) {
        Object.defineProperty(document, "hidden", { value: hidden, configurable: true });
        document.dispatchEvent(new Event("visibilitychange"));
      }
      delete document.hidden;
    }),
  );
  await step(s, "go_online", () => context.setOffline(false));
  await waitFor(() => deliveredOf(log, "click").length == 4, "the offline click to be delivered once online", undefined, log);
  await step(s, "close_page", () => page.close());
  await settle(context, log);

  for (const [at, found] of Object.entries(s.storage)) {
    if (!found.cookieless_tag) s.problems.push(`${at}: the tracker tag has no data-cookieless, so nothing was tested`);
    for (const [where, what] of Object.entries(found.kept))
      if (what.length) s.problems.push(`${at}: ${where} is not empty: ${JSON.stringify(what)}`);
  }
  const sent = log.flatMap((r) => r.events);
  for (const e of sent)
    for (const field of ["anonymous_id", "session_id"])
      if (field in e) s.problems.push(`${e.type} ${e.event_id} was sent with ${field} ${e[field]}`);
  const got = (type) => deliveredOf(log, type);
  const identify = got("identify")[0];
  if (identify?.user_id != "user-42") s.problems.push(`identify was sent with user_id ${identify?.user_id}, not user-42`);
  const secondView = got("page_view").find((e) => e.page_url == second);
  if (!secondView) s.problems.push("the second page view was not delivered");
  else if ("user_id" in secondView) s.problems.push(`the user_id outlived its page: the second page view has ${secondView.user_id}`);

  s.sent_event_ids = sent.map((e) => e.event_id);
  const id = (type, fields) => got(type).find((e) => Object.entries(fields).every(([k, v]) => e[k] == v))?.event_id;
  const stored = (type, fields) => ({ event_id: id(type, fields), type, ...fields });
  s.expect = {
    once: deliveredIds(log),
    stored_as: [
      stored("page_view", { page_url: first }),
      stored("click", { target_id: "cta", page_url: first }),
      stored("identify", { user_id: "user-42", page_url: first }),
      stored("page_view", { page_url: second }),
      ...got("click").slice(2).map(({ event_id }) => ({ event_id, type: "click", target_id: "about-cta", page_url: second })),
    ],
  };
  return end(s, log);
}

/** Offline, a page tracks more than the stored queue may hold (60 events of some 5 kB each,
 *  past its 200,000 characters): the oldest are dropped first, and counted. Back online, the
 *  kept events are delivered, each once, and then a `queue_overflow` event that says how many
 *  were dropped. */
export async function queueCap(browser, baseUrl) {
  const s = begin("queue_cap", baseUrl);
  const url = `${baseUrl}/?run=${s.marker}`;
  const { context, log, page } = await loadedPage(s, browser, url);

  await step(s, "go_offline", () => context.setOffline(true));
  const { tracked, kept, longest } = await step(s, "track_60_large_offline", () =>
    page.evaluate(() => {
      const tracked = [];
      let longest = 0;
      for (let i = 0; i < 60; i++) {
        window.clicktrail.track("large", { n: i, pad: "x".repeat(5000) });
        const queue = localStorage.getItem("ct_q");
        longest = Math.max(longest, queue.length);
        tracked.push(JSON.parse(queue).at(-1)[1].event_id); // the newest entry: this event
      }
      return { tracked, kept: JSON.parse(localStorage.getItem("ct_q")).map(([, e]) => e.event_id), longest };
    }),
  );
  const dropped = tracked.filter((id) => !kept.includes(id));
  s.stored_queue = { tracked: tracked.length, kept: kept.length, longest_chars: longest };
  if (longest > 200000) s.problems.push(`the stored queue reached ${longest} characters, over its cap of 200000`);
  if (!dropped.length) s.problems.push("nothing was dropped: the cap was not reached");
  if (JSON.stringify(kept) != JSON.stringify(tracked.slice(tracked.length - kept.length)))
    s.problems.push("the queue did not keep the newest events, in order");

  await step(s, "go_online", () => context.setOffline(false));
  await waitFor(() => kept.every((id) => deliveredIds(log).includes(id)), "the kept events to be delivered", 20000, log);
  await waitFor(() => deliveredOf(log, "queue_overflow").length, "the queue_overflow event to be delivered", 10000, log);
  await page.waitForTimeout(1000); // time for a repeat, which must not come
  await page.close();
  await settle(context, log);

  const overflow = deliveredOf(log, "queue_overflow");
  if (overflow.length != 1 || overflow[0].props?.dropped != dropped.length)
    s.problems.push(`expected one queue_overflow event with dropped ${dropped.length}, got ${JSON.stringify(overflow.map((e) => e.props))}`);
  for (const id of kept) {
    const n = deliveredIds(log).filter((x) => x == id).length;
    if (n != 1) s.problems.push(`event ${id} was in ${n} successful requests, not 1`);
  }
  if (log.some((r) => r.events.some((e) => dropped.includes(e.event_id)))) s.problems.push("a dropped event was sent");
  s.kept_event_ids = kept;
  s.dropped_event_ids = dropped;
  s.expect = {
    ordered: [{ type: "page_view", page_url: url }, ...kept.map((event_id) => ({ type: "large", event_id })), { type: "queue_overflow" }],
    once: [...kept, ...overflow.map((e) => e.event_id)],
    absent_event_ids: dropped,
    stored_as: overflow.map(({ event_id }) => ({ event_id, type: "queue_overflow", props: { dropped: dropped.length } })),
  };
  return end(s, log);
}

/** localStorage refused, in two ways: full (every write throws QuotaExceededError) and blocked
 *  (reading `localStorage` throws SecurityError, as with storage disabled). The tracker keeps its
 *  queue in memory: a click, then 2 events tracked offline while the page is hidden and shown
 *  again (with storage it would release them to the stored queue), are each delivered once
 *  when the browser is back online; nothing is stored. */
export async function storageRefused(browser, baseUrl) {
  const s = begin("storage_refused", baseUrl);
  const ways = {
    full: () => {
      Storage.prototype.setItem = () => {
        throw new DOMException("the quota has been exceeded", "QuotaExceededError");
      };
    },
    blocked: () =>
      Object.defineProperty(window, "localStorage", {
        get: () => {
          throw new DOMException("access is denied for this document", "SecurityError");
        },
      }),
  };
  const logs = [];
  s.anonymous_ids = [];
  s.expect = { per_browser: [], once: [] };
  for (const [name, refuse] of Object.entries(ways)) {
    const context = await browser.newContext();
    await context.addInitScript(refuse);
    const log = watchIngest(context);
    logs.push(log);
    const page = await context.newPage();
    const url = `${baseUrl}/?run=${s.marker}&storage=${name}`;
    await step(s, `${name}_load`, () => page.goto(url));
    await waitFor(() => deliveredOf(log, "page_view").length == 1, `${name}: the page view to be delivered`, undefined, log);
    await step(s, `${name}_click`, () => page.click("#cta"));
    await waitFor(() => deliveredOf(log, "click").length == 1, `${name}: the click to be delivered`, undefined, log);
    await step(s, `${name}_go_offline`, () => context.setOffline(true));
    await step(s, `${name}_track_2_offline`, () =>
      page.evaluate(() => {
        for (let i = 0; i < 2; i++) window.clicktrail.track("kept_in_memory", { n: i });
      }),
    );
    await page.waitForTimeout(1500); // past the batch window: a flush was due and could not go
    await step(s, `${name}_hide_and_show_offline`, () =>
      page.evaluate(() => {
        for (const hidden of [true, false]) {
          Object.defineProperty(document, "hidden", { value: hidden, configurable: true });
          document.dispatchEvent(new Event("visibilitychange"));
        }
        delete document.hidden;
      }),
    );
    await step(s, `${name}_go_online`, () => context.setOffline(false));
    await waitFor(() => deliveredOf(log, "kept_in_memory").length == 2, `${name}: the offline events to be delivered once online`, undefined, log);
    const stored = await page.evaluate(() => {
      try {
        return Object.keys(localStorage).filter((k) => k.startsWith("ct_"));
      } catch {
        return [];
      }
    });
    const id = await cookie(context, "ct_aid");
    await page.close();
    await settle(context, log);
    if (stored.length) s.problems.push(`${name}: localStorage keys were set: ${stored}`);
    const sent = deliveredIds(log);
    for (const e of new Set(sent)) if (sent.filter((x) => x == e).length != 1) s.problems.push(`${name}: event ${e} was delivered more than once`);
    s.anonymous_ids.push(id);
    s.expect.once.push(...sent);
    s.expect.per_browser.push({
      anonymous_id: id,
      ordered: [
        { type: "page_view", page_url: url },
        { type: "click", target_id: "cta" },
        { type: "kept_in_memory", props: { n: 0 } },
        { type: "kept_in_memory", props: { n: 1 } },
      ],
    });
  }
  return end(s, logs.flat());
}

/** Serves the demo's pages (/, /about.html) with `data-cookieless` on their tracker tag: the
 *  deployment's own pages, changed on their way to the browser. The tracker is the deployment's. */
export async function serveCookieless(context) {
  const tag = '<script src="/clicktrail.js" data-site="demo"';
  await context.route(
    (url) => url.pathname == "/" || url.pathname == "/about.html",
    async (route) => {
      const response = await route.fetch();
      const html = await response.text();
      await route.fulfill({ response, body: html.replace(tag, tag + " data-cookieless") });
    },
  );
}

/** What the origin keeps in this browser, where a tracker could store: cookies (the context's for
 *  the origin, and document.cookie), localStorage and sessionStorage keys, IndexedDB databases,
 *  Cache Storage caches; and whether the page's tracker tag is in cookieless mode. */
async function browserStorage(context, page, baseUrl) {
  const inPage = await page.evaluate(async () => ({
    cookieless_tag: !!document.querySelector('script[src="/clicktrail.js"][data-cookieless]'),
    kept: {
      "document.cookie": document.cookie ? [document.cookie] : [],
      localStorage: Object.keys(localStorage),
      sessionStorage: Object.keys(sessionStorage),
      IndexedDB: (await indexedDB.databases()).map((d) => d.name),
      "Cache Storage": globalThis.caches ? await caches.keys() : [],
    },
  }));
  inPage.kept.cookies = (await context.cookies(baseUrl)).map((c) => c.name);
  return inPage;
}
