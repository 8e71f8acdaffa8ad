// Runs one scenario from scenarios.mjs in a headless chromium and prints its summary as JSON.
//
//   CLICKTRAIL_URL=http://127.0.0.1:8080 node tests/browser/run.mjs journey
//
// Exits 1 when the scenario found a problem the browser alone can see, 2 on a usage error.
import { launch } from "./browser.mjs";
import { scenarios } from "./scenarios.mjs";

const name = process.argv[2];
const baseUrl = (process.env.CLICKTRAIL_URL || "").replace(/\/$/, "");
if (!scenarios[name] || !baseUrl) {
  console.error(`usage: CLICKTRAIL_URL=http://host:port node tests/browser/run.mjs ${Object.keys(scenarios).join("|")}`);
  process.exit(2);
}
const browser = await launch();
try {
  const summary = await scenarios[name](browser, baseUrl);
  console.log(JSON.stringify(summary, null, 2));
  process.exitCode = summary.ok ? 0 : 1;
} finally {
  await browser.close();
}
