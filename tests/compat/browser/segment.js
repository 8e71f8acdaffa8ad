// Segment's analytics.js (@segment/analytics-next), unchanged, driven by the page's query string
// so that one bundle serves every compat test:
//
//   ?collector=localhost:P  key=WRITE_KEY  batching=1  calls=page,track,identify,group,alias
//   prefix=/v1 (one of the collector's segment.prefixes)
//
// apiHost is `<collector><prefix>`; analytics.js appends `/p`, `/t`, … (or `/b` when batching).
// window.compat.run() makes the calls and resolves once analytics.js reports them delivered
// (standard mode) or queued (batching mode, which sends on its own timer).
import { AnalyticsBrowser } from "@segment/analytics-next";

const query = new URLSearchParams(location.search);
const collector = query.get("collector");
const writeKey = query.get("key") || "demo-write-key";
const calls = (query.get("calls") || "page,track,identify,group,alias").split(",");
const prefix = query.get("prefix") || "/v1";

const segmentio = {
  // The CDN serves the write key as the integration's apiKey, and analytics.js takes the
  // body's writeKey and the Authorization header from there, not from load()'s writeKey.
  apiKey: writeKey,
  apiHost: `${collector}${prefix}`,
  protocol: "http",
};
if (query.get("batching") === "1")
  segmentio.deliveryStrategy = { strategy: "batching", config: { size: 10, timeout: 1000 } };

// cdnSettings in code: no fetch of cdn.segment.com/v1/projects/<key>/settings. metrics'
// sampleRate 0: no usage metrics posted to api.segment.io every 30 s.
const analytics = AnalyticsBrowser.load(
  { writeKey, cdnSettings: { integrations: { "Segment.io": segmentio }, metrics: { sampleRate: 0 } } },
  { integrations: { "Segment.io": { apiHost: segmentio.apiHost, protocol: "http" } } },
);

const call = {
  page: () => analytics.page("Docs", "Compat", { section: "intro" }),
  track: () => analytics.track("Order Completed", { order_id: "o-1", revenue: 12.5, items: [{ sku: "s-1" }] }),
  identify: () => analytics.identify("user-42", { email: "user42@example.com", plan: "pro" }),
  group: () => analytics.group("group-7", { name: "Acme", employees: 12 }),
  alias: () => analytics.alias("user-43"),
};

window.compat = {
  ready: true,
  // Sequential, so that the fixtures keep the calls' order.
  run: async () => {
    const ids = [];
    for (const name of calls) {
      const ctx = await call[name]();
      ids.push({ call: name, messageId: ctx.event.messageId });
    }
    return ids;
  },
};
