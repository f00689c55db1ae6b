// The package in headless Chromium: an esbuild bundle of browser-app.mjs served from one
// 127.0.0.1 port runs the scenario against the simulator on another (CORS), and the
// page's summary is compared with `expected`. A screenshot lands in test-output/browser/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startSim } from "../support/sim.mjs";
import { expected } from "./scenario.mjs";
import { outDir } from "./paths.mjs";
import { serveDir } from "./serve.mjs";
import { launchChromium, bundleForBrowser } from "./chromium.mjs";

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

test("tasklane runs a task in headless Chromium (esbuild bundle)", async () => {
  const dir = outDir("browser");
  await bundleForBrowser(new URL("./browser-app.mjs", import.meta.url).pathname, dir);
  const server = await serveDir(dir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const logs = [];
    page.on("console", (m) => logs.push(m.text()));
    page.on("pageerror", (e) => logs.push(String(e)));
    await page.goto(`${server.url}/index.html?sim=${encodeURIComponent(sim.url)}`);
    await page.waitForFunction(() => globalThis.__result || globalThis.__error, null, { timeout: 60_000 });
    await page.screenshot({ path: path.join(dir, "screenshot.png") });
    const { result, error } = await page.evaluate(() => ({ result: globalThis.__result, error: globalThis.__error }));
    assert.equal(error, undefined, `${error}\n${logs.join("\n")}`);
    assert.deepEqual(result, expected);
  } finally {
    await browser.close();
    await server.close();
  }
});
