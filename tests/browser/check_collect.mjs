// Runs the browser scenarios against CLICKTRAIL_URL and checks, in Kafka, that the collector
// stored what the tracker sent: types, targets, ids, order, nothing twice, nothing under DNT.
// It starts nothing: the demo, tracker and /v1/events must be served at CLICKTRAIL_URL by a
// collector producing to KAFKA_TOPIC on KAFKA_BOOTSTRAP (with_collector.mjs sets that up).
//
//   CLICKTRAIL_URL=… KAFKA_BOOTSTRAP=… KAFKA_TOPIC=… node tests/browser/check_collect.mjs [scenario…]
//
// Prints a JSON report on stdout and, on stderr, a PASS or FAIL line per scenario and then
// "N passed, N failed"; exits 1 when any scenario failed.
import { launch } from "./browser.mjs";
import { scenarios } from "./scenarios.mjs";
import { printReport, runAndVerify } from "./verify.mjs";

const baseUrl = (process.env.CLICKTRAIL_URL || "").replace(/\/$/, "");
const bootstrap = process.env.KAFKA_BOOTSTRAP;
const topic = process.env.KAFKA_TOPIC || process.env.TOPIC;
const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(scenarios);
if (!baseUrl || !bootstrap || !topic || names.some((n) => !scenarios[n])) {
  console.error(
    "usage: CLICKTRAIL_URL=http://host:port KAFKA_BOOTSTRAP=host:port KAFKA_TOPIC=topic " +
      `node tests/browser/check_collect.mjs [${Object.keys(scenarios).join("|")}…]`,
  );
  process.exit(2);
}

const browser = await launch();
let outcome;
try {
  outcome = await runAndVerify(
    names.map((name) => [name, () => scenarios[name](browser, baseUrl)]),
    { bootstrap, topic },
  );
} finally {
  await browser.close();
}
printReport(outcome, { base_url: baseUrl, topic });
process.exitCode = outcome.failed ? 1 : 0;
