// /inspect in a real browser: opens it, sends one click event to the same server, and measures
// how long until its row shows; saves a screenshot.
//
//   CLICKTRAIL_URL=http://127.0.0.1:8080 node tests/browser/inspect_shot.mjs SCREENSHOT.png
//
// Prints {"event_id", "shown_ms"} as JSON.
import { randomUUID } from "node:crypto";
import { launch } from "./browser.mjs";

const baseUrl = (process.env.CLICKTRAIL_URL || "").replace(/\/$/, "");
const shot = process.argv[2];
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${baseUrl}/inspect`);
  await page.waitForSelector('#status[data-state="live"]', { timeout: 10000 });
  const id = randomUUID();
  const started = Date.now();
  const status = await page.evaluate(
    async ([url, id]) =>
      (await fetch(`${url}/v1/events?site=demo`, {
        method: "POST",
        headers: { "Content-Type": "text/plain" },
        body: JSON.stringify([{ type: "click", event_id: id, page_url: `${url}/`, target_tag: "button", target_text: "Buy" }]),
      })).status,
    [baseUrl, id],
  );
  await page.waitForSelector(`#events .event[data-event-id="${id}"]`, { timeout: 10000 });
  const shownMs = Date.now() - started;
  // The totals come with the stats, once a second: wait for them, so the screenshot shows them.
  await page.waitForFunction(() => Number(document.querySelector("#accepted-total")?.dataset.value) > 0, null, {
    timeout: 5000,
  });
  await page.screenshot({ path: shot });
  console.log(JSON.stringify({ event_id: id, status, shown_ms: shownMs }));
} finally {
  await browser.close();
}
