// Runs Snowplow's and Segment's own trackers (browser ones in Debian's chromium, node ones as
// child processes) against a local capturing collector and writes what each sent, request by
// request, to <out>/<name>.json: the exact wire shapes of these libraries at the pinned
// versions, for the decoders' unit tests and the collector's routes.
//
//   node tests/compat/capture.mjs [--out DIR] [--only name,name] [--port-pages P] [--port-collector P]
//
// Default out: tests/compat/fixtures/. Default ports 18380 (pages) and 18381 (collector) keep the
// committed fixtures' origins and URLs stable between regenerations; 0 picks free ones. Pages
// are http://localhost:<pages>/…, the collector http://localhost:<collector> for the browser
// (same site, another origin: CORS with credentials, as a collector on a subdomain) and
// http://127.0.0.1:<collector> for the node libraries. Bounded: a capture that does not land
// within CAPTURE_TIMEOUT fails, and the whole run stops after RUN_TIMEOUT.
import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { launch } from "../browser/browser.mjs";
import { buildCompat } from "./build.mjs";
import { startCaptureServer, startPageServer } from "./capture_server.mjs";
import { captures, snowplowEvents, segmentMessages } from "./scenarios.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const CAPTURE_TIMEOUT = 30_000;
const RUN_TIMEOUT = 180_000;
const QUIET = 1500; // after the last expected request: time for a repeat or a late one to show

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const out = path.resolve(arg("--out", path.join(here, "fixtures")));
const only = arg("--only", "").split(",").filter(Boolean);
const chosen = captures.filter((c) => !only.length || only.includes(c.name));

const children = new Set(); // node senders still running
let browser, pages, collector;

function fail(message) {
  console.error(`capture: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

const version = async (pkg) =>
  JSON.parse(await readFile(path.join(here, "node_modules", pkg, "package.json"), "utf8")).version;

async function waitUntil(condition, what, timeout = CAPTURE_TIMEOUT) {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) fail(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Every id the library reported sent appears in the captured requests.
function landed(c, sent, requests) {
  const ids = new Set(c.library.startsWith("@snowplow") ? snowplowEvents(requests).map((e) => e.eid) : segmentMessages(requests).map((m) => m.messageId));
  return sent.every((s) => ids.has(s.eid ?? s.messageId));
}

async function runBrowser(c) {
  const context = await browser.newContext();
  const outside = [];
  context.on("request", (r) => {
    const host = new URL(r.url()).hostname;
    if (host !== "localhost" && host !== "127.0.0.1") outside.push(r.url());
  });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const query = new URLSearchParams({
      collector: c.library.startsWith("@segment") ? `localhost:${collector.port}` : `http://localhost:${collector.port}`,
      ...c.query,
    });
    const url = `http://localhost:${pages.port}/${c.page}?${query}`;
    await page.goto(url);
    const sent = await c.drive(page);
    await waitUntil(() => (c.expect ? c.expect(collector.requests) : landed(c, sent, collector.requests)), `${c.name}'s requests`);
    await page.waitForTimeout(QUIET);
    if (errors.length) fail(`${c.name}: the page threw: ${errors.join("; ")}`);
    if (outside.length) fail(`${c.name}: the page asked for something off this machine: ${outside.join(", ")}`);
    return { page: url, browser: `chromium ${browser.version()}`, sent };
  } finally {
    await context.close();
  }
}

async function runNode(c) {
  const url = `http://127.0.0.1:${collector.port}`;
  const child = spawn(process.execPath, [path.join(here, "node", c.script), url, c.key, String(c.count)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let stdout = "", stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), CAPTURE_TIMEOUT);
    child.on("close", (code, signal) => { // after its output is all read
      clearTimeout(timer);
      children.delete(child);
      resolve(code ?? signal);
    });
  });
  if (code !== 0) fail(`${c.script} ended with ${code}: ${stderr.slice(-2000)}`);
  const sent = stdout.trim().split("\n").map((line) => JSON.parse(line)).sort((a, b) => a.seq - b.seq);
  if (sent.length !== c.count) fail(`${c.script} reported ${sent.length} of ${c.count} sent`);
  await waitUntil(() => landed(c, sent, collector.requests), `${c.name}'s requests`);
  await new Promise((r) => setTimeout(r, QUIET));
  return { command: `node tests/compat/node/${c.script} http://127.0.0.1:<collector> ${c.key} ${c.count}`, sent };
}

async function main() {
  if (chosen.length !== (only.length || captures.length)) fail(`unknown capture in --only ${only}; known: ${captures.map((c) => c.name)}`);
  await mkdir(out, { recursive: true });
  const dir = await buildCompat();
  pages = await startPageServer(dir, Number(arg("--port-pages", 18380)));
  collector = await startCaptureServer(Number(arg("--port-collector", 18381)));
  // Only localhost resolves: analytics.js or a tracker reaching for a CDN fails instead of
  // leaving the machine (and the capture fails on the request, below).
  if (chosen.some((c) => c.page))
    browser = await launch({ args: ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost"] });
  for (const c of chosen) {
    collector.reset();
    const how = c.page ? await runBrowser(c) : await runNode(c);
    const fixture = {
      capture: c.name,
      library: c.library,
      version: await version(c.library),
      generated_by: "tests/compat/capture.mjs (see tests/compat/README.md)",
      ...how,
      requests: [...collector.requests],
    };
    await writeFile(path.join(out, `${c.name}.json`), JSON.stringify(fixture, null, 2) + "\n");
    console.log(`${c.name}: ${fixture.requests.length} requests`);
  }
}

// Stops whatever is still running, on success, failure or time-out alike.
async function stop() {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await browser?.close().catch(() => {});
  await pages?.close();
  await collector?.close();
}

// A killed run (Ctrl-C, a test's time-out) stops what it started too; the children first, as
// that needs no waiting.
for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, async () => {
    console.error(`capture: ${signal}; stopping`);
    process.exitCode = 1; // main's own failure, which follows, is not news
    await stop();
    process.exit(1);
  });
const overall = setTimeout(async () => {
  console.error(`capture: the run took more than ${RUN_TIMEOUT} ms; stopping`);
  await stop();
  process.exit(1);
}, RUN_TIMEOUT);
try {
  await main();
} catch (e) {
  if (e.code === "EADDRINUSE") console.error(`capture: port ${e.port} is taken; pick others with --port-pages/--port-collector (0: any)`);
  else if (!process.exitCode) console.error(e);
  process.exitCode = 1;
} finally {
  await stop();
  clearTimeout(overall);
}
