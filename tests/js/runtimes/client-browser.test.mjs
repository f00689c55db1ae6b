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
import { launchChromium, bundleForBrowser, runPage } from "./chromium.mjs";

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

test("tasklane/client runs a task in headless Chromium and loads only its own wasm", async () => {
  const dir = outDir("client-browser");
  const { metafile } = await bundleForBrowser(new URL("./client-browser-app.mjs", import.meta.url).pathname, dir);
  const bundled = Object.keys(metafile.inputs);
  assert.ok(bundled.some((f) => f.endsWith("client/dist/tasklane_client.js")), "the client glue is bundled");
  assert.ok(!bundled.some((f) => /pkg\/dist\/|webhook\/dist\/|proxy\/dist\//.test(f)), `other builds' glue bundled: ${bundled.join(", ")}`);
  const server = await serveDir(dir);
  const browser = await launchChromium();
  try {
    const { result, error, logs, wasm } = await runPage(browser, `${server.url}/index.html?sim=${encodeURIComponent(sim.url)}`, path.join(dir, "screenshot.png"));
    assert.equal(error, undefined, `${error}\n${logs.join("\n")}`);
    assert.deepEqual(result, expected);
    assert.deepEqual(wasm, ["/dist/tasklane_client_bg.wasm"]);
  } finally {
    await browser.close();
    await server.close();
  }
});
