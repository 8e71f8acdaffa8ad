// A small web server for developing and testing the tracker before `clicktrail run` serves it:
// the demo site (web/demo/) and tracker/dist/clicktrail.js as `clicktrail run` lays them out,
// and /v1/* passed through to a real collector (`clicktrail collect`), so that the page posts to
// its own origin exactly as it will under `clicktrail run`.
//
//   node tests/browser/serve.mjs --collector http://127.0.0.1:8081 [--port 8080]
import http from "node:http";
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";

const ROOT = new URL("../../", import.meta.url);
const FILES = {
  "/": "web/demo/index.html",
  "/index.html": "web/demo/index.html",
  "/about.html": "web/demo/about.html",
  "/style.css": "web/demo/style.css",
  "/demo.js": "web/demo/demo.js",
  "/clicktrail.js": "tracker/dist/clicktrail.js",
};
const TYPES = { html: "text/html; charset=utf-8", css: "text/css; charset=utf-8", js: "text/javascript; charset=utf-8" };

/** Starts the server on host:port (0: any free port). `collector` is the collector's base URL;
 *  it may be set later through the returned object's `collector` property, for a collector
 *  whose config needs this server's origin. Setting `delay` (ms) holds each /v1/* request that
 *  long before passing it on, for tests of requests in flight. Resolves to
 *  { url, server, collector, delay, close() }. */
export async function startDemoServer({ collector = "", port = 0, host = "127.0.0.1" } = {}) {
  const state = { collector, delay: 0 };
  const server = http.createServer((req, res) => {
    const path = req.url.split("?")[0];
    if (path.startsWith("/v1/")) {
      const target = state.collector;
      if (!state.delay) return proxy(target, req, res);
      req.pause();
      setTimeout(() => proxy(target, req, res), state.delay);
      return;
    }
    const file = FILES[path];
    if (!file || req.method !== "GET") {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
      return;
    }
    readFile(new URL(file, ROOT)).then(
      (body) => res.writeHead(200, { "Content-Type": TYPES[file.split(".").pop()], "Cache-Control": "no-store" }).end(body),
      (err) => res.writeHead(500, { "Content-Type": "text/plain" }).end(`cannot read ${file}: ${err.message}\n`),
    );
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const url = `http://${host}:${server.address().port}`;
  return {
    url,
    server,
    get collector() {
      return state.collector;
    },
    set collector(value) {
      state.collector = value;
    },
    get delay() {
      return state.delay;
    },
    set delay(ms) {
      state.delay = ms;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

// Passes the request on unchanged (Origin included, so that the collector's CORS check sees the
// page's origin) and streams the answer back.
function proxy(collector, req, res) {
  if (!collector) {
    res.writeHead(502, { "Content-Type": "text/plain" }).end("no collector configured\n");
    return;
  }
  const target = new URL(req.url, collector);
  const headers = { ...req.headers, host: target.host };
  const upstream = http.request(target, { method: req.method, headers }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  upstream.on("error", (err) => {
    if (!res.headersSent) res.writeHead(502, { "Content-Type": "text/plain" });
    res.end(`collector unreachable: ${err.message}\n`);
  });
  req.pipe(upstream);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const s = await startDemoServer({ collector: arg("--collector", ""), port: +arg("--port", "8080") });
  console.log(`serving the demo on ${s.url}, /v1/* to ${s.collector || "(no collector)"}`);
}
