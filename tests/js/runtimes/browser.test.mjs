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
import { launchChromium, bundleForBrowser, runPage } from "./chromium.mjs";

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

test("tasklane runs a task in headless Chromium (esbuild bundle)", async () => {
  const dir = outDir("browser");
  await bundleForBrowser(new URL("./browser-app.mjs", import.meta.url).pathname, dir);
  const server = await serveDir(dir);
  const browser = await launchChromium();
  try {
    const { result, error, logs } = await runPage(browser, `${server.url}/index.html?sim=${encodeURIComponent(sim.url)}`, path.join(dir, "screenshot.png"));
    assert.equal(error, undefined, `${error}\n${logs.join("\n")}`);
    assert.deepEqual(result, expected);
  } finally {
    await browser.close();
    await server.close();
  }
});
