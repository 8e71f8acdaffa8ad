// The tracker's size budget: dist/clicktrail.js, minified and gzipped at level 9, must stay at
// or under 3072 bytes (3 KiB). Prints the sizes; exits 1 over budget or when dist/ has not been
// built.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 3072;
const file = new URL("../dist/clicktrail.js", import.meta.url);

let code;
try {
  code = readFileSync(file);
} catch {
  console.error("tracker/dist/clicktrail.js is missing: run `npm run build` in tracker/ first");
  process.exit(1);
}
const gzipped = gzipSync(code, { level: 9 }).length;
const verdict = gzipped <= BUDGET ? "within" : "OVER";
console.log(`clicktrail.js: ${code.length} B minified, ${gzipped} B gzipped; ${verdict} the budget of ${BUDGET} B`);
if (gzipped > BUDGET) process.exit(1);
