// Snowplow's browser tracker, unchanged, driven by the page's query string so that one bundle
// serves every compat test (capture.mjs, and the browser tests against clicktrail):
//
//   ?collector=http://localhost:P  app=demo  method=post|get  buffer=N  path=/custom/tp2
//   anon=1 (server anonymisation)  calls=pv,se,ue,link,uid,pings  (default: all of them)
//
// It sets window.compat.ready once the calls are made; window.compat.flush() sends what the
// buffer still holds, window.compat.link() clicks the tracked link.
import {
  newTracker,
  trackPageView,
  trackStructEvent,
  trackSelfDescribingEvent,
  setUserId,
  enableActivityTracking,
  flushBuffer,
} from "@snowplow/browser-tracker";
// Link click tracking is a separate plugin (@snowplow/browser-plugin-link-click-tracking), not
// in the core package; the plugin only calls core.track(buildLinkClick(…)), so doing the same
// here puts the plugin's exact wire shape (ue with the link_click schema) on the wire.
import { buildLinkClick } from "@snowplow/tracker-core";

const query = new URLSearchParams(location.search);
const calls = new Set((query.get("calls") || "pv,se,ue,link,uid,pings").split(","));
const config = {
  appId: query.get("app") || "demo",
  eventMethod: query.get("method") || "post",
  bufferSize: Number(query.get("buffer") || 1),
};
if (query.get("path")) config.postPath = query.get("path");
if (query.get("anon") === "1") config.anonymousTracking = { withServerAnonymisation: true };

const tracker = newTracker("sp", query.get("collector"), config);

if (calls.has("uid")) setUserId("user-42");
// Short intervals (seconds) so that a test sees pings within a few seconds of activity.
if (calls.has("pings")) enableActivityTracking({ minimumVisitLength: 1, heartbeatDelay: 1 });
if (calls.has("pv")) trackPageView({ title: "Compat page" });
if (calls.has("se"))
  trackStructEvent({ category: "shop", action: "add", label: "sku-1", property: "size m", value: 2.5 });
if (calls.has("ue"))
  trackSelfDescribingEvent({
    event: {
      schema: "iglu:com.example/button_press/jsonschema/1-0-0",
      data: { button: "buy", count: 3, tags: ["a", "b"] },
    },
  });

const link = document.getElementById("tracked-link");
link.addEventListener("click", (e) => {
  e.preventDefault(); // stay on the page: the test reads what it sent
  if (!calls.has("link")) return;
  tracker.core.track(
    buildLinkClick({
      targetUrl: link.href,
      elementId: link.id,
      elementClasses: [...link.classList],
      elementTarget: link.target,
      elementContent: link.textContent,
    }),
  );
});

window.compat = {
  ready: true,
  link: () => link.click(),
  flush: () => flushBuffer(),
};
