// store: "localStorage" in headless Chromium: a task submitted before a page reload is
// found by pending() after it and finished by resume(), then forgotten.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startSim } from "../support/sim.mjs";
import { outDir } from "./paths.mjs";
import { serveDir } from "./serve.mjs";
import { launchChromium, bundleForBrowser } from "./chromium.mjs";

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

test("localStorage store survives a reload: pending() and resume()", async () => {
  const dir = outDir("browser-store");
  await bundleForBrowser(new URL("./browser-store-app.mjs", import.meta.url).pathname, dir);
  const server = await serveDir(dir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const step = async (name) => {
      await page.goto(`${server.url}/index.html?step=${name}&sim=${encodeURIComponent(sim.url)}`);
      await page.waitForFunction(() => globalThis.__result || globalThis.__error, null, { timeout: 60_000 });
      const { result, error } = await page.evaluate(() => ({ result: globalThis.__result, error: globalThis.__error }));
      assert.equal(error, undefined, error);
      return result;
    };
    const first = await step("submit");
    assert.deepEqual(first.pending, [first.id]);
    assert.ok(first.keys >= 1);
    const second = await step("resume");
    assert.deepEqual(second.pending, [first.id]);
    assert.deepEqual(second.ends, [[first.id, "succeeded"]]);
    assert.deepEqual(second.after, []);
  } finally {
    await browser.close();
    await server.close();
  }
});
