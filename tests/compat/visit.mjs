// Visits the compat pages (build.mjs's bundles of Snowplow's and Segment's own browser trackers) in
// Debian's chromium against a real collector and reports what the browser saw: every request to
// the collector with its answer, and the cookie jar along the way. It checks nothing about what
// was stored: tests/e2e/test_compat_browser.py compares this report with the Parquet files.
//
//   node tests/compat/visit.mjs SCENARIO --pages http://localhost:P1 --collector localhost:P2 \
//       --app APP_ID --key WRITE_KEY --marker M [--referrer URL] [--post-path P] [--segment-prefix P] \
//       [--cookie-name NAME]
//
// --pages serves the pages (the same site as the collector, another origin); every page URL
// carries ?run=M so that its events can be found among the stored ones. The first page of each
// scenario is opened with --referrer (default https://news.example.org/article?id=7), so that the
// trackers have a referrer to send. --post-path is the Snowplow tracker's postPath (default its
// own, /com.snowplowanalytics.snowplow/tp2), --segment-prefix the path analytics.js's apiHost has
// after the collector (default /v1), --cookie-name the collector's network id cookie (default sp),
// for collectors with snowplow.paths, segment.prefixes and snowplow.cookie_name set. Scenarios:
//
//   snowplow_visit      POST with bufferSize 3: setUserId, page view, structured and
//                       self-describing events, a link click, activity pings, flushBuffer(); then,
//                       by a link from that page, a second page in GET mode (page view, structured,
//                       self-describing), in the same browser context
//   snowplow_anonymous  anonymousTracking {withServerAnonymisation: true}: a page with bufferSize 2
//                       (setUserId, page view, structured); then, with a network id cookie already
//                       in the jar (as a returning visitor has), a second page (page view)
//   segment             analytics.js: page, track, identify, group, alias, a request each
//   segment_batching    the same with deliveryStrategy batching (/v1/b)
//
// Prints one JSON report on stdout: {scenario, pages, requests, cookies, returned, problems};
// requests are the collector's, in the order they were made: method, path, query, body, status,
// failed, request_headers, response_headers (those that matter). Exits 1 when problems is not
// empty (a page error, a request off this machine, a time-out), 2 on a usage error. Bounded: it
// stops itself after RUN_TIMEOUT, and on SIGTERM, closing chromium either way.
import { randomUUID } from "node:crypto";
import { launch } from "../browser/browser.mjs";
import { snowplowEvents, segmentMessages } from "./scenarios.mjs";

const DELIVERY_TIMEOUT = 20_000;
const RUN_TIMEOUT = 90_000;
const QUIET = 1000; // after the last request to the collector: time for a late or repeated one
const KEPT_REQUEST_HEADERS = ["origin", "cookie", "sp-anonymous", "content-type", "authorization", "x-retry-count"];
const KEPT_RESPONSE_HEADERS = [
  "access-control-allow-origin", "access-control-allow-credentials", "vary", "set-cookie", "content-type",
  "cache-control",
];

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const scenario = process.argv[2];
const opts = {
  pages: arg("--pages"), collector: arg("--collector"), app: arg("--app"), key: arg("--key"), marker: arg("--marker"),
};
const referrer = arg("--referrer") || "https://news.example.org/article?id=7";
const postPath = arg("--post-path");
const segmentPrefix = arg("--segment-prefix");
const cookieName = arg("--cookie-name") || "sp";

const report = { scenario, pages: [], requests: [], cookies: {}, returned: null, problems: [] };
let browser;

const pick = (headers, names) =>
  Object.fromEntries(names.filter((n) => headers[n] !== undefined).map((n) => [n, headers[n]]));

/** Records every request of `context` to the collector (answer included) in report.requests, and
 *  notes requests that leave this machine. Returns `idle(ms)`: nothing in flight and no request
 *  made or answered for `ms`. */
function watch(context) {
  const collector = new URL(`http://${opts.collector}`).origin;
  const entries = new Map();
  let inFlight = 0;
  let last = Date.now();
  context.on("request", (r) => {
    const url = new URL(r.url());
    if (url.hostname !== "localhost" && url.hostname !== "127.0.0.1")
      report.problems.push(`request off this machine: ${r.url()}`);
    if (url.origin !== collector) return;
    inFlight++;
    last = Date.now();
    const entry = { method: r.method(), path: url.pathname, query: url.search.slice(1), status: null, failed: null };
    if (r.postData() !== null) entry.body = r.postData();
    entries.set(r, entry);
    report.requests.push(entry);
  });
  const done = (r, fill) => {
    const entry = entries.get(r);
    if (!entry) return;
    fill(entry)
      .catch((e) => (entry.failed = `could not read the answer: ${e.message}`))
      .finally(() => {
        inFlight--;
        last = Date.now();
      });
  };
  context.on("requestfinished", (r) =>
    done(r, async (entry) => {
      const response = await r.response();
      entry.request_headers = pick(await r.allHeaders(), KEPT_REQUEST_HEADERS);
      entry.status = response?.status() ?? null;
      entry.response_headers = response ? pick(await response.allHeaders(), KEPT_RESPONSE_HEADERS) : {};
    }),
  );
  context.on("requestfailed", (r) =>
    done(r, async (entry) => {
      entry.request_headers = pick(await r.allHeaders(), KEPT_REQUEST_HEADERS);
      entry.failed = r.failure()?.errorText || "failed";
    }),
  );
  return (ms) => inFlight === 0 && Date.now() - last >= ms;
}

