// Sends N messages with Segment's analytics-node (@segment/analytics-node 3.1, unchanged) and
// prints one JSON line per message once analytics-node reports it delivered:
// {"seq", "type", "messageId"}, so that a test can check each landed once.
//
//   node tests/compat/node/segment_send.mjs HOST_URL WRITE_KEY N
//
// The messages cycle through track, identify, page, screen, group and alias; flushAt 10, so
// /v1/batch requests of 10 and the rest at closeAndFlush().
import { Analytics } from "@segment/analytics-node";

const [host, writeKey, count] = process.argv.slice(2);
if (!host || !writeKey || !(Number(count) > 0)) {
  console.error("usage: segment_send.mjs HOST_URL WRITE_KEY N");
  process.exit(2);
}

const analytics = new Analytics({ writeKey, host, flushAt: 10 });
let failed = 0;
analytics.on("error", (err) => {
  failed++;
  console.error(`segment_send: ${err.code}: ${err.reason ?? ""}`);
});

const user = { userId: "user-42", anonymousId: "anon-7" };
const calls = [
  (i) => analytics.track({ ...user, event: "Order Completed", properties: { order_id: `o-${i}`, revenue: i + 0.5 } }, done(i)),
  (i) => analytics.identify({ ...user, traits: { plan: "pro", seq: i } }, done(i)),
  (i) => analytics.page({ ...user, category: "Docs", name: "Compat", properties: { url: `https://shop.example/docs/${i}`, path: `/docs/${i}` } }, done(i)),
  (i) => analytics.screen({ ...user, name: "Home", properties: { seq: i } }, done(i)),
  (i) => analytics.group({ ...user, groupId: "group-7", traits: { name: "Acme" } }, done(i)),
  (i) => analytics.alias({ userId: "user-43", previousId: "user-42" }, done(i)),
];

// The callback runs once the message is delivered (or has failed for good).
function done(seq) {
  return (err, ctx) => {
    if (err) return;
    console.log(JSON.stringify({ seq, type: ctx.event.type, messageId: ctx.event.messageId }));
  };
}

for (let i = 0; i < Number(count); i++) calls[i % calls.length](i);
await analytics.closeAndFlush({ timeout: 20000 });
process.exit(failed ? 1 : 0);
