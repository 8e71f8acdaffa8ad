// Bundles src/main.ts into dist/clicktrail.js: one minified IIFE with no dependencies.
// `node scripts/build.mjs --check` builds in memory and fails if dist/ is not what the source
// gives (dist/ is committed so that building the C++ binary, which embeds it, needs no Node).
import { build } from "esbuild";
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
const code = result.outputFiles[0].text;

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
