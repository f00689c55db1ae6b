// The quick starts in examples/quickstart/ run as written, against the simulator: Node
// (a child process), Deno, the Worker in Miniflare, and the browser page in headless
// Chromium (esbuild bundle, served from another port).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import path from "node:path";
import { startSim } from "../support/sim.mjs";
import { root, outDir } from "./paths.mjs";
import { denoRun, fetchFromWorker } from "./harness.mjs";
import { serveDir } from "./serve.mjs";
import { launchChromium, bundleForBrowser } from "./chromium.mjs";

const run = promisify(execFile);
const example = (p) => path.join(root, "examples/quickstart", p);
let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.stop(); });

test("quick start: Node", async () => {
  const { stdout } = await run(process.execPath, [example("node.mjs")], {
    cwd: root, timeout: 60_000,
    env: { ...process.env, TASKLANE_BASE_URL: sim.baseUrl("queue"), TASKLANE_API_KEY: sim.apiKey },
  });
  const lines = stdout.trim().split("\n");
  assert.match(lines.at(-1), /^(https?:|data:)/, stdout);
  assert.ok(lines.some((l) => l.startsWith("succeeded")), stdout);
});

test("quick start: Deno", async () => {
  const out = await denoRun(example("deno.mjs"), [], { TASKLANE_BASE_URL: sim.baseUrl("mindproxy"), TASKLANE_API_KEY: sim.apiKey });
  assert.match(out.trim(), /^succeeded (https?:|data:)/, out);
});

test("quick start: Cloudflare Worker (Miniflare)", async () => {
  const { status, body } = await fetchFromWorker(example("worker.mjs"), outDir("quickstart-worker"),
    { TASKLANE_BASE_URL: sim.baseUrl("apixo"), TASKLANE_API_KEY: sim.apiKey }, "http://localhost/?prompt=a+fox");
  assert.equal(status, 200, body);
  const r = JSON.parse(body);
  assert.equal(r.state, "succeeded");
  assert.ok(r.outputs.length >= 1);
});

test("quick start: browser (headless Chromium)", async () => {
  const dir = outDir("quickstart-browser");
  await bundleForBrowser(example("browser/app.mjs"), dir, example("browser/index.html"));
  const server = await serveDir(dir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const q = new URLSearchParams({ baseUrl: sim.baseUrl("mirako"), apiKey: sim.apiKey });
    await page.goto(`${server.url}/index.html?${q}`);
    await page.waitForFunction(() => document.body.dataset.state || document.querySelector("#out")?.textContent === "failed", null, { timeout: 60_000 })
      .catch(() => {});
    await page.screenshot({ path: path.join(dir, "screenshot.png") });
    assert.deepEqual(errors, []);
    assert.equal(await page.evaluate(() => document.body.dataset.state), "succeeded");
    assert.ok(await page.evaluate(() => document.querySelector("#out img")?.src?.length > 0));
  } finally {
    await browser.close();
    await server.close();
  }
});
