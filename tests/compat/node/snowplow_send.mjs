// Sends N events with Snowplow's node tracker (@snowplow/node-tracker 4.8, unchanged) and prints
// one JSON line per event: {"seq", "e", "eid"}, so that a test can check each landed once.
//
//   node tests/compat/node/snowplow_send.mjs COLLECTOR_URL APP_ID N
//
// The events cycle through a page view, a structured event and a self-describing event; the
// server-side identity setters a backend uses are all set (nuid, ip, ua, duid, sid, vid, uid).
// bufferSize 10: one POST per 10 events, the rest at flush().
import { newTracker, buildPageView, buildStructEvent, buildSelfDescribingEvent } from "@snowplow/node-tracker";

const [url, appId, count] = process.argv.slice(2);
if (!url || !appId || !(Number(count) > 0)) {
  console.error("usage: snowplow_send.mjs COLLECTOR_URL APP_ID N");
  process.exit(2);
}

const failures = [];
const tracker = newTracker(
  { namespace: "compat-node", appId },
  { endpoint: url, bufferSize: 10, onRequestFailure: (failure) => failures.push(failure) },
);
tracker.setNetworkUserId("0b8c4e4c-6f8a-4e55-9d6e-2b8f8d6b1c11");
tracker.setIpAddress("203.0.113.7");
tracker.setUseragent("Mozilla/5.0 (X11; Linux x86_64) compat-test");
tracker.setDomainUserId("5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b");
tracker.setSessionId("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d");
tracker.setSessionIndex(3);
tracker.setUserId("user-42");

const builders = [
  (i) => buildPageView({ pageUrl: `https://shop.example/item/${i}?ref=node`, pageTitle: `Item ${i}`, referrer: "https://search.example/" }),
  (i) => buildStructEvent({ category: "shop", action: "add", label: `sku-${i}`, property: "size m", value: i + 0.5 }),
  (i) => buildSelfDescribingEvent({ event: { schema: "iglu:com.example/order/jsonschema/1-0-0", data: { order: `o-${i}`, total: i * 10 } } }),
];

for (let i = 0; i < Number(count); i++) {
  // track() returns the payload it queued, eid included.
  const payload = tracker.track(builders[i % builders.length](i));
  console.log(JSON.stringify({ seq: i, e: payload.e, eid: payload.eid }));
  // As a server tracks, one event at a time: queued synchronously, every event would go out
  // in the first request (the emitter flushes asynchronously, up to maxPostBytes, 40 000).
  await new Promise((resolve) => setTimeout(resolve, 5));
}
await tracker.flush();
if (failures.length) {
  console.error(`snowplow_send: ${failures.length} request(s) failed: ${JSON.stringify(failures).slice(0, 500)}`);
  process.exit(1);
}
