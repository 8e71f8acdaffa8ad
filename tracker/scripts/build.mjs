// Bundles src/main.ts into dist/clicktrail.js: one minified IIFE with no dependencies. esbuild
// bundles and minifies; terser then minifies again with its safe (default) compress options,
// which inline single-use functions and reuse short names more, for about 4 per cent less gzip.
// `node scripts/build.mjs --check` builds in memory and fails if dist/ is not what the source
// gives (dist/ is committed so that building the C++ binary, which embeds it, needs no Node).
import { build } from "esbuild";
import { minify } from "terser";
import { readFile, writeFile, mkdir } from "node:fs/promises";

const root = new URL("..", import.meta.url);
const out = new URL("dist/clicktrail.js", root);
const check = process.argv.includes("--check");

const result = await build({
  entryPoints: [new URL("src/main.ts", root).pathname],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  legalComments: "none",
  // the bundle needs no "use strict" prologue; leaving it out saves bytes of the budget
  tsconfigRaw: { compilerOptions: { alwaysStrict: false } },
  write: false,
});
const code = (
  await minify(result.outputFiles[0].text, {
    ecma: 2020,
    compress: { passes: 2 },
    format: { comments: false },
  })
).code;

if (check) {
  const current = await readFile(out, "utf8").catch(() => "");
  if (current !== code) {
    console.error("tracker/dist/clicktrail.js is out of date: run `npm run build` in tracker/");
    process.exit(1);
  }
  console.log("tracker/dist/clicktrail.js is current");
} else {
  await mkdir(new URL("dist/", root), { recursive: true });
  await writeFile(out, code);
  console.log(`dist/clicktrail.js: ${code.length} bytes minified`);
}
