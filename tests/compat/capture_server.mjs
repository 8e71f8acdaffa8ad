// The two local servers capture.mjs needs: a capturing collector that records every request
// and answers as clicktrail's compat doors will (200 `ok` for Snowplow, 200 {"success":true}
// for Segment, CORS for the page's origin with credentials, preflights answered), and a static
// server for the pages and bundles that build.mjs writes. Both listen on 127.0.0.1 only.
import http from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";

// The request headers the collector will read or that tell how the library sent the request.
const KEPT_HEADERS = [
  "content-type", "content-encoding", "authorization", "cookie", "origin", "referer", "user-agent",
  "sp-anonymous", "x-retry-count", "access-control-request-method", "access-control-request-headers",
];

const listen = (server, port) =>
  new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server.address().port));
  });
const closeServer = (server) =>
  new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });

/** Starts the capturing collector on `port` (0: any). `requests` is the log, in arrival order;
 *  `reset()` empties it between scenarios. */
export async function startCaptureServer(port = 0) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url, "http://capture");
      const headers = {};
      for (const name of KEPT_HEADERS) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
      const raw = Buffer.concat(chunks);
      const entry = { method: req.method, path: url.pathname, query: url.search.slice(1), headers };
      if (raw.length) {
        // Exact bytes; a compressed body would not survive as text.
        if (headers["content-encoding"]) entry.body_base64 = raw.toString("base64");
        else entry.body = raw.toString("utf8");
      }
      requests.push(entry);
      answer(req, res);
    });
  });
  const actual = await listen(server, port);
  return { port: actual, requests, reset: () => requests.splice(0), close: () => closeServer(server) };
}

function answer(req, res) {
  const cors = {};
  if (req.headers.origin) {
    // Both trackers may send credentials (Snowplow's fetch always does): `*` would make the
    // browser hide the answer, and the tracker would retry.
    cors["Access-Control-Allow-Origin"] = req.headers.origin;
    cors["Access-Control-Allow-Credentials"] = "true";
    cors["Vary"] = "Origin";
  }
  if (req.method === "OPTIONS") {
    res.writeHead(204, {
      ...cors,
      "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
      "Access-Control-Allow-Headers": req.headers["access-control-request-headers"] || "Content-Type",
      "Access-Control-Max-Age": "600",
    });
    return res.end();
  }
  const segment = req.url.startsWith("/v1/");
  res.writeHead(200, { ...cors, "Content-Type": segment ? "application/json" : "text/plain; charset=utf-8" });
  res.end(segment ? '{"success":true}' : "ok");
}

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8" };

/** Serves the files of `dir` (build.mjs's output) on `port` (0: any); anything else is 404. */
export async function startPageServer(dir, port = 0) {
  const server = http.createServer(async (req, res) => {
    const name = path.basename(new URL(req.url, "http://pages").pathname);
    const type = TYPES[path.extname(name)];
    const body = type && (await readFile(path.join(dir, name)).catch(() => null));
    if (!body) return res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
    res.writeHead(200, { "Content-Type": type, "Cache-Control": "no-store" }).end(body);
  });
  const actual = await listen(server, port);
  return { port: actual, close: () => closeServer(server) };
}
