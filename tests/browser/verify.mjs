// Runs scenarios and checks what they expect against the events stored in Kafka. Shared by
// check_collect.mjs (the scenarios any deployment can run) and with_collector.mjs (which adds
// the fault scenarios that need collectors of its own).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

// tests/e2e/records.py reads the topic's records, binary (docs/record.proto) or JSON, with
// Google's protobuf runtime; .venv's Python has it (./dev setup), or CLICKTRAIL_PYTHON names one.
const RECORDS_PY = fileURLToPath(new URL("../e2e/records.py", import.meta.url));
const VENV_PYTHON = fileURLToPath(new URL("../../.venv/bin/python", import.meta.url));
const PYTHON = process.env.CLICKTRAIL_PYTHON || (existsSync(VENV_PYTHON) ? VENV_PYTHON : "python3");

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STORE_TIMEOUT = 20000; // requests from closing pages may land a little after the scenario

/** Runs each [name, run] (run: () => summary) in turn, then reads the topic until every
 *  scenario's expectations hold or STORE_TIMEOUT passes. Resolves to { report, passed, failed }. */
export async function runAndVerify(runs, { bootstrap, topic }) {
  const results = [];
  for (const [name, run] of runs) {
    const started = Date.now();
    try {
      const summary = await run();
      results.push({ scenario: name, summary, failures: [...summary.problems] });
    } catch (err) {
      results.push({ scenario: name, summary: null, failures: [`the scenario stopped: ${err.stack || err}`] });
    }
    results.at(-1).browser_ms = Date.now() - started;
  }

  const deadline = Date.now() + STORE_TIMEOUT;
  for (;;) {
    const events = await readTopic(bootstrap, topic);
    for (const r of results) if (r.summary) r.store_failures = verify(r.summary, events);
    if (!results.some((r) => r.store_failures?.length) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  let passed = 0;
  let failed = 0;
  const report = results.map((r) => {
    const failures = [...r.failures, ...(r.store_failures || [])];
    failures.length ? failed++ : passed++;
    return { scenario: r.scenario, ok: failures.length == 0, failures, browser_ms: r.browser_ms, summary: r.summary };
  });
  return { report, passed, failed };
}

/** The JSON report on stdout; on stderr a PASS or FAIL line per scenario, then the count. */
export function printReport({ report, passed, failed }, header) {
  console.log(JSON.stringify({ ...header, scenarios: report }, null, 2));
  for (const r of report) console.error(`${r.ok ? "PASS" : "FAIL"} ${r.scenario}${r.ok ? "" : ": " + r.failures.join("; ")}`);
  console.error(`${passed} passed, ${failed} failed`);
}

export async function readTopic(bootstrap, topic) {
  // One JSON line per record, whichever form the collector wrote it in.
  const { stdout } = await promisify(execFile)(PYTHON, [RECORDS_PY, bootstrap, topic], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** What is wrong with the stored events (Kafka records, or rows read back from Parquet, absent
 *  fields null or missing) for one scenario's summary (see scenarios.mjs for the meaning of
 *  `expect`); [] when all holds. */
export function verify(summary, stored) {
  // props is an object in Kafka and compact JSON text in Parquet; compare them as objects
  const all = stored.map((e) => (typeof e.props == "string" ? { ...e, props: JSON.parse(e.props) } : e));
  const failures = [];
  const expect = summary.expect || {};
  const ids = summary.anonymous_ids || [];
  const mine = all.filter((e) => e.anonymous_id == ids[0]);

  const browsers = [...(expect.ordered ? [{ anonymous_id: ids[0], ordered: expect.ordered }] : []), ...(expect.per_browser || [])];
  for (const { anonymous_id, ordered } of browsers) failures.push(...checkOrdered(all.filter((e) => e.anonymous_id == anonymous_id), ordered, anonymous_id));
  for (const [url, depths] of Object.entries(expect.scroll || {})) {
    const got = mine.filter((e) => e.type == "scroll" && e.page_url == url).map((e) => e.scroll_depth);
    if (JSON.stringify(got) != JSON.stringify(depths))
      failures.push(`scroll depths of ${url}: expected ${JSON.stringify(depths)}, stored ${JSON.stringify(got)}`);
  }
  for (const id of expect.once || []) {
    const n = all.filter((e) => e.event_id == id).length;
    if (n != 1) failures.push(`event ${id} is stored ${n} times, not once`);
  }
  for (const id of expect.absent_event_ids || []) {
    if (all.some((e) => e.event_id == id)) failures.push(`event ${id} is stored but should have been dropped`);
  }
  if (expect.absent_marker) {
    const leaked = all.filter((e) => (e.page_url || "").includes(expect.absent_marker) || (e.referrer || "").includes(expect.absent_marker));
    if (leaked.length) failures.push(`${leaked.length} events were stored that should not have been sent: ${leaked.map((e) => e.type)}`);
  }
  for (const want of expect.stored_as || []) {
    const got = all.find((e) => e.event_id == want.event_id);
    if (!got) failures.push(`event ${want.event_id} (${want.type}) is not stored`);
    else if (!matches(got, want)) failures.push(`event ${want.event_id} is stored as ${JSON.stringify(got)}, not ${JSON.stringify(want)}`);
  }
  if (expect.only_before_opt_out) {
    const { anonymous_id, types } = expect.only_before_opt_out;
    const got = all.filter((e) => e.anonymous_id == anonymous_id).map((e) => e.type);
    if (JSON.stringify(got) != JSON.stringify(types)) failures.push(`before optOut() expected only ${types}, stored ${got}`);
  }
  return failures;
}

/** The events of one browser: sound (checkCommon), and with `ordered` as a subsequence of
 *  those that are not scroll events. */
function checkOrdered(events, ordered, anonymousId) {
  if (!events.length) return [`no stored events for anonymous_id ${anonymousId}`];
  const failures = checkCommon(events);
  const rest = events.filter((e) => e.type != "scroll");
  let i = 0;
  for (const want of ordered) {
    while (i < rest.length && !matches(rest[i], want)) i++;
    if (i == rest.length) {
      failures.push(`no stored event matching ${JSON.stringify(want)} in order (types stored: ${rest.map((e) => e.type).join(" ")})`);
      break;
    }
    i++;
  }
  return failures;
}

/** What every stored event of one browser must show. */
function checkCommon(events) {
  const failures = [];
  const seen = new Set();
  for (const e of events) {
    if (!UUID.test(e.event_id)) failures.push(`event_id ${e.event_id} is not a lowercase UUID`);
    if (seen.has(e.event_id)) failures.push(`event ${e.event_id} (${e.type}) is stored twice`);
    seen.add(e.event_id);
    for (const field of ["session_id", "page_url", "page_path", "viewport_w", "viewport_h", "screen_w", "screen_h", "locale", "timezone", "client_ts"])
      if (e[field] == null) failures.push(`${e.type} ${e.event_id} has no ${field}`);
    if (e.site != "demo") failures.push(`${e.type} ${e.event_id} has site ${e.site}`);
    if (e.type == "click" && !(Number.isInteger(e.x) && Number.isInteger(e.y) && e.target_tag && e.target_selector))
      failures.push(`click ${e.event_id} lacks its target fields`);
  }
  const sessions = new Set(events.map((e) => e.session_id));
  if (sessions.size != 1) failures.push(`one visit has ${sessions.size} session_ids`);
  return failures;
}

/** Each field of `want` equals the event's, or is {$gt: n} (more than n) or {$has: {…}} (an
 *  object with at least these fields). */
function matches(event, want) {
  return Object.entries(want).every(([k, v]) => {
    if (v && typeof v == "object" && "$gt" in v) return event[k] > v.$gt;
    if (v && typeof v == "object" && "$has" in v) return event[k] != null && matches(event[k], v.$has);
    return JSON.stringify(event[k]) == JSON.stringify(v);
  });
}
