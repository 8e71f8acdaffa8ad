// Bundles the two browser entry files (browser/snowplow.js, browser/segment.js) with the real
// trackers from node_modules into build/compat/, next to the HTML pages that load them.
//
//   node tests/compat/build.mjs [--out DIR]      (default: build/compat/ at the repository root)
//
// esbuild is tracker/'s (tracker/package-lock.json pins it), so the compat packages add none.
import { createRequire } from "node:module";
import { copyFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const { build } = createRequire(path.join(root, "tracker/package.json"))("esbuild");

/** Builds the bundles and copies the pages into `out`; returns `out`. */
export async function buildCompat(out = path.join(root, "build/compat")) {
  await mkdir(out, { recursive: true });
  for (const name of ["snowplow", "segment"]) {
    await build({
      entryPoints: [path.join(here, "browser", `${name}.js`)],
      outfile: path.join(out, `${name}.js`),
      bundle: true,
      format: "iife",
      target: "es2020",
      logLevel: "warning",
    });
    await copyFile(path.join(here, "browser", `${name}.html`), path.join(out, `${name}.html`));
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--out");
  console.log(await buildCompat(i > 0 ? path.resolve(process.argv[i + 1]) : undefined));
}
