// Runs every browser scenario against real collectors without `clicktrail run`: starts the demo
// server (serve.mjs), three `clicktrail collect` processes (see faults.mjs: good, down,
// unknown_site) with topics of their own, runs the scenarios of scenarios.mjs and faults.mjs,
// checks the good collector's topic in Kafka, and stops everything it started. Needs the test
// services' Kafka: `./dev services start && eval "$(./dev services env)"`.
//
//   node tests/browser/with_collector.mjs [scenario…]
//
// CLICKTRAIL_BIN overrides the binary (default build/clicktrail). Output as check_collect.mjs.
import { spawn } from "node:child_process";
import { openSync } from "node:fs";
import { mkdtemp, writeFile, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { launch } from "./browser.mjs";
import { faults } from "./faults.mjs";
import { scenarios } from "./scenarios.mjs";
import { startDemoServer } from "./serve.mjs";
import { printReport, runAndVerify } from "./verify.mjs";

const bootstrap = process.env.KAFKA_BOOTSTRAP;
const all = { ...scenarios, ...faults };
const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(all);
if (!bootstrap || names.some((n) => !all[n])) {
  console.error(
    bootstrap
      ? `unknown scenario; choose from ${Object.keys(all).join(" ")}`
      : 'KAFKA_BOOTSTRAP is not set: run ./dev services start && eval "$(./dev services env)"',
  );
  process.exit(2);
}
const bin = process.env.CLICKTRAIL_BIN || fileURLToPath(new URL("../../build/clicktrail", import.meta.url));
const dir = await mkdtemp(join(tmpdir(), "clicktrail-browser-"));
const suffix = randomBytes(5).toString("hex");
const topic = `browser-events-${suffix}`;

const demo = await startDemoServer();
const collectors = {};
let code = 1;
try {
  // A long produce timeout: a 503 from the good collector would be retried, and the first try
  // may still have reached Kafka, which the checks would see as an event stored twice.
  collectors.good = await startCollector("good", { site: "demo", brokers: bootstrap, topic, timeout: "10s" });
  await warmUp(collectors.good.url);
  // Port 1 on loopback refuses connections: Kafka is down, every produce times out.
  collectors.down = await startCollector("down", { site: "demo", brokers: "127.0.0.1:1", topic: `browser-down-${suffix}`, timeout: "1s" });
  collectors.unknown_site = await startCollector("unknown_site", { site: "other", brokers: bootstrap, topic: `browser-other-${suffix}`, timeout: "10s" });
  const control = {
    route: (name) => (demo.collector = collectors[name].url),
    delay: (ms) => (demo.delay = ms),
  };
  control.route("good");

  const browser = await launch();
  let outcome;
  try {
    // each scenario starts with the good collector and no delay, whatever the one before left
    const fresh = () => (control.route("good"), control.delay(0));
    outcome = await runAndVerify(
      names.map((name) => [name, () => (fresh(), faults[name] ? faults[name](browser, demo.url, control) : scenarios[name](browser, demo.url))]),
      { bootstrap, topic },
    );
  } finally {
    await browser.close();
  }
  printReport(outcome, { base_url: demo.url, topic });
  code = outcome.failed ? 1 : 0;
} catch (err) {
  console.error(String(err.stack || err));
} finally {
  await Promise.all(Object.values(collectors).map((c) => c.stop()));
  await demo.close();
}
// The collectors' logs are kept for a failure, removed after a pass.
if (code) console.error(`collector logs in ${dir}`);
else await rm(dir, { recursive: true, force: true });
process.exit(code);

/** A `clicktrail collect` on a free port that accepts the demo server's origin for `site`. */
async function startCollector(name, { site, brokers, topic, timeout }) {
  const port = await freePort();
  const config = join(dir, `${name}.toml`);
  await writeFile(
    config,
    `[http]
listen = "127.0.0.1:${port}"

[ingest]
produce_timeout = "${timeout}"

[[sites]]
key = "${site}"
origins = ["${demo.url}"]

[kafka]
brokers = "${brokers}"
topic = "${topic}"
bad_topic = "${topic}-bad"
`,
  );
  const logPath = join(dir, `${name}.log`);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CLICKTRAIL_")));
  const proc = spawn(bin, ["collect", "--config", config], { env, stdio: ["ignore", openSync(logPath, "w"), openSync(logPath, "a")] });
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.on("exit", resolve);
      proc.kill("SIGTERM");
    });
  const deadline = Date.now() + 15000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`clicktrail collect (${name}) exited with ${proc.exitCode}:\n${await readFile(logPath, "utf8")}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, stop };
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`clicktrail collect (${name}) did not become healthy within 15 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends one event (no Origin, no anonymous_id: no scenario's) until the collector stores it,
 *  so that the topic exists before the first browser posts. */
async function warmUp(url) {
  const deadline = Date.now() + 30000;
  for (;;) {
    const r = await fetch(`${url}/v1/events?site=demo`, { method: "POST", body: '{"type":"warm_up"}' }).catch(() => null);
    if (r?.status == 204) return;
    if (Date.now() > deadline) throw new Error(`the good collector did not store a first event within 30 s (last answer ${r?.status})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}
