// Launches the Debian chromium headless through playwright-core. playwright-core is a
// devDependency of tracker/ (tracker/package-lock.json pins it), so it is resolved from there:
// run `npm ci` in tracker/ first.
import { createRequire } from "node:module";

const require = createRequire(new URL("../../tracker/package.json", import.meta.url));
const { chromium } = require("playwright-core");

/** A headless chromium; CHROMIUM overrides the binary. --no-sandbox because the tests run as
 *  root, where chromium's sandbox refuses to start. `args` are more command-line switches. */
export function launch({ args = [] } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", ...args],
  });
}
