// The captures capture.mjs makes: each runs one library against the capturing collector and
// becomes tests/compat/fixtures/<name>.json. Browser captures open a page built by build.mjs
// (the query string says what the page does); node captures run a script of node/.
//
// expect(requests) says when everything has landed: capture.mjs waits for it, then for a
// quiet moment, so that a late or repeated request is captured too.

/** Snowplow events in the captured requests: POST payload_data members and GET queries. */
export function snowplowEvents(requests) {
  return requests.flatMap((r) => {
    if (r.method === "POST" && r.body) return JSON.parse(r.body).data;
    if (r.method === "GET") return [Object.fromEntries(new URLSearchParams(r.query))];
    return [];
  });
}

/** Segment messages in the captured requests: single-call bodies and batch members. */
export function segmentMessages(requests) {
  return requests
    .filter((r) => r.method === "POST" && r.body)
    .flatMap((r) => {
      const body = JSON.parse(r.body);
      return body.batch ?? [body];
    });
}

const kinds = (events) => events.map((e) => e.e);
const count = (list, x) => list.filter((y) => y === x).length;

// Moves the mouse and scrolls for `ms`, so that activity tracking has activity to report.
async function beActive(page, ms) {
  const until = Date.now() + ms;
  for (let y = 0; Date.now() < until; y += 120) {
    await page.mouse.move(100 + (y % 300), 200);
    await page.mouse.wheel(0, 120);
    await page.waitForTimeout(100);
  }
}

const snowplow = (name, query, { events, pings = false, flush = false, link = true }) => ({
  name,
  library: "@snowplow/browser-tracker",
  page: "snowplow.html",
  query,
  async drive(page) {
    await page.waitForFunction(() => window.compat?.ready);
    if (link) await page.click("#tracked-link");
    if (pings) await beActive(page, 2500);
    if (flush) await page.evaluate(() => window.compat.flush());
    return [];
  },
  // `events` kinds besides pings, and at least one ping when pings were asked for
  expect: (requests) => {
    const seen = kinds(snowplowEvents(requests));
    return seen.filter((e) => e !== "pp").length >= events && (!pings || count(seen, "pp") >= 1);
  },
});

const segment = (name, query) => ({
  name,
  library: "@segment/analytics-next",
  page: "segment.html",
  query,
  async drive(page) {
    await page.waitForFunction(() => window.compat?.ready);
    return page.evaluate(() => window.compat.run());
  },
});

const node = (name, library, script, key) => ({ name, library, script, key, count: 25 });

export const captures = [
  snowplow("snowplow_browser_post", { app: "demo" }, { events: 4, pings: true }),
  snowplow("snowplow_browser_batch", { app: "demo", buffer: "3", calls: "pv,se,ue,link,uid" }, { events: 4, flush: true }),
  snowplow("snowplow_browser_get", { app: "demo", method: "get" }, { events: 4, pings: true }),
  snowplow("snowplow_browser_anonymous", { app: "demo", anon: "1", calls: "pv,se,uid" }, { events: 2, link: false }),
  snowplow("snowplow_browser_post_path", { app: "demo", path: "/com.acme/events", calls: "pv" }, { events: 1, link: false }),
  segment("segment_browser", { key: "demo-write-key" }),
  segment("segment_browser_batching", { key: "demo-write-key", batching: "1" }),
  node("snowplow_node", "@snowplow/node-tracker", "snowplow_send.mjs", "demo"),
  node("segment_node", "@segment/analytics-node", "segment_send.mjs", "demo-write-key"),
];
