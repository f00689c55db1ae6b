// `tasklane/client` in headless Chromium: an esbuild bundle of client-browser-app.mjs runs
// the scenario against the simulator (another port, so CORS too), and the page fetches the
// client build's wasm and no other. A screenshot lands in test-output/client-browser/.
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

test("tasklane/client runs a task in headless Chromium and loads only its own wasm", async () => {
  const dir = outDir("client-browser");
  const { metafile } = await bundleForBrowser(new URL("./client-browser-app.mjs", import.meta.url).pathname, dir);
  const bundled = Object.keys(metafile.inputs);
  assert.ok(bundled.some((f) => f.endsWith("client/dist/tasklane_client.js")), "the client glue is bundled");
  assert.ok(!bundled.some((f) => /pkg\/dist\/|edge\/dist\//.test(f)), `other builds' glue bundled: ${bundled.join(", ")}`);
  const server = await serveDir(dir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const logs = [];
    const wasm = [];
    page.on("console", (m) => logs.push(m.text()));
    page.on("pageerror", (e) => logs.push(String(e)));
    page.on("request", (r) => { if (r.url().endsWith(".wasm")) wasm.push(new URL(r.url()).pathname); });
    await page.goto(`${server.url}/index.html?sim=${encodeURIComponent(sim.url)}`);
    await page.waitForFunction(() => globalThis.__result || globalThis.__error, null, { timeout: 60_000 });
    await page.screenshot({ path: path.join(dir, "screenshot.png") });
    const { result, error } = await page.evaluate(() => ({ result: globalThis.__result, error: globalThis.__error }));
    assert.equal(error, undefined, `${error}\n${logs.join("\n")}`);
    assert.deepEqual(result, expected);
    assert.deepEqual(wasm, ["/dist/tasklane_client_bg.wasm"]);
  } finally {
    await browser.close();
    await server.close();
  }
});