async function waitFor(condition, what, timeout = DELIVERY_TIMEOUT) {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const answered = () => report.requests.filter((r) => r.status >= 200 && r.status < 300);
const snowplowKinds = () => snowplowEvents(answered()).map((e) => e.e);
const count = (list, x) => list.filter((y) => y === x).length;

function pageUrl(page, query) {
  const snowplow = page.startsWith("snowplow");
  const collector = snowplow ? `http://${opts.collector}` : opts.collector;
  const custom = snowplow ? (postPath ? { path: postPath } : {}) : segmentPrefix ? { prefix: segmentPrefix } : {};
  const url = `${opts.pages}/${page}?${new URLSearchParams({ run: opts.marker, collector, ...custom, ...query })}`;
  report.pages.push(url);
  return url;
}

async function newPage(context) {
  const page = await context.newPage();
  page.on("pageerror", (e) => report.problems.push(`the page threw: ${e.message}`));
  return page;
}

// A scenario's first page, arrived at from --referrer.
async function open(page, url) {
  await page.goto(url, { referer: referrer });
  await page.waitForFunction(() => window.compat?.ready);
}

// A link from the page to the next: document.referrer is the page, as after a click.
async function follow(page, url) {
  await page.evaluate((u) => location.assign(u), url);
  await page.waitForURL(url);
  await page.waitForFunction(() => window.compat?.ready);
}

// Moves the mouse and scrolls for `ms`, so that activity tracking has activity to report.
async function beActive(page, ms) {
  const until = Date.now() + ms;
  for (let y = 0; Date.now() < until; y += 120) {
    await page.mouse.move(100 + (y % 300), 200);
    await page.mouse.wheel(0, 120);
    await page.waitForTimeout(100);
  }
}

async function snowplowVisit() {
  const context = await browser.newContext();
  const idle = watch(context);
  const page = await newPage(context);
  await open(page, pageUrl("snowplow.html", { app: opts.app, buffer: "3", calls: "uid,pv,se,ue,link,pings" }));
  await page.evaluate(() => window.compat.link());
  await beActive(page, 2500);
  await page.waitForTimeout(1200); // the last heartbeat's ping, before the flush
  await page.evaluate(() => window.compat.flush());
  await waitFor(() => {
    const kinds = snowplowKinds();
    const all = kinds.includes("pv") && kinds.includes("se") && count(kinds, "ue") === 2 && kinds.includes("pp");
    return all && idle(QUIET);
  }, "the first page's events");
  report.cookies.first_page = await context.cookies();

  const before = snowplowKinds().length;
  await follow(page, pageUrl("snowplow.html", { app: opts.app, method: "get", calls: "pv,se,ue" }));
  await waitFor(() => snowplowKinds().length >= before + 3 && idle(QUIET), "the second page's events");
  report.cookies.second_page = await context.cookies();
  await context.close();
}

async function snowplowAnonymous() {
  const context = await browser.newContext();
  const idle = watch(context);
  const page = await newPage(context);
  await open(page, pageUrl("snowplow.html", { app: opts.app, anon: "1", buffer: "2", calls: "uid,pv,se" }));
  await waitFor(() => snowplowKinds().length >= 2 && idle(QUIET), "the first page's events");
  report.cookies.first_page = await context.cookies();

  // A returning visitor's network id cookie, as the collector would have set it a day ago.
  const returning = {
    name: cookieName, value: randomUUID(), domain: "localhost", path: "/", httpOnly: true, secure: true,
    sameSite: "None", expires: Math.floor(Date.now() / 1000) + 3600,
  };
  await context.addCookies([returning]);
  report.cookies.seeded = [returning];
  await follow(page, pageUrl("snowplow.html", { app: opts.app, anon: "1", calls: "pv" }));
  await waitFor(() => snowplowKinds().length >= 3 && idle(QUIET), "the second page's events");
  report.cookies.second_page = await context.cookies();
  await context.close();
}

async function segment(batching) {
  const context = await browser.newContext();
  const idle = watch(context);
  const page = await newPage(context);
  await open(page, pageUrl("segment.html", { key: opts.key, ...(batching ? { batching: "1" } : {}) }));
  report.returned = await page.evaluate(() => window.compat.run());
  const ids = report.returned.map((r) => r.messageId);
  await waitFor(() => {
    const sent = new Set(segmentMessages(answered()).map((m) => m.messageId));
    return ids.every((id) => sent.has(id)) && idle(QUIET);
  }, "every call to be answered");
  report.cookies.end = await context.cookies();
  await context.close();
}

const scenarios = {
  snowplow_visit: snowplowVisit,
  snowplow_anonymous: snowplowAnonymous,
  segment: () => segment(false),
  segment_batching: () => segment(true),
};

async function stop() {
  await browser?.close().catch(() => {});
}

function finish(code) {
  console.log(JSON.stringify(report, null, 2));
  process.exit(code);
}

if (!scenarios[scenario] || Object.values(opts).some((v) => !v)) {
  console.error(
    `usage: node tests/compat/visit.mjs ${Object.keys(scenarios).join("|")} --pages http://localhost:P1 ` +
      "--collector localhost:P2 --app APP_ID --key WRITE_KEY --marker M",
  );
  process.exit(2);
}
for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, async () => {
    report.problems.push(`stopped by ${signal}`);
    await stop();
    finish(1);
  });
const overall = setTimeout(async () => {
  report.problems.push(`the visit took more than ${RUN_TIMEOUT} ms`);
  await stop();
  finish(1);
}, RUN_TIMEOUT);

try {
  // Only localhost resolves: a tracker reaching for a CDN fails here instead of leaving the machine.
  browser = await launch({ args: ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost"] });
  await scenarios[scenario]();
} catch (e) {
  report.problems.push(e.stack || String(e));
} finally {
  clearTimeout(overall);
  await stop();
}
finish(report.problems.length ? 1 : 0);
